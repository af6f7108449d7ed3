"""Leads are kept ``LEADS_RETENTION_DAYS`` (default 730: the consent text's "at most 24 months"), then erased
by the worker exactly as "delete my data" erases them: tombstones in the log, the view and its data key
gone, an audit entry (channel ``retention``, ids only), the CRM's erasure notice, an AOF rewrite.

A lead's age counts from its creation: an update within 24 h does not extend it, so none is kept longer
than promised. One worker runs the check per interval (a Redis lock); a run erases at most ``limit``
leads and the next run goes on, so a worker's shutdown never waits long for it.

Usage::

    expire_leads(redis, settings, now=time.time())      # -> erased lead ids
    task = start_retention(settings)                    # in the worker: hourly; task.stop() at shutdown
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import redis as redis_lib

from config import Settings
from leads.delivery import enqueue_erasure
from leads.store import LeadStore
from privacy.aof import request_rewrite
from wechat.jobs import Periodic
from wechat.redis_conn import Keys, connect

log = logging.getLogger(__name__)

CHECK_EVERY_S = 3600.0
BATCH = 100
MAX_PER_RUN = 5000


def expire_leads(redis: redis_lib.Redis, settings: Settings, *, now: float, batch: int = BATCH,
                 limit: int = MAX_PER_RUN, should_stop: Callable[[], bool] = lambda: False) -> list[str]:
    """Erase every lead created more than ``LEADS_RETENTION_DAYS`` before ``now``; return their ids."""
    keys = Keys(settings.key_prefix)
    store = LeadStore(redis, keys, clock=lambda: now)
    cutoff = now - settings.leads_retention_days * 86400
    erased: list[str] = []
    while len(erased) < limit and not should_stop():
        due = store.created_before(cutoff, min(batch, limit - len(erased)))
        if not due:
            break
        done = store.erase_leads(due, channel="retention")
        for lead_id in done:
            enqueue_erasure(redis, settings, lead_id)     # the CRM forgets it too (ids only)
        erased += done
    if erased:
        request_rewrite(redis, keys, now=now, settle=0)    # and Redis's append-only file
        log.info("retention: erased %d lead(s) older than %d days", len(erased), settings.leads_retention_days)
    return erased


def start_retention(settings: Settings, interval: float = CHECK_EVERY_S,
                    clock: Callable[[], float] = time.time) -> Periodic:
    """Erase expired leads every ``interval`` seconds, in one worker process at a time."""
    redis = connect(settings)
    task: Periodic

    def run() -> None:
        expire_leads(redis, settings, now=clock(), should_stop=lambda: task.stopping)

    task = Periodic("lead-retention", interval, run, redis=redis,
                    lock_key=Keys(settings.key_prefix)("privacy", "retention-running"))
    return task.start()
