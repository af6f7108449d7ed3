"""Say when Redis could lose a confirmed lead: a follower is thanked once Redis stored it, so Redis must keep it."""
from __future__ import annotations

import logging

import redis as redis_lib

log = logging.getLogger(__name__)

_checked: set[int] = set()


def warn_without_aof(redis: redis_lib.Redis) -> None:
    """Log once per process and server when Redis runs without an append-only file (see README, persistence)."""
    pool = id(redis.connection_pool)
    if pool in _checked:
        return
    _checked.add(pool)
    try:
        value = redis.config_get("appendonly").get("appendonly")
    except Exception:  # noqa: BLE001 - managed Redis often refuses CONFIG; nothing to say then
        return
    if value in ("no", b"no"):
        log.warning("Redis has appendonly=no: leads confirmed since the last snapshot are lost if Redis restarts "
                    "(set appendonly yes, appendfsync always; see README, persistence)")
