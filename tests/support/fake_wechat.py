"""Pytest fixtures for outbound tests: the fake WeChat API, settings pointing at it, Redis under a unique prefix.

Loaded through ``pytest_plugins = ["tests.support.fake_wechat"]`` in tests/conftest.py. Fixture names carry an
``outbound_`` prefix so they never shadow the webhook fixtures (``settings``, ``redis``, ``key_prefix``).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from config import Settings, load_settings
from config.settings import FIELD_TO_ENV
from tests.support.redis_server import test_redis_url
from wechat.fake_api import FakeWeChatAPI
from wechat.redis_conn import connect

ROOT = Path(__file__).resolve().parents[2]
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


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that rebuild ``settings`` in a subprocess (as the worker does in production)."""
    env = {k: v for k, v in os.environ.items() if k not in FIELD_TO_ENV.values()}
    for field, env_name in FIELD_TO_ENV.items():
        value = getattr(settings, field)
        if isinstance(value, tuple):
            value = ",".join(value)
        if value not in ("", None):
            env[env_name] = str(value)
    env["PYTHONPATH"] = str(ROOT)
    return env


def start_worker(settings: Settings, *, burst: bool = False, fast: bool = True) -> subprocess.Popen:
    """Run ``run_worker`` in a subprocess, as ``flask worker`` does, with short heartbeats when ``fast``."""
    tuning = ("WorkerTuning(job_monitoring_interval=1, heartbeat_grace=2, maintenance_interval=1, worker_ttl=16)"
              if fast else "WorkerTuning()")
    code = ("from config import load_settings\n"
            "from wechat.jobs import run_worker, WorkerTuning\n"
            f"run_worker(load_settings(), burst={burst!r}, tuning={tuning})\n")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=settings_env(settings),
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc). RQ's work horse calls setsid(), so it leaves our group."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Kill the worker and everything it started at once, as a crash or an OOM kill of the container would."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    proc.wait(15)


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; fail the test with a clear message after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
