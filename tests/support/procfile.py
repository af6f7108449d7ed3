"""The Procfile's ``web:`` command run as an operator runs it, its whole output (access and error log) in a file."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import requests

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
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("Procfile web did not start:\n" + self.log()[-3000:])
            time.sleep(0.1)

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
