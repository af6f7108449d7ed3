"""Python's garbage collector, set for a long-running web worker (called once the app is built).

Two things cost a served worker with CPython's defaults (measured with ``bench/core_bench.py``; README,
Benchmarks): a young-generation collection every ~50 messages, and full collections that walk every
object start-up created (the compiled content, the modules, the search indexes: well over 100,000 of
them) although none of those will ever be garbage. So, once per process:

- ``gc.freeze()`` moves everything alive after start-up to the permanent generation, which collections
  never walk again (the standard library's own advice for long-lived processes and forked workers);
- the young generation's threshold goes from 700 to ``GEN0_THRESHOLD`` net allocations, so a worker
  collects every thousand messages or so instead of every ~50; each collection still finds every cycle,
  and what waits for it is a few MB at most.

Reference counting still frees everything that is not a cycle at once; frozen objects that later die are
freed by it too. Tests that build apps with their own settings never call this (their process is not a
worker).
"""
from __future__ import annotations

import gc
import threading

GEN0_THRESHOLD = 20_000
_done = False
_lock = threading.Lock()


def tune_for_serving() -> bool:
    """Collect once, freeze what start-up built and raise the young threshold; True the first time in a
    process, False after (a second app in the same process changes nothing)."""
    global _done
    with _lock:
        if _done:
            return False
        gc.collect()
        gc.freeze()
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
        _done = True
        return True
