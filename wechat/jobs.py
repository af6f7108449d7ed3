"""Durable jobs on Redis (RQ): every outbound call runs in the worker, never inside a webhook request.

Usage::

    enqueue_side_effect(redis, settings, "wechat.jobs.send_deferred_answer",
                        {"openid": openid, "reply": {"type": "text", "content": "..."}}, job_id=message.dedupe_key)
    enqueue(redis, settings, "leads.deliver", {"lead_id": lid}, job_id=lid, retry=retry_for(26 * 3600))
    run_worker(settings)                       # Procfile: worker: flask --app app worker

Queues, job ids and worker names carry ``settings.key_prefix``, so several accounts and test runs can share one
Redis. Jobs are stored as JSON (RQ's JSONSerializer): arguments must be JSON-able, which also keeps them
readable in the dead-letter list.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis as redis_lib
from rq import Queue, Retry, Worker, get_current_job
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from config import Settings, load_settings
from wechat.redis_conn import Keys, connect, resolve_url

log = logging.getLogger(__name__)

# Worker order is priority: deferred answers must beat WeChat's 1-minute window after a menu click.
REALTIME = "realtime"
DEFAULT = "default"
QUEUES = (REALTIME, DEFAULT)
REALTIME_FUNCS = {"wechat.jobs.send_deferred_answer", "wechat.jobs.send_custom_job"}
ENQUEUE_CLAIM_TTL = 7 * 24 * 3600  # how long a job id stays "taken" for idempotent enqueueing
DEFAULT_TIMEOUT = 120


# -- names ---------------------------------------------------------------------------------------
def namespace(settings: Settings) -> str:
    """``wxbot:`` -> ``wxbot``: RQ job ids allow only letters, digits, ``_`` and ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", settings.key_prefix).strip("-") or "wxbot"


def queue_name(settings: Settings, name: str = DEFAULT) -> str:
    return f"{settings.key_prefix}{name}"


def rq_job_id(settings: Settings, job_id: str) -> str:
    """The RQ id for a caller's job id: kept readable when RQ allows it, else a digest."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", job_id):
        job_id = hashlib.sha256(job_id.encode("utf-8")).hexdigest()[:40]
    return f"{namespace(settings)}-{job_id}"


def get_queue(redis: redis_lib.Redis, settings: Settings, name: str = DEFAULT) -> Queue:
    return Queue(queue_name(settings, name), connection=redis, serializer=JSONSerializer,
                 default_timeout=DEFAULT_TIMEOUT)


# -- retries -------------------------------------------------------------------------------------
def backoff(first: float = 10, factor: float = 2, cap: float = 3600, attempts: int = 8) -> Retry:
    """Exponential backoff: ``first``, ``first*factor``, ... capped at ``cap``, for ``attempts`` retries."""
    intervals = [int(min(cap, first * factor ** i)) for i in range(attempts)]
    return Retry(max=attempts, interval=intervals)


def retry_for(total_seconds: float, first: float = 30, factor: float = 2, cap: float = 3600) -> Retry:
    """Backoff that keeps retrying for at least ``total_seconds`` (e.g. CRM delivery: 24 h and more)."""
    intervals: list[int] = []
    while sum(intervals) < total_seconds:
        intervals.append(int(min(cap, first * factor ** len(intervals))))
    return Retry(max=len(intervals), interval=intervals)


# Outbound WeChat calls: 10 s, 20 s, ... about 35 minutes in all (WeChat's -1 is short-lived; 45009 is not,
# but then the dead-letter list is the right place).
DEFAULT_RETRY = backoff(first=10, factor=2, cap=600, attempts=6)


# -- enqueueing ----------------------------------------------------------------------------------
def _check_func(func: str) -> None:
    module, _, name = func.rpartition(".")
    if not module:
        raise ValueError(f"job function must be a dotted path, got {func!r}")
    if not callable(getattr(importlib.import_module(module), name, None)):
        raise ValueError(f"job function {func!r} does not exist")


def enqueue(redis: redis_lib.Redis, settings: Settings, func: str, kwargs: dict[str, Any], *,
            job_id: str | None = None, queue: str = DEFAULT, retry: Retry | None = DEFAULT_RETRY,
            timeout: int = DEFAULT_TIMEOUT, claim_ttl: int = ENQUEUE_CLAIM_TTL, delay: float = 0) -> str:
    """Put ``func(**kwargs)`` on a durable queue; returns the RQ job id.

    With ``job_id`` the call is idempotent: the same id enqueued twice (two web processes, a WeChat retry)
    yields one job. ``func`` is a dotted path checked now, so a typo fails in the request, not the worker.
    """
    _check_func(func)
    json.dumps(kwargs)  # JSON-able or TypeError now, not a dead letter later
    # Without a caller's id, a random one under the account's namespace, so accounts never share RQ keys.
    rq_id = rq_job_id(settings, job_id) if job_id else f"{namespace(settings)}-{uuid.uuid4().hex}"
    claim_key = Keys(settings.key_prefix)("jobid", rq_id) if job_id else None
    if claim_key and not redis.set(claim_key, "1", nx=True, ex=claim_ttl):
        return rq_id  # already enqueued (or done) under this id
    q = get_queue(redis, settings, queue)
    options: dict[str, Any] = {"kwargs": kwargs, "job_id": rq_id, "retry": retry, "job_timeout": timeout,
                               "result_ttl": 24 * 3600, "failure_ttl": 30 * 24 * 3600,
                               "description": func}
    try:
        if delay > 0:
            job = q.enqueue_in(_timedelta(delay), func, **options)
        else:
            job = q.enqueue(func, **options)
    except Exception:
        if claim_key:
            redis.delete(claim_key)  # let a later attempt enqueue it
        raise
    return job.id


def _timedelta(seconds: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=seconds)


def enqueue_side_effect(redis: redis_lib.Redis, settings: Settings, func: str, kwargs: dict[str, Any],
                        job_id: str | None = None, *, queue: str | None = None) -> str:
    """What the webhook calls for a handler's side effects; deferred answers go to the realtime queue."""
    return enqueue(redis, settings, func, kwargs, job_id=job_id,
                   queue=queue or (REALTIME if func in REALTIME_FUNCS else DEFAULT))


def job_status(redis: redis_lib.Redis, job_id: str) -> str | None:
    """RQ status of a job by its RQ id (queued, started, finished, failed, scheduled, ...), None if unknown."""
    try:
        status = Job.fetch(job_id, connection=redis, serializer=JSONSerializer).get_status()
        return getattr(status, "value", status)
    except Exception:  # noqa: BLE001 - rq raises NoSuchJobError or a deserialisation error
        return None


# -- dead letters --------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadLetter:
    job_id: str
    queue: str
    func: str
    error: str  # last line of the exception: the errcode, never the arguments


def dead_letters(redis: redis_lib.Redis, settings: Settings) -> list[DeadLetter]:
    """Jobs that used up their retries, per queue (RQ's failed-job registry is the dead-letter list)."""
    found = []
    for name in QUEUES:
        q = get_queue(redis, settings, name)
        registry = FailedJobRegistry(queue=q)
        for job_id in registry.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
            except Exception:  # noqa: BLE001
                continue
            exc = (job.latest_result().exc_string if job.latest_result() else "") or ""
            lines = [line for line in exc.strip().splitlines() if line.strip()]
            found.append(DeadLetter(job_id, name, job.func_name, lines[-1] if lines else ""))
    return found


def retry_dead_letter(redis: redis_lib.Redis, settings: Settings, job_id: str) -> bool:
    """Put one dead letter back on its queue; False when no such dead letter exists."""
    for name in QUEUES:
        registry = FailedJobRegistry(queue=get_queue(redis, settings, name))
        if job_id in registry.get_job_ids():
            registry.requeue(job_id)
            return True
    return False


def retry_all_dead_letters(redis: redis_lib.Redis, settings: Settings) -> int:
    count = 0
    for letter in dead_letters(redis, settings):
        count += retry_dead_letter(redis, settings, letter.job_id)
    return count


# -- rate limit ----------------------------------------------------------------------------------
# Token bucket per API in Redis, shared by every worker: refill ``rate`` tokens/s up to ``burst``.
# KEYS[1] = bucket hash; ARGV = rate, burst. Returns 0 when a token was taken, else milliseconds to wait.
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(h[1]), tonumber(h[2])
if tokens == nil then tokens, ts = burst, now end
tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
"""

# (tokens per second, burst). WeChat's daily quotas (template 100k, custom 500k, menu 1k per day) are far
# above a marketing account's needs; the bucket keeps a burst (a campaign QR at an expo) from spending them.
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "template": (20.0, 50),
    "custom": (20.0, 50),
    "menu": (1.0, 5),
    "default": (10.0, 20),
}


class RateLimited(RuntimeError):
    """The API's bucket stayed empty for longer than the job is willing to wait; RQ retries later."""


class RateLimiter:
    """Usage: ``RateLimiter(redis, keys).wait("template")`` before each call of that API."""

    def __init__(self, redis: redis_lib.Redis, keys: Keys, limits: dict[str, tuple[float, int]] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.keys = keys
        self.limits = limits or RATE_LIMITS
        self.sleep = sleep
        self._bucket = redis.register_script(_BUCKET)

    def try_acquire(self, api: str) -> float:
        """0.0 when a call may go now, else the seconds until one may."""
        rate, burst = self.limits.get(api, self.limits.get("default", RATE_LIMITS["default"]))
        return int(self._bucket(keys=[self.keys("rate", api)], args=[rate, burst])) / 1000.0

    def wait(self, api: str, max_wait: float = 10.0) -> None:
        waited = 0.0
        while (delay := self.try_acquire(api)) > 0:
            if waited + delay > max_wait:
                raise RateLimited(f"{api}: rate limit still exhausted after {waited:.1f}s")
            self.sleep(delay)
            waited += delay


# -- the worker's runtime ------------------------------------------------------------------------
@dataclass
class Runtime:
    """Settings and connections a job needs, built once per worker process (forked work horses inherit it)."""

    settings: Settings
    redis: redis_lib.Redis
    _client: Any = None

    @property
    def keys(self) -> Keys:
        return Keys(self.settings.key_prefix)

    @property
    def client(self) -> Any:
        if self._client is None:
            from wechat.api_client import build_client

            self._client = build_client(self.settings, self.redis)
        return self._client

    @property
    def limiter(self) -> RateLimiter:
        return RateLimiter(self.redis, self.keys)


_runtime: Runtime | None = None


def set_runtime(settings: Settings, redis: redis_lib.Redis | None = None) -> Runtime:
    """Use these settings for jobs in this process (run_worker does it; tests may too)."""
    global _runtime
    _runtime = Runtime(settings, redis if redis is not None else connect(settings))
    return _runtime


def runtime() -> Runtime:
    """The process's runtime, built from the environment on first use."""
    return _runtime if _runtime is not None else set_runtime(load_settings())


# -- jobs ----------------------------------------------------------------------------------------
def is_final_attempt() -> bool:
    """True when the running job has no retries left (or runs outside a worker): record failure, not "retrying"."""
    job = get_current_job()
    return job is None or not job.retries_left


_final_attempt = is_final_attempt  # older name, used by leads.alerts


def send_template_job(message: dict[str, Any]) -> str:
    """Send one template message (payload as ``TemplateMessage.to_dict()``); returns its final status."""
    from wechat.templates import TemplateMessage, TemplateRetryLater, record_status, send_template

    rt = runtime()
    msg = TemplateMessage.from_dict(message)
    rt.limiter.wait("template")
    try:
        return send_template(rt.client, rt.redis, rt.keys, msg)
    except TemplateRetryLater as exc:
        if is_final_attempt():
            record_status(rt.redis, rt.keys, msg.message_id(), "failed", errcode=exc.errcode)
        raise


def enqueue_template(redis: redis_lib.Redis, settings: Settings, message: Any, job_id: str | None = None) -> str:
    """Record the template message as queued and enqueue its send (idempotent on its client_msg_id)."""
    from wechat.templates import TemplateMessage, get_status, record_status

    msg = message if isinstance(message, TemplateMessage) else TemplateMessage.from_dict(message)
    msg_id = msg.message_id()
    if not msg.client_msg_id:
        msg = dataclasses.replace(msg, client_msg_id=msg_id)  # WeChat dedupes repeats of it for 10 minutes
    keys = Keys(settings.key_prefix)
    if not get_status(redis, keys, msg_id):
        record_status(redis, keys, msg_id, "queued")
    return enqueue(redis, settings, "wechat.jobs.send_template_job", {"message": msg.to_dict()},
                   job_id=job_id or f"tmpl-{msg_id}")


def send_custom_job(openid: str, message: dict[str, Any], answer_id: str | None = None) -> str:
    """Send a customer-service message body within the follower's quota; returns "sent" or "unsent"."""
    from wechat.custom_messages import CustomQuota, send_custom

    rt = runtime()
    job = get_current_job()
    marker = rt.keys("cs", "done", answer_id or (job.id if job else ""))
    if (answer_id or job) and rt.redis.exists(marker):
        return "sent"  # this job already sent it before its worker died: never send twice
    rt.limiter.wait("custom")
    status = send_custom(rt.client, CustomQuota(rt.redis, rt.keys), openid, message)
    if status == "sent" and (answer_id or job):
        rt.redis.set(marker, "1", ex=7 * 24 * 3600)
    return status


def send_deferred_answer(openid: str, reply: dict[str, Any]) -> str:
    """Deliver a handler's "later" answer as a customer-service message (see custom_messages.message_from_reply)."""
    from wechat.custom_messages import message_from_reply

    return send_custom_job(openid, message_from_reply(reply))


# -- the worker ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkerTuning:
    """How fast a dead worker's job is noticed and re-run: about ``job_monitoring_interval + heartbeat_grace``
    after the crash, at the next maintenance pass of any worker (every ``maintenance_interval`` seconds or at
    a worker's start). RQ's defaults (60 s grace, 10 min maintenance) are slow for answers users wait for."""

    job_monitoring_interval: int = 10
    heartbeat_grace: int = 20
    maintenance_interval: int = 60
    worker_ttl: int = 60


class OutboundWorker(Worker):
    """RQ's forking worker with a shorter heartbeat, so a killed worker's job is re-run sooner."""

    heartbeat_grace = 20

    def get_heartbeat_ttl(self, job: Job) -> int:
        if job.timeout and job.timeout > 0:
            remaining = job.timeout - self.current_job_working_time
            return int(max(1, min(remaining, self.job_monitoring_interval))) + self.heartbeat_grace
        return self.job_monitoring_interval + self.heartbeat_grace


def worker_connection(settings: Settings) -> redis_lib.Redis:
    """RQ blocks on BLMOVE for up to a minute; the web tier's 0.5 s socket timeout would break that."""
    return redis_lib.Redis.from_url(resolve_url(settings), socket_connect_timeout=5, health_check_interval=30)


def build_worker(settings: Settings, tuning: WorkerTuning = WorkerTuning(),
                 connection: redis_lib.Redis | None = None) -> OutboundWorker:
    connection = connection or worker_connection(settings)
    queues = [get_queue(connection, settings, name) for name in QUEUES]
    name = f"{namespace(settings)}-{socket.gethostname()}-{os.getpid()}"
    worker = OutboundWorker(queues, connection=connection, serializer=JSONSerializer, name=name,
                            job_monitoring_interval=tuning.job_monitoring_interval,
                            maintenance_interval=tuning.maintenance_interval, worker_ttl=tuning.worker_ttl)
    worker.heartbeat_grace = tuning.heartbeat_grace
    return worker


def run_worker(settings: Settings, burst: bool = False, tuning: WorkerTuning = WorkerTuning()) -> bool:
    """Run the worker (with RQ's scheduler, which retries with backoff need) on this account's queues.

    Returns whether any job ran. Burst mode drains the queues and exits (tests, cron).
    """
    set_runtime(settings)  # jobs use these settings; forked work horses inherit the connections
    worker = build_worker(settings, tuning)
    return worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)


__all__ = [
    "DEFAULT", "QUEUES", "REALTIME", "DeadLetter", "JobStatus", "RateLimited", "RateLimiter", "WorkerTuning",
    "backoff", "dead_letters", "enqueue", "is_final_attempt", "enqueue_side_effect", "enqueue_template", "get_queue", "job_status",
    "queue_name", "retry_all_dead_letters", "retry_dead_letter", "retry_for", "run_worker", "runtime",
    "send_custom_job", "send_deferred_answer", "send_template_job", "set_runtime",
]
