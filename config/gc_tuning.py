"""Python's garbage collector, set for a long-running web worker (called once the app is built).

With CPython's defaults a served worker pays in two ways: a young-generation collection every hundred
messages or so, and, every few thousand, a full collection that walks every object start-up created (the
modules, the compiled content, the search indexes: over 120,000 of them) although none of those will
ever be garbage. Measured on one gunicorn worker under content_bench's never-seen questions (about
17,000 messages): 182 young, 16 middle and 2 full collections, the full ones 53 and 56 ms, 0.14 s in
all; with this module, 3 young and 1 full collection, at most 4.5 ms, 0.014 s in all (``bench/gc_bench.py``
measures both workers). So, once per process:

- ``gc.freeze()`` moves everything alive after start-up to the permanent generation, which collections
  never walk again (the standard library's own advice for long-lived processes and forked workers);
- the young generation's threshold goes from 700 to ``GEN0_THRESHOLD`` net allocations, so a worker
  collects every few thousand messages instead of every hundred; each collection still finds every
  cycle, and what waits for it is a few MB at most.

Reference counting still frees everything that is not a cycle at once; frozen objects that later die are
freed by it too. That matters for content: the version live at start-up is frozen, and when a publish
replaces it, it must be freed without the collector's help (it holds no reference cycle; a test checks).
Tests that build apps with their own settings never call this (their process is not a worker).
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
