"""Housekeeping the worker process runs on a timer, beside its queues: one thread per task, one process per
interval across all workers (a Redis lock), and a clean stop when the worker shuts down.

Usage::

    task = Periodic("lead-reconciler", 60, lambda: reconcile(redis, settings),
                    redis=redis, lock_key=keys("leads", "reconciling")).start()
    ...
    task.stop()            # sets the stop flag and waits for a run in progress to finish
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

import redis as redis_lib

log = logging.getLogger(__name__)


class Periodic:
    """Run ``task()`` every ``interval`` seconds in a daemon thread until ``stop()``.

    With ``lock_key``, a run first takes a Redis lock held for about one interval, so of several worker
    processes only one runs the task per interval. A failing run (Redis away, a bug) is logged and the
    next interval tries again: the thread never dies of it.
    """

    def __init__(self, name: str, interval: float, task: Callable[[], Any], *,
                 redis: redis_lib.Redis | None = None, lock_key: str = ""):
        if lock_key and redis is None:
            raise ValueError("a lock needs a Redis client")
        self.name = name
        self.interval = interval
        self.task = task
        self.redis = redis
        self.lock_key = lock_key
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> "Periodic":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop after the run in progress (if any); True when the thread has ended within ``timeout``."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        if not stopped:
            log.warning("periodic task %s still running after %.0fs; the process exit ends it", self.name, timeout)
        return stopped

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once ``stop()`` was called: a long run may check it between batches and return early."""
        return self._stopping.is_set()

    def run_once(self) -> bool:
        """One run, if this process gets the lock; True when the task ran (without raising)."""
        try:
            if self.lock_key and not self.redis.set(self.lock_key, "1", nx=True,  # type: ignore[union-attr]
                                                    ex=max(1, int(self.interval) - 1)):
                return False
            self.task()
            return True
        except Exception:  # a Redis outage or a bug must not end the thread; try again next interval
            log.warning("periodic task %s failed; will retry", self.name, exc_info=True)
            return False

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            self.run_once()
