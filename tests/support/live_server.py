"""Start the app under gunicorn in a subprocess, as production does, for cross-process and benchmark runs."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import requests

from tests.support.redis_server import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.proc.stderr.read().decode(errors="replace")[-2000:])
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
