"""The Procfile's ``web:`` command run as an operator runs it, its whole output (access and error log) in a file."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from typing import Iterator

import redis as redis_lib

from tests.support.live_server import wait_until_healthy
from tests.support.processes import ROOT
from tests.support.redis_server import free_port


def procfile_command(process: str = "web") -> str:
    with open(ROOT / "Procfile") as fh:
        for line in fh:
            name, _, command = line.partition(":")
            if name.strip() == process:
                return command.strip()
    raise LookupError(f"no {process}: line in the Procfile")


class ProcfileServer:
    """``bash -c "<Procfile web command>"`` with ``env`` (PORT chosen here); ``log()`` returns what it printed."""

    def __init__(self, env: dict[str, str], *, app: str | None = None):
        self.port = free_port()
        command = procfile_command("web")
        if app is not None:   # the same command serving a test app (slow routes)
            command = command.replace('"app:create_app()"', f'"{app}"')
        self.command = command
        self.env = {**os.environ, **env, "PORT": str(self.port),
                    "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
        self.log_file = tempfile.NamedTemporaryFile(prefix="wxbot-procfile-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ProcfileServer":
        self.proc = subprocess.Popen(["bash", "-c", self.command], cwd=ROOT, env=self.env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_until_healthy(self.url, self.proc):
            self.stop()
            raise RuntimeError("Procfile web did not start:\n" + self.log()[-3000:])
        return self

    def log(self) -> str:
        with open(self.log_file.name, encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def wait_for_log(self, text: str, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def close(self) -> None:
        self.stop()
        self.log_file.close()
        os.unlink(self.log_file.name)


@contextmanager
def procfile_server(redis_url: str, env: dict[str, str]) -> Iterator[ProcfileServer]:
    """A started ``ProcfileServer`` on ``redis_url`` under a fresh key prefix; afterwards stopped, its keys deleted."""
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    server = ProcfileServer({**env, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix}).start()
    try:
        yield server
    finally:
        server.close()
        client = redis_lib.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
