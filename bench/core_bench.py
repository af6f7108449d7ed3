"""Throughput and latency of the webhook's full path against a bare Flask floor, both under gunicorn.

Run:  python bench/core_bench.py [--seconds 10] [--connections 16]
Needs wrk (apt-get install wrk) and a Redis (REDIS_URL, default redis://127.0.0.1:6379/9).
Each request is a text message with a unique MsgId, so every one takes the full path:
signature, parse (and AES in safe mode), dedupe claim + session in Redis, routing, reply cache.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.support.live_server import LiveServer  # noqa: E402
from wechat.crypto import SafeModeBox, sign  # noqa: E402

TOKEN, APPID = "benchtoken", "wx2c2769f8efd9abc2"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def signed_line(xml: str, timestamp: str, nonce: str, box: SafeModeBox | None = None) -> str:
    """One request for wrk_bodies.lua, ``query<TAB>body``, signed as WeChat signs: a nonce never used before and
    a timestamp within the freshness window (the webhook refuses stale ones and reused (timestamp, nonce) pairs)."""
    query = f"signature={sign(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
    if box is not None:
        enc = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", box.encrypt(xml, nonce, timestamp)).group(1)
        xml = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
        query += f"&encrypt_type=aes&msg_signature={sign(TOKEN, timestamp, nonce, enc)}"
    return f"{query}\t{xml}\n"


def make_bodies(path: str, count: int, safe: bool, run: str) -> None:
    """``count`` text messages with unique MsgIds and nonces, signed now (use them within WeChat's 300 s window)."""
    box = SafeModeBox(TOKEN, AES_KEY, APPID) if safe else None
    timestamp = str(int(time.time()))
    with open(path, "w") as fh:
        for i in range(count):
            xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_bench_{i % 500}]]>"
                   f"</FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                   f"<Content><![CDATA[qwerty {run}]]></Content><MsgId>{run}{i:08d}</MsgId></xml>")
            fh.write(signed_line(xml, timestamp, f"n{run}x{i}", box))


def worker_cpu_seconds(master_pid: int) -> float:
    """User+system CPU of gunicorn's workers (children of the master), from /proc; noise-resistant on a busy box."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    with open(f"/proc/{master_pid}/task/{master_pid}/children") as fh:
        children = [int(pid) for pid in fh.read().split()]
    for pid in children:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])     # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def run_wrk(url: str, bodies: str, q: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                          os.path.join(os.path.dirname(__file__), "wrk_bodies.lua"), url, "--", bodies, "2", q],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = map(float, re.search(r"LAT p50=([\d.]+) p99=([\d.]+)", out).groups())
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "requests": total, "errors": int(non2xx.group(1)) if non2xx else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--bodies", type=int, default=60000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    # Plaintext rows need WECHAT_ACCEPT_PLAINTEXT: with an AES key set, plaintext POSTs are refused by default.
    env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_AES_KEY": AES_KEY, "REDIS_URL": redis_url,
           "REDIS_KEY_PREFIX": prefix, "LOG_LEVEL": "WARNING", "WECHAT_ACCEPT_PLAINTEXT": "true"}
    tmp = tempfile.mkdtemp(prefix="wxbot-bench-")
    results: dict[str, dict[str, float]] = {}
    try:
        for name, app, safe in (("bare flask (floor)", "bench.bare_app:create_bare_app()", False),
                                ("full path, plaintext", "app:create_app()", False),
                                ("full path, safe mode", "app:create_app()", True)):
            bodies = os.path.join(tmp, f"{len(results)}.txt")
            server = LiveServer(env, app=app, workers=2, threads=None).start()   # gunicorn's default sync workers
            make_bodies(bodies, args.bodies, safe, run=f"{len(results) + 1}{int(time.time()) % 100000:05d}")
            try:
                cpu_before = worker_cpu_seconds(server.proc.pid)
                results[name] = run_wrk(server.url + "/wechat", bodies, "", args.seconds, args.connections)
                results[name]["cpu_us"] = ((worker_cpu_seconds(server.proc.pid) - cpu_before)
                                           / results[name]["requests"] * 1e6)
            finally:
                server.stop()
            if results[name]["requests"] > args.bodies:
                print(f"warning: {name} sent more requests than unique bodies; raise --bodies", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _cleanup(redis_url, prefix)
    floor = results["bare flask (floor)"]["rps"]
    # "worker CPU/req": the gunicorn workers' CPU per request, which a busy machine disturbs far less than req/s.
    print(f"{'workload':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'of floor':>10}"
          f"{'worker CPU/req':>16}")
    for name, r in results.items():
        print(f"{name:<24}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>8}{r['rps'] / floor:>10.0%}"
              f"{r['cpu_us']:>13.0f} µs")
    print(f"(gunicorn sync workers x2, {args.connections} connections, {args.seconds}s each, Redis {redis_url})")


def _cleanup(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    main()
