"""Queue names and job ids, namespaced by the account's key prefix so accounts and test runs share one Redis.

Usage::

    get_queue(redis, settings, REALTIME)       # RQ queue "wxbot:realtime", JSON-serialised jobs
    rq_job_id("wxbot:", "lead-ab12-r1")        # "wxbot-lead-ab12-r1"
"""
from __future__ import annotations

import hashlib
import re

import redis as redis_lib
from rq import Queue
from rq.serializers import JSONSerializer

from config import Settings

# Worker order is priority: deferred answers must beat WeChat's 1-minute window after a menu click.
REALTIME = "realtime"
DEFAULT = "default"
QUEUES = (REALTIME, DEFAULT)
DEFAULT_TIMEOUT = 120


def namespace(key_prefix: str) -> str:
    """``wxbot:`` -> ``wxbot``: RQ job ids allow only letters, digits, ``_`` and ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", key_prefix).strip("-") or "wxbot"


def queue_name(settings: Settings, name: str = DEFAULT) -> str:
    return f"{settings.key_prefix}{name}"


def rq_job_id(key_prefix: str, job_id: str) -> str:
    """The RQ id for a caller's job id: kept readable when RQ allows it, else a digest."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", job_id):
        job_id = hashlib.sha256(job_id.encode("utf-8")).hexdigest()[:40]
    return f"{namespace(key_prefix)}-{job_id}"


def get_queue(redis: redis_lib.Redis, settings: Settings, name: str = DEFAULT) -> Queue:
    return Queue(queue_name(settings, name), connection=redis, serializer=JSONSerializer,
                 default_timeout=DEFAULT_TIMEOUT)
