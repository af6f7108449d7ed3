"""Start the app under gunicorn in a subprocess, as production does, for cross-process and benchmark runs."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import requests

from tests.support.redis_server import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wait_until_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> bool:
    """Poll ``url``/healthz until it answers 200 (True), or the process exits or time runs out (False)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


class LiveServer:
    def __init__(self, env: dict[str, str], app: str = "app:create_app()", workers: int = 1,
                 threads: int | None = 4):
        self.port = free_port()
        self.env = {**os.environ, **env, "PORT": str(self.port)}
        self.app = app
        self.workers = workers
        self.threads = threads      # None: gunicorn's default sync workers
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LiveServer":
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.proc = subprocess.Popen(
            [gunicorn, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             *(["--threads", str(self.threads)] if self.threads else []), "--log-level", "warning", self.app],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_until_healthy(self.url, self.proc):
            output = "" if self.proc.poll() is None else self.proc.stderr.read().decode(errors="replace")[-2000:]
            self.stop()
            raise RuntimeError("server did not start: " + output)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
