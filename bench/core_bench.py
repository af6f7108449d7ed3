"""Throughput, p99 and server CPU of the webhook's full path beside two references, all under gunicorn.

Run:  python bench/core_bench.py [--seconds 10] [--connections 16] [--rounds 3] [--text qwerty]
Needs wrk (apt-get install wrk) and a Redis (REDIS_URL, default redis://127.0.0.1:6379/9; ``--private-redis``
starts one for the run, so its CPU is only ours).

Targets, each started with the same gunicorn flags (2 sync workers; ``--threads N`` for gthread):
  bare flask   a route returning a fixed reply: the floor;
  naive peer   bench/naive_peer.py: wechatpy + Flask + one Redis SET NX, what a developer writes in an afternoon;
  this project the whole app: signature, parse (and AES in safe mode), claim + follower lock + conversation +
               content version, routing, reply cache, analytics.
Every request is a text message with a unique MsgId (and nonce), signed now. Each target's replies are
checked: a few sent and decoded (decrypted in safe mode) before the run, and every reply wrk receives must
be a 200 carrying XML (``bad`` counts the others). Rounds are interleaved (plain and safe, every target, then
again) and the table shows medians. "server CPU/req": the gunicorn process tree plus Redis (INFO cpu), per
request: far less disturbed by a busy machine than req/s.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import redis as redis_lib  # noqa: E402

from devtools.simulator import Follower, HttpTransport  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from tests.support.redis_server import PrivateRedis  # noqa: E402
from wechat.crypto import SafeModeBox, sign  # noqa: E402

TOKEN, APPID = "benchtoken", "wx2c2769f8efd9abc2"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TARGETS = (("bare flask", "bench.bare_app:create_bare_app()"),
           ("naive peer", "bench.naive_peer:create_peer_app()"),
           ("this project", "app:create_app()"))
CHECKS = 5   # replies sent and decoded per target and mode before each wrk run


def signed_line(xml: str, timestamp: str, nonce: str, box: SafeModeBox | None = None) -> str:
    """One request for wrk_bodies.lua, ``query<TAB>body``, signed as WeChat signs: a nonce never used before and
    a timestamp within the freshness window (the webhook refuses stale ones and reused (timestamp, nonce) pairs)."""
    query = f"signature={sign(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}"
    if box is not None:
        enc = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", box.encrypt(xml, nonce, timestamp)).group(1)
        xml = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
        query += f"&encrypt_type=aes&msg_signature={sign(TOKEN, timestamp, nonce, enc)}"
    return f"{query}\t{xml}\n"


def make_bodies(path: str, count: int, safe: bool, run: str, text: str = "qwerty") -> None:
    """``count`` text messages with unique MsgIds and nonces, signed now (use them within WeChat's 300 s window)."""
    box = SafeModeBox(TOKEN, AES_KEY, APPID) if safe else None
    timestamp = str(int(time.time()))
    with open(path, "w") as fh:
        for i in range(count):
            xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_bench_{i % 500}]]>"
                   f"</FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                   f"<Content><![CDATA[{text} {run}]]></Content><MsgId>{run}{i:08d}</MsgId></xml>")
            fh.write(signed_line(xml, timestamp, f"n{run}x{i}", box))


def tree_cpu_split(master_pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of gunicorn's master and its workers, from /proc: user is Python (and C
    extensions), system is syscalls (sockets, Redis round trips); noise-resistant on a busy box."""
    ticks = os.sysconf("SC_CLK_TCK")
    user = system = 0
    with open(f"/proc/{master_pid}/task/{master_pid}/children") as fh:
        pids = [master_pid, *(int(pid) for pid in fh.read().split())]
    for pid in pids:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        user, system = user + int(fields[11]), system + int(fields[12])   # utime, stime (fields 14, 15 of stat)
    return user / ticks, system / ticks


def tree_cpu_seconds(master_pid: int) -> float:
    """User+system CPU of gunicorn's master and its workers."""
    return sum(tree_cpu_split(master_pid))


def redis_cpu_split(client: redis_lib.Redis) -> tuple[float, float]:
    cpu = client.info("cpu")
    return float(cpu["used_cpu_user"]), float(cpu["used_cpu_sys"])


def redis_cpu_seconds(client: redis_lib.Redis) -> float:
    return sum(redis_cpu_split(client))


def run_wrk(url: str, bodies: str, q: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                          os.path.join(os.path.dirname(__file__), "wrk_bodies.lua"), url, "--", bodies, "2", q],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = map(float, re.search(r"LAT p50=([\d.]+) p99=([\d.]+)", out).groups())
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = re.search(r"BAD (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "requests": total,
            "errors": int(bad.group(1)) if bad else (int(non2xx.group(1)) if non2xx else 0)}


def check_replies(url: str, target: str, safe: bool, run: str) -> None:
    """Send a few messages as WeChat would and decode each reply: a wrong answer stops the bench."""
    follower = Follower(HttpTransport(url), TOKEN, aes_key=AES_KEY, appid=APPID, openid=f"o_check_{run}",
                        mode="safe" if safe else "plain")
    for i in range(CHECKS):
        reply = follower.send(f"qwerty check {i}")
        encrypted_expected = safe and target != "bare flask"     # the floor answers a fixed plaintext reply
        if reply.status != 200 or reply.type != "text" or not reply.content or reply.encrypted != encrypted_expected:
            raise SystemExit(f"{target} ({'safe' if safe else 'plain'}): bad reply {reply.status} {reply.raw[:200]!r}")


def bench_one(target: str, app: str, safe: bool, env: dict[str, str], redis_client: redis_lib.Redis,
              args: argparse.Namespace, tmp: str, serial: int) -> dict[str, float]:
    run = f"{serial}{int(time.time()) % 100000:05d}"
    bodies = os.path.join(tmp, f"{serial}.txt")
    server = LiveServer(env, app=app, workers=args.workers, threads=args.threads).start()   # None: sync workers
    try:
        check_replies(server.url, target, safe, run)
        make_bodies(bodies, args.bodies, safe, run=run, text=args.text)
        before = (*tree_cpu_split(server.proc.pid), *redis_cpu_split(redis_client))
        result = run_wrk(server.url + "/wechat", bodies, "", args.seconds, args.connections)
        after = (*tree_cpu_split(server.proc.pid), *redis_cpu_split(redis_client))
        per_request = [(b - a) / max(result["requests"], 1) * 1e6 for a, b in zip(before, after)]
        result.update(zip(("app_user_us", "app_sys_us", "redis_user_us", "redis_sys_us"), per_request))
        result["cpu_us"] = sum(per_request)
    finally:
        server.stop()
        os.remove(bodies) if os.path.exists(bodies) else None
    if result["requests"] > args.bodies:
        print(f"warning: {target} sent more requests than unique bodies; raise --bodies", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--bodies", type=int, default=90000,
                        help="unique messages written per target (the bare floor serves ~6,000/s)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--text", default="qwerty", help="what each message says (default: nothing matches it)")
    parser.add_argument("--private-redis", action="store_true", help="start a Redis of our own for the run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None,
                        help="gunicorn gthread workers with this many threads each (default: sync workers)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    private = PrivateRedis(appendonly=False).start() if args.private_redis else None
    redis_url = private.url if private else os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    # Plaintext rows need WECHAT_ACCEPT_PLAINTEXT: with an AES key set, plaintext POSTs are refused by default.
    env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_AES_KEY": AES_KEY, "REDIS_URL": redis_url,
           "REDIS_KEY_PREFIX": prefix, "LOG_LEVEL": "WARNING", "WECHAT_ACCEPT_PLAINTEXT": "true"}
    redis_client = redis_lib.Redis.from_url(redis_url)
    tmp = tempfile.mkdtemp(prefix="wxbot-bench-")
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    serial = 0
    try:
        for _ in range(args.rounds):
            for mode in ("plain", "safe"):
                for target, app in TARGETS:
                    serial += 1
                    runs.setdefault((mode, target), []).append(
                        bench_one(target, app, mode == "safe", env, redis_client, args, tmp, serial))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _cleanup(redis_client, prefix)
        if private:
            private.close()
    report(runs, args, redis_url)


def median(runs: list[dict[str, float]], field: str) -> float:
    return statistics.median(r[field] for r in runs)


def report(runs: dict[tuple[str, str], list[dict[str, float]]], args: argparse.Namespace, redis_url: str) -> None:
    print(f"{'mode':<7}{'target':<14}{'req/s':>8}{'x bare':>8}{'x naive':>9}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'CPU/req':>10}{'bad':>6}  req/s of each round")
    for mode in ("plain", "safe"):
        floor, naive = median(runs[(mode, "bare flask")], "rps"), median(runs[(mode, "naive peer")], "rps")
        for target, _ in TARGETS:
            rs = runs[(mode, target)]
            rps = median(rs, "rps")
            print(f"{mode:<7}{target:<14}{rps:>8.0f}{rps / floor:>8.2f}{rps / naive:>9.2f}{median(rs, 'p50'):>8.2f}"
                  f"{median(rs, 'p99'):>8.2f}{median(rs, 'cpu_us'):>7.0f} µs{sum(r['errors'] for r in rs):>6}  "
                  + " ".join(f"{r['rps']:.0f}" for r in rs))
    print("\nserver CPU per request, split (medians): app = the gunicorn tree, user (Python) and sys (syscalls)")
    print(f"{'mode':<7}{'target':<14}{'app user':>10}{'app sys':>10}{'Redis user':>12}{'Redis sys':>11}{'total':>8}")
    for mode in ("plain", "safe"):
        for target, _ in TARGETS:
            rs = runs[(mode, target)]
            print(f"{mode:<7}{target:<14}" + "".join(f"{median(rs, f):>{w}.0f}" for f, w in (
                ("app_user_us", 10), ("app_sys_us", 10), ("redis_user_us", 12), ("redis_sys_us", 11), ("cpu_us", 8))))
    kind = f"gthread x{args.threads}" if args.threads else "sync"
    print(f"(gunicorn {args.workers} {kind} workers, wrk {args.connections} connections, {args.seconds}s per run, {args.rounds} "
          f"interleaved round(s), medians; text {args.text!r}; CPU/req = gunicorn tree + Redis; Redis {redis_url})")


def _cleanup(client: redis_lib.Redis, prefix: str) -> None:
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    main()
