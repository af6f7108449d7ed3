"""Retry claims, cached replies, conversations and per-follower locks in as few Redis round trips as possible.

One message costs one round trip the follower waits for: ``claim`` (dedupe SET NX + follower lock +
conversation + live content version, one Lua call). ``finish`` (cache reply + save conversation if
changed + unlock, plus extra commands such as analytics counters) is written without waiting for
Redis to answer; see ``wechat/redis_pipe.py``.

Usage::

    claim = store.claim(msg.dedupe_key, msg.openid)
    if claim.duplicate: body = store.wait_for_reply(msg.dedupe_key)
    ...
    store.finish(claim, reply_body, conversation.dump())
"""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable

import redis as redis_lib

from wechat.conversation import Conversation
from wechat.redis_conn import Breaker, Keys
from wechat.redis_pipe import DeferredPipe

log = logging.getLogger(__name__)

PENDING = b"P"
REPLY_PREFIX = b"R"
# A handler holds the follower's lock at most this long; WeChat gives up on a try after 5 s anyway.
LOCK_TTL_MS = 5000
LOCK_WAIT_S = 4.0
REPLY_WAIT_S = 4.5
POLL_S = 0.02

# KEYS: seen, conv, lock, content version. ARGV: dedupe ttl ms, lock token, lock ttl ms.
_CLAIM = """
if not redis.call('SET', KEYS[1], 'P', 'NX', 'PX', ARGV[1]) then
  return {0, redis.call('GET', KEYS[1]), 0, redis.call('GET', KEYS[4])}
end
local locked = redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) and 1 or 0
return {1, redis.call('GET', KEYS[2]), locked, redis.call('GET', KEYS[4])}
"""
# KEYS: seen, conv, lock. ARGV: reply, dedupe ttl ms, conv mode (set|del|touch|keep), conv json, conv ttl s, token.
_FINISH = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] == 'set' then redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
elseif ARGV[3] == 'del' then redis.call('DEL', KEYS[2])
elseif ARGV[3] == 'touch' then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
if ARGV[6] ~= '' and redis.call('GET', KEYS[3]) == ARGV[6] then redis.call('DEL', KEYS[3]) end
return 1
"""


@dataclass
class Claim:
    """What ``claim`` learned: whether we own the message, the follower's conversation, the live content version."""

    dedupe_key: str
    openid: str
    owned: bool                       # False: a retry of a message another try already claimed
    conversation_raw: bytes | None = None   # as stored; ``Conversation.load`` reads it
    lock_token: str = ""
    cached: bytes | None = None       # on a duplicate: the cached reply or PENDING
    content_version: int | None = None
    redis_ok: bool = True             # False: Redis was unreachable and we fail open

    @property
    def duplicate(self) -> bool:
        return not self.owned


class ConversationStore:
    """Dedupe claims, conversation state and reply cache, shared by every worker and host through Redis."""

    def __init__(self, redis: redis_lib.Redis, keys: Keys, *, dedupe_ttl: int, session_ttl: int,
                 breaker: Breaker | None = None):
        self.redis = redis
        self.keys = keys
        self.dedupe_ttl_ms = dedupe_ttl * 1000
        self.session_ttl = session_ttl
        self.breaker = breaker or Breaker()
        self.pipe = DeferredPipe(redis, scripts=[_CLAIM, _FINISH])

    # -- step 3: claim -------------------------------------------------------------------------
    def claim(self, dedupe_key: str, openid: str) -> Claim:
        """Claim the message atomically; on Redis failure fail open (handle it, warn) rather than drop it."""
        if not self.breaker.closed():
            return Claim(dedupe_key, openid, owned=True, redis_ok=False)
        token = secrets.token_hex(8)
        keys = [self.keys.seen(dedupe_key), self.keys.conv(openid), self.keys.lock(openid), self.keys.content_current()]
        try:
            result = self.pipe.call([self.pipe.evalsha(_CLAIM, keys, [self.dedupe_ttl_ms, token, LOCK_TTL_MS])])[0]
            if isinstance(result, Exception):
                raise result
            owned, conv_raw, locked, version = result
            if owned and not locked:
                conv_raw = self._wait_for_lock(openid, token)
        except redis_lib.RedisError:
            self.breaker.trip()
            log.warning("dedupe unavailable (redis down); handling message without a claim")
            return Claim(dedupe_key, openid, owned=True, redis_ok=False)
        version_num = int(version) if version else None
        if not owned:
            return Claim(dedupe_key, openid, owned=False, cached=conv_raw, content_version=version_num)
        return Claim(dedupe_key, openid, owned=True, conversation_raw=conv_raw, lock_token=token,
                     content_version=version_num)

    def _wait_for_lock(self, openid: str, token: str) -> bytes | None:
        """Another message from this follower is being handled: wait for it so state changes never interleave."""
        deadline = time.monotonic() + LOCK_WAIT_S
        lock_key = self.keys.lock(openid)
        while time.monotonic() < deadline:
            time.sleep(POLL_S)
            if self.redis.set(lock_key, token, nx=True, px=LOCK_TTL_MS):
                return self.redis.get(self.keys.conv(openid))
        # The other handler overran WeChat's 5 s; its lock expires by itself. Proceed with the latest state.
        log.warning("follower lock still held after %.1fs; proceeding", LOCK_WAIT_S)
        return self.redis.get(self.keys.conv(openid))

    def wait_for_reply(self, dedupe_key: str, first: bytes | None) -> bytes | None:
        """A retry of a message still in flight: wait (bounded) for the first try's reply instead of rerunning it."""
        value = first
        deadline = time.monotonic() + REPLY_WAIT_S
        while True:
            if value is None:          # the claim expired: nothing to return, answer success
                return None
            if value.startswith(REPLY_PREFIX):
                return value[len(REPLY_PREFIX):]
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_S)
            try:
                value = self.redis.get(self.keys.seen(dedupe_key))
            except redis_lib.RedisError:
                self.breaker.trip()
                return None

    # -- step 5: persist -------------------------------------------------------------------------
    def finish(self, claim: Claim, reply_body: str, new_raw: bytes | None,
               extra: Callable[[redis_lib.client.Pipeline], None] | None = None) -> None:
        """Cache the reply for retries, save the conversation (``new_raw``: its JSON, None to delete it) only if
        it changed, release the lock: one round trip."""
        if not claim.redis_ok or not self.breaker.closed():
            return
        if new_raw is None:
            mode = "del" if claim.conversation_raw else "keep"
        elif claim.conversation_raw is not None and new_raw == claim.conversation_raw:
            mode = "touch"
        else:
            mode = "set"
        keys = [self.keys.seen(claim.dedupe_key), self.keys.conv(claim.openid), self.keys.lock(claim.openid)]
        args = [REPLY_PREFIX + reply_body.encode("utf-8"), self.dedupe_ttl_ms, mode, new_raw or b"",
                self.session_ttl, claim.lock_token]
        try:
            self._execute_finish(keys, args, extra)
        except redis_lib.RedisError:
            self.breaker.trip()
            log.warning("could not cache reply or save conversation (redis down)")

    def _execute_finish(self, keys: list[str], args: list[Any],
                        extra: Callable[[redis_lib.client.Pipeline], None] | None) -> None:
        commands = [self.pipe.evalsha(_FINISH, keys, args)]
        if extra is not None:
            collector = self.redis.pipeline(transaction=False)   # hooks add commands with redis-py's API
            extra(collector)
            commands.extend(args for args, _options in collector.command_stack)
        self.pipe.send_later(commands)

    def load(self, openid: str) -> Conversation:
        """Read a follower's conversation outside the webhook (CLI, console, tests)."""
        return Conversation.load(self.redis.get(self.keys.conv(openid)))
