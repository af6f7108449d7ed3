"""Immutable, numbered content versions in Redis and the pointer to the live one.

Keys (under the account's prefix): ``content:seq`` last number issued, ``content:current`` the live
number (read by the claim script on every message, so workers notice a publish for free),
``content:v:<n>`` a hash (bundle, author, created_at, summary, checksum), ``content:log`` a list of
publish/rollback events. Publishing and rollback are WATCH/MULTI transactions: a version is stored
and made current together or not at all.

Usage::

    store = VersionStore(redis, Keys("wxbot:"))
    n = store.publish(bundle, author="mei", summary="new KOL article")
    store.rollback(n - 1, author="mei"); store.current_number()
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis as redis_lib

from library.bundle import Bundle, checksum, pack, unpack
from wechat.redis_conn import Keys

_FIELDS = ("author", "created_at", "summary", "checksum")


@dataclass(frozen=True)
class VersionInfo:
    number: int
    author: str
    created_at: float
    summary: str
    checksum: str


class VersionStore:
    def __init__(self, redis: redis_lib.Redis, keys: Keys):
        self.redis = redis
        self.keys = keys
        self.current_key = keys.content_current()
        self.seq_key = keys("content", "seq")
        self.log_key = keys("content", "log")

    def version_key(self, number: int) -> str:
        return self.keys("content", "v", str(number))

    # -- reading -------------------------------------------------------------------------------
    def current_number(self) -> int | None:
        raw = self.redis.get(self.current_key)
        return int(raw) if raw else None

    def bundle(self, number: int) -> Bundle | None:
        packed = self.redis.hget(self.version_key(number), "bundle")
        return unpack(packed) if packed else None

    def info(self, number: int) -> VersionInfo | None:
        return self._info(number, self.redis.hmget(self.version_key(number), *_FIELDS))

    def list(self) -> list[VersionInfo]:
        last = int(self.redis.get(self.seq_key) or 0)
        pipe = self.redis.pipeline(transaction=False)
        for number in range(1, last + 1):
            pipe.hmget(self.version_key(number), *_FIELDS)
        return [info for number, raw in zip(range(1, last + 1), pipe.execute(), strict=True)
                if (info := self._info(number, raw)) is not None]

    def log(self, limit: int = 50) -> list[dict]:
        return [json.loads(raw) for raw in self.redis.lrange(self.log_key, -limit, -1)]

    @staticmethod
    def _info(number: int, raw: list[bytes | None]) -> VersionInfo | None:
        if raw[0] is None and raw[3] is None:
            return None
        author, created, summary, digest = (v.decode("utf-8") if v else "" for v in raw)
        return VersionInfo(number, author, float(created or 0), summary, digest)

    # -- writing -------------------------------------------------------------------------------
    def publish(self, bundle: Bundle, *, author: str, summary: str) -> int:
        """Store ``bundle`` as the next version and make it live, atomically. The caller has checked it."""
        return self._store(bundle, author=author, summary=summary, only_if_empty=False) or 0

    def seed(self, bundle: Bundle, *, author: str = "seed") -> int | None:
        """Store ``bundle`` as version 1 unless any version exists; safe when many processes start at once."""
        return self._store(bundle, author=author, summary="seeded from content files", only_if_empty=True)

    def _store(self, bundle: Bundle, *, author: str, summary: str, only_if_empty: bool) -> int | None:
        packed, digest = pack(bundle), checksum(bundle)
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.seq_key)
                    last = pipe.get(self.seq_key)
                    if only_if_empty and last is not None:
                        pipe.unwatch()
                        return None
                    number = int(last or 0) + 1
                    now = time.time()
                    pipe.multi()
                    pipe.hset(self.version_key(number), mapping={
                        "bundle": packed, "author": author, "created_at": repr(now), "summary": summary,
                        "checksum": digest})
                    pipe.set(self.seq_key, number)
                    pipe.set(self.current_key, number)
                    pipe.rpush(self.log_key, json.dumps({"action": "publish", "version": number, "author": author,
                                                         "at": now}))
                    pipe.execute()
                    return number
                except redis_lib.WatchError:
                    continue   # another publish got there first: take the next number

    def rollback(self, number: int, *, author: str) -> None:
        """Make an existing version live again (versions themselves never change)."""
        key = self.version_key(number)
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key, self.current_key)
                    if not pipe.exists(key):
                        pipe.unwatch()
                        raise KeyError(f"no content version {number}")
                    previous = pipe.get(self.current_key)
                    pipe.multi()
                    pipe.set(self.current_key, number)
                    pipe.rpush(self.log_key, json.dumps({"action": "rollback", "version": number, "author": author,
                                                         "from": int(previous or 0), "at": time.time()}))
                    pipe.execute()
                    return
                except redis_lib.WatchError:
                    continue
