"""Put work on the durable queue, idempotently: the same job id enqueued twice (two web processes, a WeChat
retry) yields one job.

Usage::

    enqueue(redis, settings, send_custom_job, {"openid": o, "message": m}, job_id="o1:msg:42")
    queue = JobQueue(redis, settings)
    queue.put([Deferred(send_deferred_answer, {"openid": o, "reply": r}, job_id="m:42:o1")])  # the webhook's path
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Mapping, Sequence

import redis as redis_lib
from rq import Retry

from config import Settings
from wechat.jobs.policy import policy_of
from wechat.jobs.queues import get_queue, namespace, rq_job_id
from wechat.redis_conn import Keys

ENQUEUE_CLAIM_TTL = 7 * 24 * 3600  # how long a job id stays "taken" for idempotent enqueueing
_UNSET: Any = object()


@dataclass(frozen=True)
class Deferred:
    """A job for the worker: a module-level function, JSON-able kwargs, an id that makes enqueueing idempotent."""

    func: Callable[..., Any]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    job_id: str = ""


def job_name(func: Callable[..., Any]) -> str:
    """``module.function``, the name RQ stores and the worker imports; only module-level functions qualify."""
    name = getattr(func, "__qualname__", "")
    module = getattr(func, "__module__", "")
    if not module or not name or "<" in name or "." in name or not callable(func):
        raise ValueError(f"a job must be a module-level function, got {func!r}")
    return f"{module}.{name}"


def enqueue(redis: redis_lib.Redis, settings: Settings, func: Callable[..., Any], kwargs: Mapping[str, Any], *,
            job_id: str | None = None, queue: str | None = None, retry: Retry | None = _UNSET,
            timeout: int | None = None, claim_ttl: int = ENQUEUE_CLAIM_TTL, delay: float = 0) -> str:
    """Put ``func(**kwargs)`` on a durable queue; returns the RQ job id.

    Queue, retry and timeout default to the function's ``@job`` policy. ``kwargs`` must be JSON-able
    (checked now, so a mistake fails in the request, not as a dead letter later).
    """
    name = job_name(func)
    json.dumps(dict(kwargs))
    policy = policy_of(func)
    # Without a caller's id, a random one under the account's namespace, so accounts never share RQ keys.
    rq_id = rq_job_id(settings.key_prefix, job_id) if job_id else f"{namespace(settings.key_prefix)}-{uuid.uuid4().hex}"
    claim_key = Keys(settings.key_prefix)("jobid", rq_id) if job_id else None
    if claim_key and not redis.set(claim_key, "1", nx=True, ex=claim_ttl):
        return rq_id  # already enqueued (or done) under this id
    q = get_queue(redis, settings, queue or policy.queue)
    options: dict[str, Any] = {"kwargs": dict(kwargs), "job_id": rq_id,
                               "retry": policy.retry if retry is _UNSET else retry,
                               "job_timeout": timeout or policy.timeout,
                               "result_ttl": policy.result_ttl, "failure_ttl": policy.failure_ttl, "description": name}
    try:
        job = q.enqueue_in(timedelta(seconds=delay), name, **options) if delay > 0 else q.enqueue(name, **options)
    except Exception:
        if claim_key:
            redis.delete(claim_key)  # let a later attempt enqueue it
        raise
    return job.id


class JobQueue:
    """The webhook's way onto the queue: ``put`` a message's deferred jobs after its handler ran.

    ``retries`` overrides a job's retry schedule (tests shorten the CRM's 26 hours to seconds).
    """

    def __init__(self, redis: redis_lib.Redis, settings: Settings,
                 retries: Mapping[Callable[..., Any], Retry] | None = None):
        self.redis = redis
        self.settings = settings
        self.retries = dict(retries or {})

    def put(self, deferred: Sequence[Deferred]) -> None:
        for item in deferred:
            self.enqueue(item.func, item.kwargs, job_id=item.job_id or None)

    def enqueue(self, func: Callable[..., Any], kwargs: Mapping[str, Any], **options: Any) -> str:
        if func in self.retries and "retry" not in options:
            options["retry"] = self.retries[func]
        return enqueue(self.redis, self.settings, func, kwargs, **options)

    def rq_id(self, job_id: str) -> str:
        return rq_job_id(self.settings.key_prefix, job_id)
