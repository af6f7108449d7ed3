"""The worker process (Procfile ``worker:``): runs queued jobs with RQ's scheduler, which retries with backoff need.

Usage::

    run_worker(settings)                      # flask --app app worker
    run_worker(settings, burst=True)          # drain the queues and exit (tests, cron)
"""
from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import dataclass
from typing import Any, Mapping

import redis as redis_lib
from rq import Worker
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.utils import import_attribute

from config import Settings
from wechat.jobs.queues import QUEUES, get_queue, namespace
from wechat.jobs.runtime import set_runtime
from wechat.redis_conn import resolve_url

log = logging.getLogger(__name__)

# Jobs queued before a function moved keep their old dotted name in Redis; the worker runs them under the new one.
ENGINE_RENAMES = {
    "wechat.jobs.send_template_job": "wechat.templates.send_template_job",
    "wechat.jobs.send_custom_job": "wechat.custom_messages.send_custom_job",
    "wechat.jobs.send_deferred_answer": "wechat.custom_messages.send_deferred_answer",
}


@dataclass(frozen=True)
class WorkerTuning:
    """How fast a dead worker's job is noticed and re-run: about ``job_monitoring_interval + heartbeat_grace``
    after the crash, at the next maintenance pass of any worker (every ``maintenance_interval`` seconds or at
    a worker's start). RQ's defaults (60 s grace, 10 min maintenance) are slow for answers users wait for."""

    job_monitoring_interval: int = 10
    heartbeat_grace: int = 20
    maintenance_interval: int = 60
    worker_ttl: int = 60


def renaming_job_class(renames: Mapping[str, str]) -> type[Job]:
    """An RQ Job class that imports a renamed function under its new name."""
    table = dict(renames)

    class RenamingJob(Job):
        @property
        def func(self) -> Any:
            name = self.func_name
            if name in table:
                return import_attribute(table[name])
            return super().func

    return RenamingJob


class OutboundWorker(Worker):
    """RQ's forking worker with a shorter heartbeat, and one WARNING line for a failure that will be retried.

    RQ logs every failed attempt as an ERROR with a traceback; an expected, scheduled retry (the CRM is down
    for a minute) is not an error. The last attempt's failure still is, with its traceback.
    """

    heartbeat_grace = 20

    def get_heartbeat_ttl(self, job: Job) -> int:
        if job.timeout and job.timeout > 0:
            remaining = job.timeout - self.current_job_working_time
            return int(max(1, min(remaining, self.job_monitoring_interval))) + self.heartbeat_grace
        return self.job_monitoring_interval + self.heartbeat_grace

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        reason = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip().splitlines()[-1]
        try:
            func_name = job.func_name
        except Exception:  # noqa: BLE001 - an undeserialisable job still gets its line
            func_name = "?"
        if job.retries_left:
            log.warning("job %s (%s) failed, will retry (%d left): %s", job.id, func_name, job.retries_left, reason)
        else:
            log.error("job %s (%s) failed with no retries left: %s\n%s", job.id, func_name, reason,
                      "".join(traceback.format_exception(*exc_info)).rstrip())
        for handler in self._exc_handlers:
            if handler(job, *exc_info) is False:
                break


def worker_connection(settings: Settings) -> redis_lib.Redis:
    """RQ blocks on BLMOVE for up to a minute; the web tier's 0.5 s socket timeout would break that."""
    return redis_lib.Redis.from_url(resolve_url(settings), socket_connect_timeout=5, health_check_interval=30)


def build_worker(settings: Settings, tuning: WorkerTuning = WorkerTuning(),
                 connection: redis_lib.Redis | None = None, renames: Mapping[str, str] | None = None) -> OutboundWorker:
    connection = connection or worker_connection(settings)
    queues = [get_queue(connection, settings, name) for name in QUEUES]
    name = f"{namespace(settings.key_prefix)}-{socket.gethostname()}-{os.getpid()}"
    worker = OutboundWorker(queues, connection=connection, serializer=JSONSerializer, name=name,
                            job_class=renaming_job_class({**ENGINE_RENAMES, **(renames or {})}),
                            job_monitoring_interval=tuning.job_monitoring_interval,
                            maintenance_interval=tuning.maintenance_interval, worker_ttl=tuning.worker_ttl)
    worker.heartbeat_grace = tuning.heartbeat_grace
    return worker


def run_worker(settings: Settings, burst: bool = False, tuning: WorkerTuning = WorkerTuning(),
               renames: Mapping[str, str] | None = None) -> bool:
    """Run the worker on this account's queues; returns whether any job ran."""
    set_runtime(settings)  # jobs use these settings; forked work horses inherit the connections
    worker = build_worker(settings, tuning, renames=renames)
    return worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
