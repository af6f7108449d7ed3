"""Jobs that used up their retries (RQ's failed-job registry is the dead-letter list), and putting them back.

Usage::

    for letter in dead_letters(redis, settings): print(letter.job_id, letter.error)
    retry_dead_letter(redis, settings, job_id)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import redis as redis_lib
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from config import Settings
from wechat.jobs.queues import QUEUES, get_queue


@dataclass(frozen=True)
class DeadLetter:
    job_id: str
    queue: str
    func: str
    error: str  # last line of the exception: the errcode, never the arguments


def failed_registries(redis: redis_lib.Redis, settings: Settings) -> Iterator[tuple[str, FailedJobRegistry]]:
    """(queue name, failed-job registry) for each of this account's queues."""
    for name in QUEUES:
        yield name, FailedJobRegistry(queue=get_queue(redis, settings, name))


def job_status(redis: redis_lib.Redis, job_id: str) -> str | None:
    """RQ status of a job by its RQ id (queued, started, finished, failed, scheduled, ...), None if unknown."""
    try:
        status = Job.fetch(job_id, connection=redis, serializer=JSONSerializer).get_status()
        return getattr(status, "value", status)
    except Exception:  # noqa: BLE001 - rq raises NoSuchJobError or a deserialisation error
        return None


def dead_letters(redis: redis_lib.Redis, settings: Settings) -> list[DeadLetter]:
    found = []
    for name, registry in failed_registries(redis, settings):
        for job_id in registry.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
            except Exception:  # noqa: BLE001
                continue
            result = job.latest_result()
            lines = [line for line in ((result.exc_string if result else "") or "").strip().splitlines() if line.strip()]
            found.append(DeadLetter(job_id, name, job.func_name, lines[-1] if lines else ""))
    return found


def retry_dead_letter(redis: redis_lib.Redis, settings: Settings, job_id: str) -> bool:
    """Put one dead letter back on its queue; False when no such dead letter exists."""
    for _name, registry in failed_registries(redis, settings):
        if job_id in registry.get_job_ids():
            registry.requeue(job_id)
            return True
    return False


def retry_all_dead_letters(redis: redis_lib.Redis, settings: Settings) -> int:
    return sum(retry_dead_letter(redis, settings, letter.job_id) for letter in dead_letters(redis, settings))


def forget_dead_letter(redis: redis_lib.Redis, settings: Settings, job_id: str) -> None:
    """Drop a job from the failed registries (a newer job replaces it), so it is not listed twice."""
    for _name, registry in failed_registries(redis, settings):
        if job_id in registry.get_job_ids():
            registry.remove(job_id)
