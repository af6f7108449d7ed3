"""Start-up time of the simulator command: what ``scripts/sim.sh`` costs per call before anything is sent.

Each run sends one message to a closed port (the command starts, signs the message, is refused at once
and exits), so the wall time is the command's start-up. Prints the median and the fastest of N runs for:

- ``sim.sh``'s path: ``flask --app "cli.sim:simulator_app()" sim`` (only the simulator and the settings);
- the full CLI: ``flask --app app sim`` (imports the whole app, builds nothing it does not use).

Usage::

    .venv/bin/python bench/sim_startup.py --runs 10
    .venv/bin/python bench/sim_startup.py --runs 10 --root /path/to/another/checkout --only app   # compare
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = {"sim.sh": "cli.sim:simulator_app()", "app": "app"}
DEMO = {"WECHAT_TOKEN": "demotoken2026", "WECHAT_APPID": "wxd3m0a1b2c3d4e5f6",
        "WECHAT_AES_KEY": "d3m0EncodingAESKeyForLocalTrialsOnly0000000", "FLASK_SKIP_DOTENV": "1"}


def run_once(root: str, app: str, env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "flask", "--app", app, "sim", "--url", "http://127.0.0.1:9", "--openid", "o_bench", "hi"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if "cannot reach the server" not in done.stderr:
        raise SystemExit(f"unexpected output from {' '.join(command)}:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--root", default=ROOT, help="Checkout to measure (default: this one).")
    parser.add_argument("--only", choices=sorted(TARGETS), default=None)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
                        help="Redis for an app that connects at start (empty: the embedded one)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "REDIS_", "FLASK_"))}
    env.update(DEMO, PYTHONPATH=args.root, REDIS_URL=args.redis_url, REDIS_KEY_PREFIX="bench-sim:",
               REDIS_EMBEDDED_DIR=os.path.join(args.root, "var"))
    if not args.redis_url:
        del env["REDIS_URL"]
    for label, app in TARGETS.items():
        if args.only and label != args.only:
            continue
        run_once(args.root, app, env)          # warm the file cache; not counted
        times = [run_once(args.root, app, env) for _ in range(args.runs)]
        print(f"{label:<8} flask --app {app!r} sim: median {statistics.median(times):.2f} s, "
              f"fastest {min(times):.2f} s ({args.runs} runs)")
    if args.redis_url:     # an app that builds everything at start seeds a content version: remove it
        client = redis.Redis.from_url(args.redis_url)
        for key in client.scan_iter(match="bench-sim:*", count=1000):
            client.delete(key)


if __name__ == "__main__":
    main()
