"""The worker's timed housekeeping: one process per interval, survives failures, stops cleanly."""
from __future__ import annotations

import threading

from tests.support.processes import wait_for
from wechat.jobs import Periodic


def test_runs_until_stopped_and_stops_cleanly():
    runs = []
    task = Periodic("counting", 0.05, lambda: runs.append(1)).start()
    wait_for(lambda: len(runs) >= 3, timeout=10)
    assert task.stop(timeout=5)
    assert not task.running
    count = len(runs)
    threading.Event().wait(0.2)
    assert len(runs) == count                       # nothing runs after stop()


def test_a_failing_run_does_not_end_the_thread(caplog):
    calls = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("redis away")

    task = Periodic("flaky", 0.05, flaky).start()
    try:
        wait_for(lambda: len(calls) >= 3, timeout=10)
    finally:
        assert task.stop()
    assert "periodic task flaky failed; will retry" in caplog.text


def test_stop_waits_for_the_run_in_progress():
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> None:
        entered.set()
        release.wait(5)
        finished.set()

    task = Periodic("slow", 0.01, slow).start()
    assert entered.wait(5)
    threading.Timer(0.2, release.set).start()
    assert task.stop(timeout=5)
    assert finished.is_set()


def test_one_process_per_interval_with_a_lock(redis, key_prefix):
    runs = []
    lock = f"{key_prefix}periodic-lock"
    tasks = [Periodic(f"locked-{i}", 3, lambda i=i: runs.append(i), redis=redis, lock_key=lock) for i in range(3)]
    assert [t.run_once() for t in tasks].count(True) == 1     # the others find the lock taken
    assert len(runs) == 1 and 0 < redis.ttl(lock) <= 2


def test_the_worker_command_runs_its_periodic_tasks_and_stops_them_on_sigterm(settings, redis):
    import os
    import signal
    import socket
    import subprocess
    import sys

    from tests.support.processes import ROOT, settings_env
    from wechat.jobs import namespace

    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    proc = subprocess.Popen([flask, "--app", "app", "worker"], cwd=ROOT, env=settings_env(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        registered = f"rq:worker:{namespace(settings.key_prefix)}-{socket.gethostname()}-{proc.pid}"
        wait_for(lambda: redis.exists(registered) or proc.poll() is not None, timeout=60)
        threading.Event().wait(1)                  # RQ installs its signal handlers just after registering
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    assert proc.returncode == 0, err
    assert "periodic tasks stopped: lead-reconciler, lead-retention, aof-rewriter" in err
    assert "Traceback" not in err
