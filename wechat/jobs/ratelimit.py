"""A token bucket per WeChat API in Redis, shared by every worker, so a burst never spends the daily quota.

Usage::

    RateLimiter(redis, keys).wait("template")    # before each template-message call
"""
from __future__ import annotations

import time
from collections.abc import Callable

import redis as redis_lib

from wechat.redis_conn import Keys

# Token bucket per API in Redis, shared by every worker: refill ``rate`` tokens/s up to ``burst``.
# KEYS[1] = bucket hash; ARGV = rate, burst. Returns 0 when a token was taken, else milliseconds to wait.
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(h[1]), tonumber(h[2])
if tokens == nil then tokens, ts = burst, now end
tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
"""

# (tokens per second, burst). WeChat's daily quotas (template 100k, custom 500k, menu 1k per day) are far
# above a marketing account's needs; the bucket keeps a burst (a campaign QR at an expo) from spending them.
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "template": (20.0, 50),
    "custom": (20.0, 50),
    "menu": (1.0, 5),
    "default": (10.0, 20),
}


class RateLimited(RuntimeError):
    """The API's bucket stayed empty for longer than the job is willing to wait; RQ retries later."""


class RateLimiter:
    """Usage: ``RateLimiter(redis, keys).wait("template")`` before each call of that API."""

    def __init__(self, redis: redis_lib.Redis, keys: Keys, limits: dict[str, tuple[float, int]] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.keys = keys
        self.limits = limits or RATE_LIMITS
        self.sleep = sleep
        self._bucket = redis.register_script(_BUCKET)

    def try_acquire(self, api: str) -> float:
        """0.0 when a call may go now, else the seconds until one may."""
        rate, burst = self.limits.get(api, self.limits.get("default", RATE_LIMITS["default"]))
        return int(self._bucket(keys=[self.keys("rate", api)], args=[rate, burst])) / 1000.0

    def wait(self, api: str, max_wait: float = 10.0) -> None:
        waited = 0.0
        while (delay := self.try_acquire(api)) > 0:
            if waited + delay > max_wait:
                raise RateLimited(f"{api}: rate limit still exhausted after {waited:.1f}s")
            self.sleep(delay)
            waited += delay
