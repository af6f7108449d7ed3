"""Durable jobs on Redis (RQ): every outbound call runs in the worker, never inside a webhook request.

- ``queues``: queue names and job ids, namespaced by the key prefix.
- ``policy``: ``@job(queue=..., retry=..., timeout=...)`` on a job function; backoff schedules.
- ``enqueue``: idempotent ``enqueue`` and the webhook's ``JobQueue`` / ``Deferred``.
- ``deadletters``: jobs that used up their retries, and retrying them.
- ``ratelimit``: a token bucket per WeChat API.   ``runtime``: what a job needs.   ``worker``: the process.
- ``periodic``: housekeeping the worker process runs on a timer (one process per interval, clean stop).

Jobs are stored as JSON (RQ's JSONSerializer): arguments must be JSON-able, which also keeps them readable
in the dead-letter list. The job functions themselves live with what they do (``wechat.templates``,
``wechat.custom_messages``, ``leads.delivery``, ...).
"""
from wechat.jobs.deadletters import (DeadLetter, dead_letters, forget_dead_letter, job_status,
                                     retry_all_dead_letters, retry_dead_letter)
from wechat.jobs.enqueue import Deferred, JobQueue, enqueue, job_name
from wechat.jobs.periodic import Periodic
from wechat.jobs.policy import DEFAULT_RETRY, JobPolicy, backoff, is_final_attempt, job, policy_of, retry_for
from wechat.jobs.queues import DEFAULT, QUEUES, REALTIME, get_queue, namespace, queue_name, rq_job_id
from wechat.jobs.ratelimit import RATE_LIMITS, RateLimited, RateLimiter
from wechat.jobs.runtime import Runtime, reset_runtime, runtime, set_runtime
from wechat.jobs.worker import WorkerTuning, build_worker, run_worker

__all__ = [
    "DEFAULT", "DEFAULT_RETRY", "QUEUES", "RATE_LIMITS", "REALTIME", "DeadLetter", "Deferred", "JobPolicy",
    "JobQueue", "Periodic", "RateLimited", "RateLimiter", "Runtime", "WorkerTuning", "backoff", "build_worker",
    "dead_letters", "enqueue", "forget_dead_letter", "get_queue", "is_final_attempt", "job", "job_name",
    "job_status", "namespace", "policy_of", "queue_name", "reset_runtime", "retry_all_dead_letters",
    "retry_dead_letter", "retry_for", "rq_job_id", "run_worker", "runtime", "set_runtime",
]
