"""Who did what in the console: saved the draft, published, rolled back, published the menu, exported leads.

One Redis list, ``console:audit``, newest first, capped at ``KEEP`` entries. Entries hold names, ids and
counts only: never a phone number, an email or a follower's words.

Usage::

    audit.record("mei", "publish", "version 7: new KOL article")
    audit.entries(limit=100)   # [AuditEntry(at, user, action, detail), ...]
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis as redis_lib

from wechat.redis_conn import Keys

KEEP = 5000
ACTIONS = ("login", "draft.save", "draft.discard", "publish", "rollback", "menu.publish", "leads.export",
           "leads.retry", "leads.erase", "user.add", "user.disable")


@dataclass(frozen=True)
class AuditEntry:
    at: float
    user: str
    action: str
    detail: str


class AuditLog:
    def __init__(self, redis: redis_lib.Redis, keys: Keys):
        self.redis = redis
        self.key = keys("console", "audit")

    def record(self, user: str, action: str, detail: str = "") -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; add it to console.audit.ACTIONS")
        entry = json.dumps({"at": time.time(), "user": user, "action": action, "detail": detail[:500]},
                           ensure_ascii=False)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(self.key, entry)
            pipe.ltrim(self.key, 0, KEEP - 1)
            pipe.execute()

    def entries(self, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
        raw = self.redis.lrange(self.key, 0, (KEEP if action else limit) - 1)
        items = [AuditEntry(**json.loads(r)) for r in raw]
        if action:
            items = [e for e in items if e.action == action][:limit]
        return items
