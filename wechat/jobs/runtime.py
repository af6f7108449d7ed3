"""What a job needs (settings, Redis, the WeChat API client, the rate limiter), built once per worker process.

Jobs carry only ids and JSON-able arguments; everything else comes from here. ``run_worker`` sets it up
and RQ's forked work horses inherit it; a job called directly (tests, the CLI) builds it from the environment.

Usage::

    rt = runtime()
    rt.limiter.wait("template"); send_template(rt.client, rt.redis, rt.keys, message)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis as redis_lib

from config import Settings, load_settings
from wechat.api_client import build_client
from wechat.jobs.ratelimit import RateLimiter
from wechat.redis_conn import Keys, connect


@dataclass
class Runtime:
    settings: Settings
    redis: redis_lib.Redis
    _client: Any = field(default=None, repr=False)

    @property
    def keys(self) -> Keys:
        return Keys(self.settings.key_prefix)

    @property
    def client(self) -> Any:
        """The WeChat API client, built on first use (most jobs never call WeChat)."""
        if self._client is None:
            self._client = build_client(self.settings, self.redis)
        return self._client

    @property
    def limiter(self) -> RateLimiter:
        return RateLimiter(self.redis, self.keys)


_runtime: Runtime | None = None


def set_runtime(settings: Settings, redis: redis_lib.Redis | None = None) -> Runtime:
    """Use these settings for jobs in this process (run_worker does it; tests may too)."""
    global _runtime
    _runtime = Runtime(settings, redis if redis is not None else connect(settings))
    return _runtime


def reset_runtime() -> None:
    """Forget the process's runtime (tests that switch settings)."""
    global _runtime
    _runtime = None


def runtime() -> Runtime:
    """The process's runtime, built from the environment on first use."""
    return _runtime if _runtime is not None else set_runtime(load_settings())
