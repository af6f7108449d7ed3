"""A newcomer's first run: the CLI works after scripts/run.sh with nothing exported, --help never needs
settings, and stopping run.sh stops every process it started (the embedded Redis included)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import re
import time
from pathlib import Path

import pytest
import requests

from tests.support.processes import ROOT, descendants, wait_for
from tests.support.redis_server import free_port

# Settings and Flask variables a developer's shell may hold; every test here starts without them.
_OURS = ("WECHAT_", "REDIS_", "CONTENT_DIR", "SALES_OPENIDS", "LEADS_", "PORT", "FLASK_", "LOG_LEVEL",
         "SESSION_TTL", "DEDUPE_TTL", "CONSOLE_PASSWORD", "SECRET_KEY")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env.update(PYTHONPATH=str(ROOT), FLASK_SKIP_DOTENV="1", **extra)     # the repo's own .env stays out of it
    return env


HELP_EVERY_COMMAND = """
import json, sys
from click.testing import CliRunner
from flask.cli import cli

runner = CliRunner()
results = {}
def run(*args):
    result = runner.invoke(cli, ["--app", "app", *args, "--help"])
    results[" ".join(args) or "(flask)"] = [result.exit_code, result.output]
    return result

top = run()
names = [line.split()[0] for line in top.output.split("Commands:")[1].splitlines() if line.strip()]
for name in names:
    sub = run(name)
    if "Commands:" in sub.output:
        for line in sub.output.split("Commands:")[1].splitlines():
            if line.strip():
                run(name, line.split()[0])
print(json.dumps(results))
"""


def test_help_of_every_command_needs_no_settings(tmp_path):
    env = clean_env(REDIS_EMBEDDED_DIR=str(tmp_path / "var"))
    done = subprocess.run([sys.executable, "-c", HELP_EVERY_COMMAND], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for must in ("content check", "menu diff", "sim", "worker", "jobs retry", "leads export", "analytics report"):
        assert must in results, sorted(results)
    for command, (code, output) in results.items():
        assert code == 0 and "Usage:" in output and "WECHAT_TOKEN" not in output, (command, output)
    assert not (tmp_path / "var").exists()            # nothing started an embedded Redis for --help


def test_the_cli_reads_the_settings_run_sh_writes_to_dotenv(tmp_path):
    command = [sys.executable, "-m", "flask", "--app", "app", "content", "check"]
    env = clean_env()
    del env["FLASK_SKIP_DOTENV"]                       # Flask's own mechanism: .env in the working directory
    without = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert without.returncode == 3 and "WECHAT_TOKEN: is required" in without.stderr
    (tmp_path / ".env").write_text(f'WECHAT_TOKEN="demotoken2026"\nCONTENT_DIR="{ROOT / "content"}"\n',
                                   encoding="utf-8")
    with_env = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert with_env.returncode == 0, with_env.stderr
    assert "0 error(s)" in with_env.stdout


# -- scripts/run.sh end to end --------------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _inside(tmp: Path) -> set[int]:
    """Processes working in ``tmp`` (a daemonized Redis leaves the process tree but keeps its data dir as cwd)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd").startswith(str(tmp)):
                    found.add(int(entry))
            except OSError:
                pass
    return found


@pytest.fixture
def run_sh(tmp_path):
    port, fake_port = free_port(), free_port()
    env = clean_env(PORT=str(port), FAKE_WECHAT_PORT=str(fake_port), VAR_DIR=str(tmp_path / "var"),
                    ENV_FILE=str(tmp_path / ".env"))
    log = open(tmp_path / "run.log", "w")
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for(lambda: _healthy(port) or proc.poll() is not None, timeout=180, interval=0.2)
        assert proc.poll() is None, (tmp_path / "run.log").read_text()
        yield proc, port, tmp_path
    finally:
        if proc.poll() is None:                        # a failed test must not leave the demo running
            for pid in [proc.pid, *descendants(proc.pid), *_inside(tmp_path)]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(30)
        log.close()


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()["status"] == "ok"
    except (requests.RequestException, ValueError):
        return False


def _cli(tmp_path: Path, *args: str, script: str | None = None) -> subprocess.CompletedProcess:
    """A command as a newcomer types it from the repository, nothing exported: settings come from run.sh's .env."""
    env = clean_env(FLASK_ENV_FILE=str(tmp_path / ".env"))
    command = ["bash", script, *args] if script else [sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_run_sh_demo_then_every_process_stops_with_it(run_sh):
    proc, port, tmp_path = run_sh
    # One content folder: the demo published content/ as it is (template ids come from settings).
    diff = _cli(tmp_path, "content", "diff")
    assert diff.returncode == 0 and diff.stdout.strip() == "no differences", diff.stdout + diff.stderr

    # Distinct simulated followers: bo's question does not resume the form anna opened.
    anna = _cli(tmp_path, "--as", "anna", "--click", "MENU_CONTACT", script="scripts/sim.sh")
    assert anna.returncode == 0 and "称呼" in anna.stdout, anna.stdout + anna.stderr
    bo = _cli(tmp_path, "--as", "bo", "KOL", script="scripts/sim.sh")
    assert "[article]" in bo.stdout and "继续" not in bo.stdout, bo.stdout
    again = _cli(tmp_path, "--as", "anna", "张三", script="scripts/sim.sh")
    assert "公司" in again.stdout, again.stdout                    # anna's form went on to the next question

    # The console: run.sh printed its URL and a login that works (a fresh install: a generated password).
    printed = (tmp_path / "run.log").read_text()
    assert f"http://127.0.0.1:{port}/console/" in printed
    login = re.search(r"log in as  (\S+)  with password  (\S+)", printed)
    assert login, printed[-2000:]
    console = requests.Session()
    form = console.get(f"http://127.0.0.1:{port}/console/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', form).group(1)
    answer = console.post(f"http://127.0.0.1:{port}/console/login", timeout=10, allow_redirects=False,
                          data={"csrf_token": token, "name": login.group(1), "password": login.group(2)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/"), answer.text[:500]
    assert login.group(1) in console.get(f"http://127.0.0.1:{port}/console/", timeout=10).text
    assert (tmp_path / "var" / "console-secret-key").exists()

    started = {proc.pid, *descendants(proc.pid), *_inside(tmp_path)}
    assert len(started) >= 5                                     # run.sh, Redis, fake API, worker, gunicorn...
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(60) == 143
    deadline = time.monotonic() + 30
    while (survivors := {pid for pid in started | _inside(tmp_path) if _alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not survivors, [open(f"/proc/{pid}/cmdline").read().replace("\0", " ") for pid in survivors]
