"""A message's finish: three plain commands while its lease is young, the ownership-checking Lua call after.

A finish that comes late (its handler ran past most of the lease) must not overwrite a newer owner's claim
or release the follower lock somebody else holds now; a young one cannot meet either, so it skips the check.
"""
from __future__ import annotations

import pytest

from tests.support.clock import Clock
from wechat import store as store_module
from wechat.redis_conn import Keys
from wechat.store import PENDING, REPLY_PREFIX, ConversationStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(redis, key_prefix, clock) -> ConversationStore:
    return ConversationStore(redis, Keys(key_prefix), dedupe_ttl=60, session_ttl=600, monotonic=clock)


def commands_seen(redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in redis.info("commandstats").items()}


def test_a_young_finish_is_plain_commands_and_caches_saves_unlocks(store, redis, key_prefix, clock):
    claim = store.claim("m:1:o_a", "o_a")
    assert claim.owned and claim.locked
    before = commands_seen(redis)
    clock.now += 0.5
    store.finish(claim, "<xml>hi</xml>", b'{"lang": "en"}')
    store.pipe.flush()
    after = commands_seen(redis)
    assert after.get("evalsha", 0) == before.get("evalsha", 0)          # no Lua call
    assert redis.get(f"{key_prefix}seen:m:1:o_a") == REPLY_PREFIX + b"<xml>hi</xml>"
    assert redis.get(f"{key_prefix}conv:o_a") == b'{"lang": "en"}'
    assert 0 < redis.ttl(f"{key_prefix}conv:o_a") <= 600
    assert redis.get(f"{key_prefix}lock:o_a") is None


def test_a_late_finish_checks_ownership_and_leaves_a_newer_owner_alone(store, redis, key_prefix, clock):
    claim = store.claim("m:2:o_b", "o_b")
    clock.now += store_module.LEASE_MS / 1000          # the handler overran its lease ...
    # ... and WeChat's next try took the message and the follower's lock over in the meantime.
    newer = PENDING + b"othertoken:99999999999999"
    redis.set(f"{key_prefix}seen:m:2:o_b", newer, px=60000)
    redis.set(f"{key_prefix}lock:o_b", "othertoken", px=5000)
    redis.set(f"{key_prefix}conv:o_b", b'{"lang": "zh"}')
    before = commands_seen(redis)
    store.finish(claim, "<xml>late</xml>", b'{"lang": "en"}')
    store.pipe.flush()
    assert commands_seen(redis)["evalsha"] == before.get("evalsha", 0) + 1
    assert redis.get(f"{key_prefix}seen:m:2:o_b") == newer              # the newer owner's claim stands
    assert redis.get(f"{key_prefix}conv:o_b") == b'{"lang": "zh"}'      # and its conversation
    assert redis.get(f"{key_prefix}lock:o_b") == b"othertoken"           # and its lock


def test_a_late_finish_that_still_owns_the_message_is_written(store, redis, key_prefix, clock):
    claim = store.claim("m:3:o_c", "o_c")
    clock.now += store_module.LEASE_MS / 1000
    store.finish(claim, "<xml>slow but ours</xml>", b'{"lang": "en"}')
    store.pipe.flush()
    assert redis.get(f"{key_prefix}seen:m:3:o_c") == REPLY_PREFIX + b"<xml>slow but ours</xml>"
    assert redis.get(f"{key_prefix}lock:o_c") is None


def test_a_finish_without_the_lock_never_releases_it(store, redis, key_prefix, clock, monkeypatch):
    """A lock wait that gave up proceeds without the lock: its finish must not delete the holder's lock."""
    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.05)
    redis.set(f"{key_prefix}lock:o_d", "holder", px=5000)
    claim = store.claim("m:4:o_d", "o_d")
    assert claim.owned and not claim.locked
    store.finish(claim, "<xml>x</xml>", None)
    store.pipe.flush()
    assert redis.get(f"{key_prefix}lock:o_d") == b"holder"
    assert redis.get(f"{key_prefix}seen:m:4:o_d") == REPLY_PREFIX + b"<xml>x</xml>"


def test_claim_tokens_are_unique_and_fresh_after_a_fork(store, monkeypatch):
    tokens = {store._token() for _ in range(1000)}
    assert len(tokens) == 1000
    first = store._token()
    monkeypatch.setattr(store_module, "process_id", lambda: -1)      # as in a forked worker
    assert store._token()[:16] != first[:16]


def test_the_cached_process_id_follows_a_fork():
    import os

    from wechat.redis_pipe import process_id

    read, write = os.pipe()
    child = os.fork()
    if child == 0:                                   # the child reports what it sees, then leaves at once
        os.write(write, f"{process_id()} {os.getpid()}".encode())
        os._exit(0)
    os.close(write)
    seen, real = os.read(read, 100).decode().split()
    os.waitpid(child, 0)
    assert seen == real != str(os.getpid()) and process_id() == os.getpid()
