"""Erased data leaves Redis's files: each erasure asks for a rewrite of the append-only file (AOF), and the
worker runs ``BGREWRITEAOF`` at most once per ``REDIS_AOF_REWRITE_INTERVAL_SECONDS``.

Redis appends every write to its AOF, so a deleted conversation, lead or cached reply stays in the file,
in clear, until Redis rewrites the file from what it holds now. A request is due once the follower's
retry claims (keys that name the openid for ``DEDUPE_TTL_SECONDS``) have expired, so the rewritten
file holds no trace of them either. Managed Redis services often refuse the command (renamed or
forbidden); the rewriter then says so once per process and leaves the file to the provider (README).

Keys: ``privacy:aof-requests`` (sorted set of due times), ``privacy:aof-spacing`` (exists while the last
rewrite is less than one interval old).

Usage::

    request_rewrite(redis, keys, now=time.time(), settle=settle_seconds(settings))   # with every erasure
    start_aof_rewriter(settings)                                                     # in the worker
"""
from __future__ import annotations

import logging
import math
import time
from typing import Callable

import redis as redis_lib

from config import Settings
from wechat.jobs import Periodic
from wechat.redis_conn import Keys, connect

log = logging.getLogger(__name__)

TICK_S = 30.0             # how often the worker looks for due requests
SETTLE_MARGIN_S = 10      # after the retry claims' TTL: the follower lock (5 s) and clocks a little apart


def settle_seconds(settings: Settings) -> int:
    """How long after an erasure the rewrite waits: until the follower's retry claims have expired."""
    return settings.dedupe_ttl + SETTLE_MARGIN_S


def _requests(keys: Keys) -> str:
    return keys("privacy", "aof-requests")


def request_rewrite(redis: redis_lib.Redis, keys: Keys, *, now: float, settle: float) -> None:
    """Ask the worker to rewrite the AOF once ``settle`` seconds have passed (one command, no round trip
    more than the erasure's own)."""
    due = math.ceil(now + settle)
    redis.zadd(_requests(keys), {str(due): due})


class AofRewriter:
    """One ``tick`` per worker interval: start a rewrite when a request is due and none ran within ``interval``.

    ``tick`` returns what it did: ``idle`` (nothing due), ``waiting`` (a rewrite ran less than an interval
    ago), ``started``, ``busy`` (Redis is rewriting already: try again next tick), ``no-aof`` (Redis keeps
    no AOF) or ``refused`` (the server does not allow BGREWRITEAOF).
    """

    def __init__(self, redis: redis_lib.Redis, keys: Keys, interval: int, clock: Callable[[], float] = time.time):
        self.redis = redis
        self.keys = keys
        self.interval = interval
        self.clock = clock
        self._said_refused = False

    def due(self, now: float) -> bool:
        return bool(self.redis.zrangebyscore(_requests(self.keys), "-inf", now, start=0, num=1))

    def tick(self) -> str:
        now = self.clock()
        if not self.due(now):
            return "idle"
        spacing = self.keys("privacy", "aof-spacing")
        if not self.redis.set(spacing, f"{now:.0f}", nx=True, ex=self.interval):
            return "waiting"
        if not self._aof_enabled():
            self._forget_requests(now)
            return "no-aof"
        try:
            self.redis.bgrewriteaof()
        except redis_lib.ResponseError as exc:
            if "in progress" in str(exc).lower():     # it began before these erasures were due: not enough
                self.redis.delete(spacing)
                return "busy"
            if not self._said_refused:
                log.warning("Redis refused BGREWRITEAOF (%s): erased data stays in its append-only file until the "
                            "server rewrites it by itself; see README, privacy", exc)
                self._said_refused = True
            self._forget_requests(now)
            return "refused"
        self._forget_requests(now)
        log.info("erased data: Redis is rewriting its append-only file")
        return "started"

    def _aof_enabled(self) -> bool:
        try:
            return str(self.redis.info("persistence").get("aof_enabled", 1)) != "0"
        except redis_lib.ResponseError:   # INFO refused: try the rewrite and let Redis say
            return True

    def _forget_requests(self, now: float) -> None:
        """Requests due by ``now`` are covered by this rewrite; later ones wait for the next."""
        self.redis.zremrangebyscore(_requests(self.keys), "-inf", now)


def start_aof_rewriter(settings: Settings, tick: float = TICK_S, clock: Callable[[], float] = time.time) -> Periodic:
    """Look for due rewrite requests every ``tick`` seconds in a thread of the worker process."""
    rewriter = AofRewriter(connect(settings), Keys(settings.key_prefix), settings.aof_rewrite_interval, clock)
    return Periodic("aof-rewriter", tick, rewriter.tick).start()
