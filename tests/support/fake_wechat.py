"""Pytest fixtures for outbound tests: the fake WeChat API, settings pointing at it, Redis under a unique prefix.

Loaded through ``pytest_plugins = ["tests.support.fake_wechat"]`` in tests/conftest.py. Fixture names carry an
``outbound_`` prefix so they never shadow the webhook fixtures (``settings``, ``redis``, ``key_prefix``).
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from config import Settings, load_settings
from tests.support.redis_server import test_redis_url
from devtools.fake_wechat_api import FakeWeChatAPI
from wechat.redis_conn import connect
from tests.support.processes import (ROOT, descendants, kill_tree, settings_env, start_worker,  # noqa: F401
                                     wait_for)

TEST_TOKEN = "outboundtest"


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChatAPI]:
    """A fake WeChat API on a free port, stopped afterwards."""
    fake = FakeWeChatAPI(appid="wxoutboundtest", secret="outbound-secret").start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def outbound_redis_url() -> str:
    return test_redis_url()


def cleanup_prefix(client: redis_lib.Redis, prefix: str) -> int:
    """Delete only what a test run wrote: keys under ``prefix`` and RQ's keys for its queues, jobs and workers."""
    tag = re.sub(r"[^A-Za-z0-9_-]+", "-", prefix).strip("-")  # what jobs.namespace() puts in RQ ids and names
    deleted = 0
    for pattern in (f"{prefix}*", f"rq:*{prefix}*", f"rq:*{tag}*"):
        for key in client.scan_iter(match=pattern, count=1000):
            deleted += client.delete(key)
    for key in client.scan_iter(match="rq:scheduler:*", count=1000):  # scheduler records name only their queues
        queues = client.hget(key, "queues") or b""
        if tag.encode() in queues:
            deleted += client.delete(key)
    for shared in ("rq:workers", "rq:queues"):  # sets RQ shares between all queues: remove only our members
        for member in client.smembers(shared):
            if tag.encode() in member or prefix.encode() in member:
                client.srem(shared, member)
    return deleted


@pytest.fixture
def outbound_prefix(outbound_redis_url: str) -> Iterator[str]:
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    cleanup_prefix(redis_lib.Redis.from_url(outbound_redis_url), prefix)


@pytest.fixture
def make_outbound_settings(outbound_redis_url: str, outbound_prefix: str,
                           fake_wechat: FakeWeChatAPI, tmp_path: Path) -> Callable[..., Settings]:
    """Build Settings whose WeChat API base URL is the fake and whose Redis keys use the test's prefix."""
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "wechat_token": TEST_TOKEN, "wechat_appid": fake_wechat.appid, "wechat_secret": fake_wechat.secret,
            "wechat_api_base_url": fake_wechat.url, "redis_url": outbound_redis_url, "key_prefix": outbound_prefix,
            "embedded_redis_dir": str(tmp_path / "var"),
        }
        values.update(overrides)
        return load_settings({}, **values)
    return make


@pytest.fixture
def outbound_settings(make_outbound_settings: Callable[..., Settings]) -> Settings:
    return make_outbound_settings()


@pytest.fixture
def outbound_redis(outbound_settings: Settings) -> redis_lib.Redis:
    return connect(outbound_settings)
