"""Jobs used only by the outbound tests; importable by a worker subprocess (cwd is the repository root)."""
from __future__ import annotations

import time

from wechat.jobs import runtime


def gated_effect(name: str, stage: str = "before_effect") -> int:
    """Count the attempt, wait for the test's gate, then do the effect at most once (guarded by a marker).

    ``stage`` says where the job parks until the gate opens: before its effect, or after it (but before it
    returns), so a test can kill the worker at either moment.
    """
    rt = runtime()
    k = rt.keys
    rt.redis.incr(k("test", name, "attempts"))

    def park() -> None:
        while not rt.redis.exists(k("test", name, "gate")):
            time.sleep(0.05)

    if stage == "before_effect":
        park()
    # The effect is idempotent: a re-run after a crash must not repeat it.
    if rt.redis.set(k("test", name, "done"), "1", nx=True):
        rt.redis.incr(k("test", name, "effect"))
    if stage == "after_effect":
        park()
    return int(rt.redis.get(k("test", name, "effect")) or 0)


def always_fails(name: str) -> None:
    rt = runtime()
    rt.redis.incr(rt.keys("test", name, "attempts"))
    if not rt.redis.exists(rt.keys("test", name, "heal")):
        raise RuntimeError("receiver down")


def noop(n: int = 0) -> int:
    """A job that does nothing, for tests that only count what was queued."""
    return n
