"""The draft: one per account, a whole content bundle in Redis that becomes live only when published.

It starts as a copy of the live version. Every save names the draft revision its form was loaded from:
when someone else saved in between, the save is refused (``StaleDraft``) and the caller keeps the
submitted form, so nothing is lost and nobody's work is silently overwritten (optimistic concurrency).
Editing the draft never touches the live version, so the webhook pays nothing for it.

Usage::

    drafts = DraftStore(redis, keys, versions)
    draft = drafts.load()                                   # Draft(bundle, rev, base, author, at)
    draft = drafts.save({"rules.yaml": text}, rev=draft.rev, author="mei")   # None as text removes a file
    drafts.reset()                                          # back to the live version (after publish)
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping

import redis as redis_lib

from library.bundle import Bundle, pack, unpack
from library.versions import VersionStore
from wechat.redis_conn import Keys


class StaleDraft(Exception):
    """The form was loaded from an older revision than the draft has now."""

    def __init__(self, current: "Draft"):
        self.current = current
        super().__init__(f"the draft is at revision {current.rev} (saved by {current.author})")


@dataclass(frozen=True)
class Draft:
    bundle: Bundle
    rev: int          # increases with every save; forms carry it back
    base: int         # the live version the draft was started from
    author: str       # who saved last
    at: float         # when


class DraftStore:
    def __init__(self, redis: redis_lib.Redis, keys: Keys, versions: VersionStore):
        self.redis = redis
        self.key = keys("console", "draft")
        # Revisions keep counting across resets, so a form from a discarded draft can never match a new one.
        self.seq_key = keys("console", "draft", "seq")
        self.versions = versions

    def load(self) -> Draft:
        raw = self.redis.hgetall(self.key)
        if raw:
            return self._decode(raw)
        return self._start()

    def _start(self) -> Draft:
        """Copy the live version into a new draft; if another request started one first, use theirs."""
        base = self.versions.current_number() or 0
        bundle = (self.versions.bundle(base) if base else None) or {}
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.key, self.seq_key)
                    if pipe.exists(self.key):
                        pipe.unwatch()
                        return self._decode(self.redis.hgetall(self.key))
                    rev = int(pipe.get(self.seq_key) or 0) + 1
                    now = time.time()
                    pipe.multi()
                    pipe.set(self.seq_key, rev)
                    pipe.hset(self.key, mapping={"bundle": pack(bundle), "rev": rev, "base": base, "author": "",
                                                 "at": repr(now)})
                    pipe.execute()
                    return Draft(bundle, rev, base, "", now)
                except redis_lib.WatchError:
                    continue

    @staticmethod
    def _decode(raw: Mapping[bytes, bytes]) -> Draft:
        return Draft(unpack(raw[b"bundle"]), int(raw[b"rev"]), int(raw.get(b"base") or 0),
                     (raw.get(b"author") or b"").decode(), float(raw.get(b"at") or 0))

    def save(self, changes: Mapping[str, str | None], *, rev: int, author: str) -> Draft:
        """Apply ``{path: new text or None}`` if the draft is still at ``rev``; else raise ``StaleDraft``."""
        self.load()    # make sure it exists
        if not changes:
            raise ValueError("nothing to save")
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.key, self.seq_key)
                    current = self._decode(pipe.hgetall(self.key))
                    if current.rev != rev:
                        pipe.unwatch()
                        raise StaleDraft(current)
                    new_rev = int(pipe.get(self.seq_key) or 0) + 1
                    bundle = dict(current.bundle)
                    for path, text in changes.items():
                        if text is None:
                            bundle.pop(path, None)
                        else:
                            bundle[path] = text
                    bundle = dict(sorted(bundle.items()))
                    now = time.time()
                    pipe.multi()
                    pipe.set(self.seq_key, new_rev)
                    pipe.hset(self.key, mapping={"bundle": pack(bundle), "rev": new_rev, "author": author,
                                                 "at": repr(now)})
                    pipe.execute()
                    return Draft(bundle, new_rev, current.base, author, now)
                except redis_lib.WatchError:
                    continue   # someone saved between our read and write: re-read, and refuse if stale

    def reset(self) -> None:
        """Drop the draft; the next ``load`` copies the live version again."""
        self.redis.delete(self.key)
