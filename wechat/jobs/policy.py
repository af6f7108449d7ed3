"""How a job is run: its queue, retries with backoff and timeout, declared once on the job function.

Usage::

    @job(queue=REALTIME, retry=backoff(first=10, attempts=6))
    def send_custom_job(openid: str, message: dict) -> str: ...

    policy_of(send_custom_job).queue          # "realtime"
    if is_final_attempt(): record_failure()   # inside a job: no retries left
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from rq import Retry, get_current_job

from wechat.jobs.queues import DEFAULT, DEFAULT_TIMEOUT

F = TypeVar("F", bound=Callable[..., Any])


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


RESULT_TTL = 24 * 3600            # a finished job (and its arguments) stays readable this long
FAILURE_TTL = 30 * 24 * 3600      # a dead letter stays this long


@dataclass(frozen=True)
class JobPolicy:
    queue: str = DEFAULT
    retry: Retry | None = DEFAULT_RETRY
    timeout: int = DEFAULT_TIMEOUT
    result_ttl: int = RESULT_TTL      # 0: the job is deleted as soon as it succeeds (arguments that are personal data)
    failure_ttl: int = FAILURE_TTL


def job(*, queue: str = DEFAULT, retry: Retry | None = DEFAULT_RETRY, timeout: int = DEFAULT_TIMEOUT,
        result_ttl: int = RESULT_TTL, failure_ttl: int = FAILURE_TTL) -> Callable[[F], F]:
    """Declare ``func`` a job and how it runs; the function itself is unchanged (tests call it directly)."""
    def mark(func: F) -> F:
        func.job_policy = JobPolicy(queue, retry, timeout, result_ttl, failure_ttl)  # type: ignore[attr-defined]
        return func
    return mark


def policy_of(func: Callable[..., Any]) -> JobPolicy:
    return getattr(func, "job_policy", None) or JobPolicy()


def is_final_attempt() -> bool:
    """True when the running job has no retries left (or runs outside a worker): record failure, not "retrying"."""
    current = get_current_job()
    return current is None or not current.retries_left
