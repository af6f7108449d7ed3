"""Retry claims, cached replies, conversations and per-follower locks in as few Redis round trips as possible.

One message costs one round trip the follower waits for: ``claim`` (replay record + dedupe SET NX with
the owner's lease + follower lock + conversation + live content version, one Lua call). ``finish`` (cache reply + save conversation if
changed + unlock, plus extra commands such as analytics counters) is written without waiting for
Redis to answer; see ``wechat/redis_pipe.py``. A finish sent well inside its lease is three plain
commands; one sent late checks in a Lua call that nobody took the message over meanwhile.

A pending claim is a lease: its owner holds it for ``LEASE_MS``. A retry finding the lease alive waits
for the owner's reply; a retry finding it gone (the worker died) takes the claim over and runs the
handler, whose side effects stay exactly-once through job ids tied to the message. Each accepted
(timestamp, nonce) is remembered with a digest of its message for as long as the timestamp is fresh:
the same pair with the same message is a WeChat retry, with another message a forgery (``Replayed``).

Usage::

    claim = store.claim(msg.dedupe_key, msg.openid, delivery)   # a retry waits here for the first reply
    if claim.duplicate: body = claim.reply or b"success"
    ...
    store.finish(claim, reply_body, conversation.dump())
"""
from __future__ import annotations

import itertools
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable

import redis as redis_lib

from wechat.conversation import Conversation
from wechat.crypto import Refused
from wechat.redis_conn import SOCKET_TIMEOUT, Breaker, Keys
from wechat.redis_pipe import DeferredPipe, process_id

log = logging.getLogger(__name__)

PENDING = b"P"                     # a claim in flight: b"P<owner's token>:<lease end>"
REPLY_PREFIX = b"R"
# A handler holds the follower's lock at most this long; WeChat gives up on a try after 5 s anyway.
LOCK_TTL_MS = 5000
# The owner of a pending claim holds it this long. WeChat waits 5 s for a try, then sends the next, so a
# message whose worker died is taken over by the 2nd try (or, if that one lands early, while it waits);
# a live handler still running at 5 s has lost WeChat's try anyway and its follower lock expires too.
LEASE_MS = 5000
LOCK_WAIT_S = 4.0
REPLY_WAIT_S = 4.5
POLL_S = 0.02
# Replay records outlive the freshness window by this much, for hosts whose clocks differ a little.
REPLAY_MARGIN_S = 60
# A finish sent within this share of the lease (and of the lock's TTL) after its claim was sent cannot meet
# a newer owner: a takeover needs the lease to have run out by Redis's clock, which started later than
# ours, and the follower lock to have expired. Such a finish goes out as three plain commands (in Redis a
# tenth of a Lua call); a later one runs ``_FINISH``, which checks ownership first. The 2 s left over is
# for the finish's own trip to Redis: it would have to arrive that late while another try's claim did not.
PLAIN_FINISH_SHARE = 0.6

# KEYS: seen, conv, lock, content version, replay.
# ARGV: dedupe ttl ms, token, lock ttl ms, lease ms, deadline (Redis ms, 0: none), body digest ('': no
#       replay check), replay ttl ms.
# A pending claim's value is "P<token>:<lease end, Redis ms>": the owner and how long it holds the lease.
# Returns {-2} when run after its caller gave up (a Redis hang): it then writes nothing, so no lock is
# left behind for the follower's next message. {-1}: the (timestamp, nonce) came with another body.
# {0, seen, 0, version}: a retry of a claimed message. {1, conv, locked, version}: ours (new, or taken
# over from an owner whose lease ran out). Running it twice with one token gives the same answer.
# The common path (a new message) costs TIME, two GETs and three SETs inside one round trip.
_CLAIM = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local deadline = tonumber(ARGV[5])
if deadline > 0 and now > deadline then return {-2} end
local version = redis.call('GET', KEYS[4])
local replayed = false
if ARGV[6] ~= '' and not redis.call('SET', KEYS[5], ARGV[6], 'NX', 'PX', ARGV[7]) then
  if redis.call('GET', KEYS[5]) ~= ARGV[6] then return {-1} end
  replayed = true
end
local mine = 'P' .. ARGV[2] .. ':'
local pending = mine .. (now + tonumber(ARGV[4]))
if not redis.call('SET', KEYS[1], pending, 'NX', 'PX', ARGV[1]) then
  local seen = redis.call('GET', KEYS[1])
  if string.sub(seen, 1, #mine) ~= mine then
    local lease_end = string.sub(seen, 1, 1) == 'P' and tonumber(string.match(seen, ':(%d+)$'))
    if not lease_end or now <= lease_end then return {0, seen, 0, version} end
    redis.call('SET', KEYS[1], pending, 'PX', ARGV[1])   -- its owner is gone: take the claim over
  end
elseif replayed then   -- a retry of a message answered so long ago that its claim expired: never run it again
  redis.call('DEL', KEYS[1])
  return {0, false, 0, version}
end
local locked = 0
if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) or redis.call('GET', KEYS[3]) == ARGV[2] then
  locked = 1
end
return {1, redis.call('GET', KEYS[2]), locked, version}
"""
# KEYS: lock, conv. ARGV: token, lock ttl ms, deadline (Redis ms). {-2}: too late, nothing written.
_LOCK = """
local t = redis.call('TIME')
if t[1] * 1000 + math.floor(t[2] / 1000) > tonumber(ARGV[3]) then return {-2} end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) or redis.call('GET', KEYS[1]) == ARGV[1] then
  return {1, redis.call('GET', KEYS[2])}
end
return {0}
"""
# KEYS: seen, conv, lock. ARGV: reply, dedupe ttl ms, conv mode (set|del|touch|keep), conv json, conv ttl s,
# token. Only the claim's current owner caches its reply and saves the conversation: a handler that
# overran its lease and was taken over must not overwrite the newer owner's state.
_FINISH = """
local mine = 'P' .. ARGV[6] .. ':'
if string.sub(redis.call('GET', KEYS[1]) or '', 1, #mine) == mine then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  if ARGV[3] == 'set' then redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
  elseif ARGV[3] == 'del' then redis.call('DEL', KEYS[2])
  elseif ARGV[3] == 'touch' then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
end
if redis.call('GET', KEYS[3]) == ARGV[6] then redis.call('DEL', KEYS[3]) end
return 1
"""
_TOO_LATE, _REPLAYED = -2, -1


def _plain_finish(keys: list[str], args: list[Any]) -> list[tuple[Any, ...]]:
    """``_FINISH`` without its ownership checks, for a finish that cannot have been taken over (see
    ``PLAIN_FINISH_SHARE``)."""
    seen, conv, lock = keys
    reply, dedupe_ttl_ms, mode, conv_json, session_ttl, _token = args
    commands: list[tuple[Any, ...]] = [("SET", seen, reply, "PX", dedupe_ttl_ms)]
    if mode == "set":
        commands.append(("SET", conv, conv_json, "EX", session_ttl))
    elif mode == "del":
        commands.append(("DEL", conv))
    elif mode == "touch":
        commands.append(("EXPIRE", conv, session_ttl))
    commands.append(("DEL", lock))
    return commands


class Replayed(Refused):
    """A (timestamp, nonce) that came back with a different body: a forgery, not a WeChat retry."""


@dataclass(frozen=True)
class Delivery:
    """How one request arrived: its signed (timestamp, nonce) and a digest of the message it carried."""

    timestamp: str
    nonce: str
    digest: str


@dataclass
class Claim:
    """What ``claim`` learned: whether we own the message, the follower's conversation, the live content version."""

    dedupe_key: str
    openid: str
    owned: bool                       # False: a retry of a message another try already claimed
    conversation_raw: bytes | None = None   # as stored; ``Conversation.load`` reads it
    lock_token: str = ""
    cached: bytes | None = None       # on a duplicate: what the dedupe key held when we stopped waiting
    content_version: int | None = None
    redis_ok: bool = True             # False: Redis was unreachable and we fail open
    locked: bool = False              # True: we hold the follower's lock (False only after a lock wait gave up)
    claimed_at: float = 0.0           # monotonic time the claim was sent: how old our lease can be at most

    @property
    def duplicate(self) -> bool:
        return not self.owned

    @property
    def reply(self) -> bytes | None:
        """On a duplicate: the first try's reply body, or None (still running, or answered too long ago)."""
        if self.cached and self.cached.startswith(REPLY_PREFIX):
            return self.cached[len(REPLY_PREFIX):]
        return None


class ConversationStore:
    """Dedupe claims, conversation state and reply cache, shared by every worker and host through Redis."""

    def __init__(self, redis: redis_lib.Redis, keys: Keys, *, dedupe_ttl: int, session_ttl: int,
                 breaker: Breaker | None = None, max_clock_skew: int = 300,
                 monotonic: Callable[[], float] = time.monotonic):
        self.redis = redis
        self.keys = keys
        self.dedupe_ttl_ms = dedupe_ttl * 1000
        self.session_ttl = session_ttl
        self.max_clock_skew = max_clock_skew
        self.breaker = breaker or Breaker()
        self.monotonic = monotonic
        self.pipe = DeferredPipe(redis, scripts=[_CLAIM, _LOCK, _FINISH])

    # -- step 3: claim -------------------------------------------------------------------------
    def claim(self, dedupe_key: str, openid: str, delivery: Delivery | None = None) -> Claim:
        """Claim the message atomically; on Redis failure fail open (handle it, warn) rather than drop it.

        A retry of a message in flight waits (bounded) for the first try's reply, or takes the claim over
        when the first try's owner is gone. Raises ``Replayed`` for a (timestamp, nonce) reused with
        another body.
        """
        if not self.breaker.closed():
            return Claim(dedupe_key, openid, owned=True, redis_ok=False)
        token = self._token()
        claimed_at = self.monotonic()
        try:
            result = self._run_claim(dedupe_key, openid, token, delivery)
            if result[0] == _REPLAYED:
                raise Replayed("timestamp and nonce already used with another body")
            deadline = time.monotonic() + REPLY_WAIT_S
            while not result[0] and (result[1] or b"").startswith(PENDING) and time.monotonic() < deadline:
                time.sleep(POLL_S)   # the first try is still running: wait for its reply, or its lease to end
                result = self._run_claim(dedupe_key, openid, token, None)
            owned, conv_raw, locked, version = result
            if owned and not locked:
                locked, conv_raw = self._wait_for_lock(openid, token)
        except redis_lib.RedisError:
            self.breaker.trip()
            log.warning("dedupe unavailable (redis down); handling message without a claim")
            return Claim(dedupe_key, openid, owned=True, redis_ok=False)
        version_num = int(version) if version else None
        if not owned:
            return Claim(dedupe_key, openid, owned=False, cached=conv_raw, content_version=version_num)
        return Claim(dedupe_key, openid, owned=True, conversation_raw=conv_raw, lock_token=token,
                     content_version=version_num, locked=bool(locked), claimed_at=claimed_at)

    _tokens = itertools.count()
    _token_prefix = ("", 0)

    def _token(self) -> str:
        """A claim owner's token, unique across processes and hosts: 8 random bytes per process, then a counter
        (a urandom call per message costs a syscall and buys nothing more)."""
        prefix, pid = ConversationStore._token_prefix
        if pid != process_id():     # a forked worker must not share its parent's tokens
            prefix = secrets.token_hex(8)
            ConversationStore._token_prefix = (prefix, process_id())
        return f"{prefix}{next(self._tokens):x}"

    def _run_claim(self, dedupe_key: str, openid: str, token: str, delivery: Delivery | None) -> list[Any]:
        seen = self.keys.seen(dedupe_key)
        replay = self.keys.replay(delivery.timestamp, delivery.nonce) if delivery else seen   # unused without
        keys = [seen, self.keys.conv(openid), self.keys.lock(openid), self.keys.content_current(), replay]
        replay_ttl_ms = 0
        if delivery is not None:
            # Remembered until no host would still find the timestamp fresh.
            replay_ttl_ms = max(1, int(delivery.timestamp) + self.max_clock_skew + REPLAY_MARGIN_S
                                - int(time.time())) * 1000
        return self._late_guarded(_CLAIM, keys, [self.dedupe_ttl_ms, token, LOCK_TTL_MS, LEASE_MS],
                                  [delivery.digest if delivery else "", replay_ttl_ms])

    def _late_guarded(self, script: str, keys: list[str], head: list[Any], tail: list[Any]) -> list[Any]:
        """Run a script that refuses to write after its caller's socket timeout; if it says "too late" while
        we are plainly still waiting, the clocks drifted: measure again and run it once more."""
        for _ in range(2):
            deadline = self.pipe.deadline_ms(SOCKET_TIMEOUT)
            result = self.pipe.call([self.pipe.evalsha(script, keys, [*head, deadline, *tail])])[0]
            if isinstance(result, Exception):
                raise result
            if result[0] != _TOO_LATE:
                return result
            self.pipe.resync_clock()
        raise redis_lib.TimeoutError("redis answered after its deadline twice")

    def _wait_for_lock(self, openid: str, token: str) -> tuple[bool, bytes | None]:
        """Another message from this follower is being handled: wait for it so state changes never interleave.

        Returns whether we got the lock, and the follower's conversation as stored."""
        deadline = time.monotonic() + LOCK_WAIT_S
        keys = [self.keys.lock(openid), self.keys.conv(openid)]
        while time.monotonic() < deadline:
            time.sleep(POLL_S)
            result = self._late_guarded(_LOCK, keys, [token, LOCK_TTL_MS], [])
            if result[0]:
                return True, result[1]
        # The other handler overran WeChat's 5 s; its lock expires by itself. Proceed with the latest state.
        log.warning("follower lock still held after %.1fs; proceeding", LOCK_WAIT_S)
        return False, self.redis.get(self.keys.conv(openid))

    def reachable(self) -> bool:
        """Whether Redis answers, asked the way the webhook asks it (same connection, same retry)."""
        try:
            return self.pipe.call([("PING",)])[0] in (b"PONG", "PONG", True)
        except redis_lib.RedisError:
            return False

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
        young = (self.monotonic() - claim.claimed_at) * 1000 < PLAIN_FINISH_SHARE * min(LEASE_MS, LOCK_TTL_MS)
        commands = _plain_finish(keys, args) if young and claim.locked else [self.pipe.evalsha(_FINISH, keys, args)]
        try:
            self._execute_finish(commands, extra)
        except redis_lib.RedisError:
            self.breaker.trip()
            log.warning("could not cache reply or save conversation (redis down)")

    def _execute_finish(self, commands: list[Any],
                        extra: Callable[[redis_lib.client.Pipeline], None] | None) -> None:
        if extra is not None:
            collector = self.redis.pipeline(transaction=False)   # hooks add commands with redis-py's API
            extra(collector)
            commands.extend(args for args, _options in collector.command_stack)
        self.pipe.send_later(commands)

    def load(self, openid: str) -> Conversation:
        """Read a follower's conversation outside the webhook (CLI, console, tests)."""
        return Conversation.load(self.redis.get(self.keys.conv(openid)))
