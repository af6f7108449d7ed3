"""The live content of this process: follows the published version, never serves invalid content.

The claim Lua script already returns ``content:current`` with every message, so ``current(hint)``
costs nothing until a publish changes the number; then this process loads that version once (one
Redis read), compiles it, and switches. If Redis is down or a version cannot be loaded, it keeps
serving what it has.

Usage::

    library = ContentLibrary.open(redis, Keys("wxbot:"), "content", needs)  # seeds version 1 from files if none
    content = library.current(claim.content_version)
    library.version                                                 # live version (0: files, unpublished)
    library.latest()          # a worker without a claim: asks Redis for the live number, then as current()

``needs`` is what the account's code asks of content (``library.needs``): a version that lacks any of it
is never served, like a version with any other error.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import replace

import redis as redis_lib

from library.bundle import checksum, read_dir
from library.compiled import Content, compile_bundle
from library.issues import ContentInvalid
from library.needs import NO_NEEDS, ContentNeeds
from library.search import jieba_tokenizer
from library.versions import VersionStore
from wechat.language import LANGUAGES
from wechat.redis_conn import Keys

log = logging.getLogger(__name__)

CACHED_VERSIONS = 4
RETRY_REDIS_S = 0.2       # a failed load is retried soon: workers must switch within 1 s of a publish
RETRY_INVALID_S = 60.0    # a version this code cannot load will not become loadable by retrying at once
REFRESH_S = 0.25          # ``version`` on an idle worker (e.g. /healthz) looks at Redis at most this often
REDIS_DOWN_BACKOFF_S = 5.0


class ContentLibrary:
    def __init__(self, content: Content, *, store: VersionStore | None = None, directory: str | None = None,
                 needs: ContentNeeds = NO_NEEDS, search: bool = True):
        self._content = content
        self.store = store
        self.directory = directory
        self.needs = needs
        self.search = search          # build search indexes when a version goes live (the webhook; not the worker)
        self._cache: OrderedDict[int, Content] = OrderedDict({content.version: content})
        self._retry_after: dict[int, float] = {}
        self._switch_lock = threading.Lock()
        self._checked_at = time.monotonic()

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_directory(cls, directory: str, needs: ContentNeeds = NO_NEEDS) -> "ContentLibrary":
        """Serve the files in ``directory`` as version 0, without Redis (CLI checks, tests)."""
        return cls(compile_bundle(read_dir(directory), version=0, needs=needs), directory=directory, needs=needs)

    @classmethod
    def open(cls, redis: redis_lib.Redis, keys: Keys, directory: str, needs: ContentNeeds = NO_NEEDS, *,
             search: bool = True) -> "ContentLibrary":
        """Serve the published version (see ``_open``), with jieba loaded now rather than on a follower's question.

        Loading it here (~0.5 s, once per process, no thread) keeps a preforking server safe: nothing is
        half-initialised or locked when gunicorn forks. ``search=False`` (the worker) skips it.
        """
        library = cls._open(redis, keys, directory, needs, search)
        if search:
            jieba_tokenizer()
            warm(library.current())   # the first follower's question must not pay for the search index
        return library

    @classmethod
    def _open(cls, redis: redis_lib.Redis, keys: Keys, directory: str, needs: ContentNeeds,
              search: bool) -> "ContentLibrary":
        """Serve the published version; seed version 1 from ``directory`` if none exists yet.

        Redis down: serve the files as version 0 and switch when a version number arrives.
        """
        store = VersionStore(redis, keys)
        files: list[Content | None] = []          # compiled at most once, and only when needed
        options = {"store": store, "directory": directory, "needs": needs, "search": search}

        def from_files() -> Content | None:
            if not files:
                files.append(_compile_files(directory, needs))
            return files[0]

        try:
            number = store.current_number()
            if number is None and from_files() is not None:
                store.seed(from_files().bundle)
                number = store.current_number()
            bundle = store.bundle(number) if number is not None else None
            if bundle is not None and number is not None:
                if files and files[0] is not None and checksum(bundle) == files[0].checksum:
                    return cls(replace(files[0], version=number), **options)
                try:
                    return cls(compile_bundle(bundle, version=number, needs=needs), **options)
                except ContentInvalid as exc:
                    log.error("live content version %d is invalid; serving files from %s: %s", number, directory, exc)
        except redis_lib.RedisError as exc:
            log.warning("content versions unavailable (%s); serving files from %s", type(exc).__name__, directory)
        content = from_files()
        if content is None:
            log.error("no valid content: nothing usable is published and the files in %s fail the check; every "
                      "message gets the 'busy' text until valid content is published (run: flask --app app "
                      "content check)", directory)
            content = emergency_content(needs)
        return cls(content, **options)

    # -- serving ---------------------------------------------------------------------------------
    def current(self, version_hint: int | None = None) -> Content:
        """The content to answer with; ``version_hint`` is the live number read with the message's claim."""
        content = self._content
        if version_hint is None or version_hint == content.version or self.store is None:
            if version_hint is None and content.version <= 0 and self.store is not None:
                self._seed_late()
            return content
        return self._switch(version_hint)

    def latest(self) -> Content:
        """The live version, asking Redis for its number first (a worker has no message claim to read it from)."""
        if self.store is None:
            return self._content
        try:
            number = self.store.current_number()
        except redis_lib.RedisError:
            return self._content
        return self.current(number)

    @property
    def version(self) -> int:
        """The live version; on an idle worker it asks Redis (rate limited) so /healthz is never stale."""
        if self.store is not None and time.monotonic() - self._checked_at > REFRESH_S:
            self._checked_at = time.monotonic()
            try:
                number = self.store.current_number()
            except redis_lib.RedisError:
                number = None
                self._checked_at += REDIS_DOWN_BACKOFF_S     # do not pay a connect timeout on every health check
            if number is not None and number != self._content.version:
                self._switch(number)
        return self._content.version

    def _switch(self, number: int) -> Content:
        self._checked_at = time.monotonic()
        if time.monotonic() < self._retry_after.get(number, 0.0):
            return self._content
        if not self._switch_lock.acquire(blocking=False):
            return self._content       # another thread is loading it; this message keeps the current version
        try:
            loaded = self._load(number)
            if loaded is not None:
                if loaded.version != self._content.version:
                    log.info("content version %d live (was %d)", number, self._content.version)
                self._content = loaded
            return self._content
        finally:
            self._switch_lock.release()

    def _load(self, number: int) -> Content | None:
        cached = self._cache.get(number)
        if cached is not None:
            self._cache.move_to_end(number)
            return cached
        try:
            bundle = self.store.bundle(number) if self.store else None
            if bundle is None:
                raise ContentInvalid([])
            content = compile_bundle(bundle, version=number, needs=self.needs)
        except redis_lib.RedisError as exc:
            log.warning("cannot load content version %d (%s); keeping version %d", number,
                        type(exc).__name__, self._content.version)
            self._retry_after[number] = time.monotonic() + RETRY_REDIS_S
            return None
        except ContentInvalid as exc:
            log.error("content version %d is missing or invalid; keeping version %d: %s", number,
                      self._content.version, exc)
            self._retry_after[number] = time.monotonic() + RETRY_INVALID_S
            return None
        if self.search:
            warm(content)      # the message that switches pays for the index, not the first question after it
        self._cache[number] = content
        while len(self._cache) > CACHED_VERSIONS:
            self._cache.popitem(last=False)
        return content

    def _seed_late(self) -> None:
        """Serving files because Redis was down at start: once it is back, seed (if needed) and switch."""
        if time.monotonic() < self._retry_after.get(0, 0.0) or self.store is None or not self._content.bundle:
            return
        self._retry_after[0] = time.monotonic() + 5.0
        try:
            if self.store.current_number() is None and self._content.version == 0:
                self.store.seed(self._content.bundle)
            number = self.store.current_number()
        except redis_lib.RedisError:
            return
        if number is not None:
            self._switch(number)


def warm(content: Content) -> None:
    """Build the search indexes of ``content`` now (and initialise jieba once per process)."""
    try:
        for lang in LANGUAGES:
            content.index(lang)
    except Exception:  # a warm-up must never take a worker down; the first search will report it
        log.exception("could not warm content version %d", content.version)


def _compile_files(directory: str, needs: ContentNeeds) -> Content | None:
    try:
        return compile_bundle(read_dir(directory), version=0, needs=needs)
    except (ContentInvalid, FileNotFoundError) as exc:
        log.error("content files in %s cannot be served: %s", directory, exc)
        return None


# Said only when no valid content exists anywhere (first start with broken files and nothing published):
# the bot stays polite and the CLI still starts, so `flask content check` can show what to fix.
EMERGENCY_MESSAGES = {
    "busy": {"zh": "系统有点忙，请稍后再试一次。",
             "en": "We're a little busy right now. Please try again in a moment."},
}


def emergency_content(needs: ContentNeeds = NO_NEEDS) -> Content:
    """Every message the code asks for says "busy"; no articles, flows or templates."""
    messages = {name: dict(EMERGENCY_MESSAGES["busy"]) for name in (*needs.messages, "busy")}
    messages["more_hint"] = {"zh": "（回复「MORE」查看剩余内容）", "en": "(Reply MORE for the rest.)"}
    return Content(version=0, messages=messages)
