"""Subprocess helpers shared by the tests: the worker as Procfile runs it, killing it, and polling."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from config import Settings
from config.settings import FIELD_TO_ENV

ROOT = Path(__file__).resolve().parents[2]


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that rebuild ``settings`` in a subprocess (as the worker does in production)."""
    env = {k: v for k, v in os.environ.items() if k not in FIELD_TO_ENV.values()}
    for field, env_name in FIELD_TO_ENV.items():
        value = getattr(settings, field)
        if isinstance(value, tuple):
            value = ",".join(value)
        elif isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
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
