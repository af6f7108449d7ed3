"""Lead capture under load: simulated followers fill the lead form concurrently against gunicorn, end to end.

Run:  python bench/leads_bench.py [--followers 1000] [--concurrency 64] [--retries 0.2] [--no-deliver]
Needs a Redis (REDIS_URL, default redis://127.0.0.1:6379/9). The script starts gunicorn on a free port with a
private key prefix, a local CRM receiver and worker processes (Procfile's worker), and deletes its keys after.

Each follower is a ``devtools.simulator.Follower`` over HTTP (signed like WeChat), half in Chinese and half in
English: keyword -> name -> company -> role -> phone/email -> need -> consent -> confirm. A share of messages
(``--retries``) is sent twice, the second copy racing the first, as WeChat does when a reply is slow.

Prints completed leads, duplicates (must be 0), lost leads (must be 0), p50/p99 per step, and the delivery
to the CRM: delivered, redelivered, missing. Exit status 1 when a duplicate or a lost lead is found.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import redis as redis_lib  # noqa: E402
import requests  # noqa: E402

from tests.support.leads import cleanup  # noqa: E402  (deletes the run's keys and RQ's for its queues)
from tests.support.leads import readme_verify  # noqa: E402  (the check README gives CRM developers)
from leads import LeadStore  # noqa: E402
from wechat.redis_conn import Keys  # noqa: E402
from devtools.simulator import Follower, HttpTransport  # noqa: E402

TOKEN = "benchtoken"
SECRET = "bench-crm-secret"
STEPS = ("start", "name", "company", "role", "contact", "need", "consent", "confirm")
SCRIPTS = {
    "zh": ("咨询", "张三", "示例科技{n}号", "市场总监", "138{n:08d}", "2", "1", "确认"),
    "en": ("contact", "Jane Doe", "Acme {n}", "Head of Growth", "jane{n}@example.com", "3", "yes", "confirm"),
}
DONE = {"zh": "已收到", "en": "Thank you"}
_msg_ids = itertools.count(int(time.time() * 1000) * 1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """The CRM: checks each signature, counts deliveries per Idempotency-Key."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_key: dict[str, int] = defaultdict(int)
        self.bad_signatures = 0
        receiver = self
        verify = readme_verify()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                good = verify(SECRET, self.headers, body)
                with receiver.lock:
                    if good:
                        receiver.by_key[self.headers.get("Idempotency-Key", "")] += 1
                    else:
                        receiver.bad_signatures += 1
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/leads"


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen([gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads",
                             str(threads), "--log-level", "warning", "app:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("gunicorn did not start")
        time.sleep(0.2)


def start_workers(env: dict[str, str], count: int) -> list[subprocess.Popen]:
    code = "from config import load_settings\nfrom wechat.jobs import run_worker\nrun_worker(load_settings())\n"
    return [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]


def run_follower(n: int, base_url: str, retry_share: float, timings: dict[str, list[float]],
                 lock: threading.Lock) -> tuple[str, str, str]:
    """Fill the form once; returns (openid, language, outcome) with outcome "done" or what went wrong."""
    lang = "zh" if n % 2 == 0 else "en"
    follower = Follower(HttpTransport(base_url, timeout=30), TOKEN, openid=f"o_bench_{n:06d}_{uuid.uuid4().hex[:6]}",
                        mode="plain")
    rng = random.Random(n)
    reply = None
    for step, template in zip(STEPS, SCRIPTS[lang], strict=True):
        fields = {"MsgType": "text", "Content": template.format(n=n), "MsgId": str(next(_msg_ids))}
        created_at = int(time.time())
        racer = None
        if rng.random() < retry_share:   # WeChat's retry of the same MsgId, racing the first try
            def retry(fields: dict[str, str] = fields, created_at: int = created_at) -> None:
                time.sleep(0.003)
                follower.post_fields(dict(fields), created_at=created_at)
            racer = threading.Thread(target=retry)
            racer.start()
        started = time.perf_counter()
        try:
            reply = follower.post_fields(dict(fields), created_at=created_at)
        except requests.RequestException as exc:
            return follower.openid, lang, f"{step}: {type(exc).__name__}"
        elapsed = time.perf_counter() - started
        if racer is not None:
            racer.join()
        with lock:
            timings[step].append(elapsed)
        if reply.status != 200 or reply.type != "text":
            return follower.openid, lang, f"{step}: HTTP {reply.status} {reply.type}"
    if reply is None or DONE[lang] not in reply.content:
        return follower.openid, lang, "confirm: unexpected reply"
    return follower.openid, lang, "done"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000 if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64, help="followers talking at the same moment")
    parser.add_argument("--retries", type=float, default=0.2, help="share of messages WeChat sends twice")
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--gunicorn-threads", type=int, default=8)
    parser.add_argument("--job-workers", type=int, default=4, help="worker processes delivering to the CRM")
    parser.add_argument("--no-deliver", action="store_true", help="skip the CRM delivery part")
    parser.add_argument("--deliver-timeout", type=float, default=600)
    args = parser.parse_args()

    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9"
    client = redis_lib.Redis.from_url(redis_url)
    client.ping()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    receiver = Receiver()
    env = {**os.environ, "WECHAT_TOKEN": TOKEN, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix,
           "LOG_LEVEL": "WARNING", "LEADS_WEBHOOK_URL": receiver.url, "LEADS_WEBHOOK_SECRET": SECRET,
           "PYTHONPATH": ROOT}
    for name in ("WECHAT_APPID", "WECHAT_SECRET", "WECHAT_AES_KEY", "SALES_OPENIDS"):
        env.pop(name, None)
    port = free_port()
    server = start_gunicorn(env, port, args.gunicorn_workers, args.gunicorn_threads)
    workers: list[subprocess.Popen] = []
    try:
        timings: dict[str, list[float]] = defaultdict(list)
        lock = threading.Lock()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            results = list(pool.map(lambda n: run_follower(n, f"http://127.0.0.1:{port}", args.retries, timings, lock),
                                    range(args.followers)))
        form_seconds = time.perf_counter() - started

        store = LeadStore(client, Keys(prefix))
        done = [openid for openid, _, outcome in results if outcome == "done"]
        failures = [(openid, outcome) for openid, _, outcome in results if outcome != "done"]
        leads_per_follower = {openid: store.lead_ids_of(openid) for openid, _, _ in results}
        entries = store.log_entries()
        stored = {openid for openid, ids in leads_per_follower.items() if ids}
        duplicates = (len(entries) - len(stored)) + sum(len(ids) - 1 for ids in leads_per_follower.values() if ids)
        lost = len([o for o in done if o not in stored])
        requests_sent = sum(len(v) for v in timings.values())

        print(f"lead form: {args.followers} followers, {args.concurrency} at a time, "
              f"{args.retries:.0%} of messages retried by 'WeChat', gunicorn {args.gunicorn_workers}x"
              f"{args.gunicorn_threads} threads")
        print(f"  completed leads   {len(done)} / {args.followers}  ({form_seconds:.1f} s, "
              f"{requests_sent / form_seconds:.0f} messages/s)")
        print(f"  stored leads      {len(stored)}  (log entries {len(entries)})")
        print(f"  duplicates        {duplicates}")
        print(f"  lost leads        {lost}")
        if failures:
            print(f"  failed followers  {len(failures)}, e.g. {failures[:3]}")
        print("  latency per step (ms)      p50      p99      max")
        for step in STEPS:
            values = timings.get(step, [])
            print(f"    {step:<22} {pct(values, .5):8.1f} {pct(values, .99):8.1f} {pct(values, 1):8.1f}")

        undelivered = 0
        if not args.no_deliver:
            started = time.perf_counter()
            workers = start_workers(env, args.job_workers)
            deadline = time.monotonic() + args.deliver_timeout
            while time.monotonic() < deadline:
                with receiver.lock:
                    delivered_keys = len(receiver.by_key)
                if delivered_keys >= len(stored):
                    break
                time.sleep(0.5)
            seconds = time.perf_counter() - started
            with receiver.lock:
                keys = dict(receiver.by_key)
            expected = {f"{lead_id}-r1" for ids in leads_per_follower.values() for lead_id in ids}
            undelivered = len(expected - set(keys))
            states = defaultdict(int)
            for ids in leads_per_follower.values():
                for lead_id in ids:
                    states[store.get(lead_id).delivery] += 1
            print(f"CRM delivery: {args.job_workers} worker processes")
            print(f"  delivered         {len(expected & set(keys))} / {len(expected)}  ({seconds:.1f} s)")
            print(f"  redelivered       {sum(c - 1 for c in keys.values())}  (same Idempotency-Key twice)")
            print(f"  missing           {undelivered}")
            print(f"  bad signatures    {receiver.bad_signatures}")
            print(f"  lead states       {json.dumps(dict(states))}")
        ok = duplicates == 0 and lost == 0 and not failures and undelivered == 0
        print("RESULT", "OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        for proc in [server, *workers]:
            proc.terminate()
        for proc in [server, *workers]:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        receiver.server.shutdown()
        cleanup(client, prefix)


if __name__ == "__main__":
    sys.exit(main())
