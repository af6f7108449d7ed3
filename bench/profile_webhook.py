"""Per-message cost of the served path, measured in ways a busy machine barely disturbs.

Run:  python bench/profile_webhook.py [--messages 3000] [--workloads keyword,search-new,...] [--modes plain,safe]
      python bench/profile_webhook.py --cprofile /tmp/webhook.prof --workloads keyword   # then: snakeviz / pstats

Each message goes through the whole WSGI app in this process (``app(environ, start_response)``, the call
gunicorn makes; the response is closed as a server closes it, which confirms the deferred finish write),
against a private redis-server this script starts and stops, so Redis's own counters see only us.
Every reply is checked (status 200 and the reply type the workload expects) before figures are printed.

Per message it prints: this process's CPU split into user (Python) and system (syscalls) time
(``resource.getrusage``), Redis's CPU (``INFO cpu`` delta) and commands (``INFO commandstats`` delta),
Python function calls (cProfile, a separate pass: the profiler's own overhead never pollutes the CPU
figures), and, with ``--phases``, where the webhook's time goes (cProfile cumulative time of each step).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import sys
import time
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import redis as redis_lib  # noqa: E402

from tests.support.redis_server import PrivateRedis  # noqa: E402
from wechat.crypto import SafeModeBox, sign  # noqa: E402

TOKEN, APPID = "benchtoken", "wx2c2769f8efd9abc2"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
FOLLOWERS = 100   # ~20 messages each, like core_bench (16 connections, 500 followers, 10 s)



def _questions() -> list[str]:
    """The search tests' real questions (English and Chinese) that search, not a keyword rule, answers."""
    from tests.test_content_search import QUESTIONS

    return [question for question, _, _ in QUESTIONS]


def _new_question(i: int) -> str:
    # A number under 100 is not a search term (tokenize drops it), so the question reads the same to search
    # while its text, the result cache's key, is one never sent before (97 x the questions: 2,000+ distinct).
    questions = _questions()
    return f"{i % 97} {questions[i % len(questions)]}"


# workload -> (text of message i, the reply types that prove the right route answered)
WORKLOADS: dict[str, tuple[Callable[[int], str], tuple[str, ...]]] = {
    "keyword": (lambda i: "KOL", ("news",)),                                # an article keyword (exact)
    "search-new": (_new_question, ("news", "text")),                        # never the same question twice
    "search-repeat": (lambda i: _questions()[i % 3], ("news", "text")),     # three questions, again and again
    "fallback": (lambda i: "qwerty", ("text",)),                            # core_bench's body: nothing matches
}
# The webhook's steps, by the function that does each (cProfile cumulative time, with --phases).
PHASES = (("signature", "signature_valid"), ("read body", "read_body"), ("parse", "parse_message"),
          ("decrypt", "decrypt"), ("claim (Redis round trip)", "claim"), ("content", "current"),
          ("dispatch", "dispatch"), ("render", "render"), ("encrypt", "encrypt"), ("finish", "_finish"),
          ("flush (after body)", "flush"))


def message_xml(i: int, text: str, run: str, timestamp: int) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_bench_{run}_{i % FOLLOWERS}]]>"
            f"</FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{run}{i:08d}</MsgId></xml>")


def build_environs(count: int, text: Callable[[int], str], safe: bool, run: str) -> list[dict[str, Any]]:
    """WSGI environs for ``count`` messages, signed like WeChat signs them (built before anything is timed)."""
    from werkzeug.test import EnvironBuilder

    box = SafeModeBox(TOKEN, AES_KEY, APPID) if safe else None
    timestamp = int(time.time())
    out = []
    for i in range(count):
        nonce = f"n{run}x{i}"
        query = {"signature": sign(TOKEN, str(timestamp), nonce), "timestamp": str(timestamp), "nonce": nonce}
        xml = message_xml(i, text(i), run, timestamp)
        if box is not None:
            envelope = box.encrypt(xml, nonce, str(timestamp))
            encrypt = envelope.split("<Encrypt><![CDATA[", 1)[1].split("]]>", 1)[0]
            xml = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
            query.update(encrypt_type="aes", msg_signature=sign(TOKEN, str(timestamp), nonce, encrypt))
        out.append(EnvironBuilder(path="/wechat", method="POST", query_string=urlencode(query),
                                  data=xml.encode("utf-8"), content_type="text/xml").get_environ())
    return out


def serve(app: Any, environs: Iterable[dict[str, Any]]) -> list[tuple[str, bytes]]:
    """Call the WSGI app as gunicorn's sync worker does: start, read the body, close."""
    replies = []
    for environ in environs:
        status: list[str] = []
        result = app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        replies.append((status[0], body))
    return replies


def check(replies: list[tuple[str, bytes]], expected: tuple[str, ...], safe: bool) -> None:
    """Every reply must be a 200 of the expected type (decrypted first in safe mode)."""
    from devtools.simulator import Follower

    decoder = Follower(None, TOKEN, aes_key=AES_KEY if safe else "", appid=APPID)
    for status, body in replies:
        reply = decoder.decode(int(status.split()[0]), body)
        if reply.status != 200 or reply.type not in expected or (safe and not reply.encrypted):
            raise SystemExit(f"bad reply (wanted {expected}): {status} {body[:200]!r}")


def redis_counters(client: redis_lib.Redis) -> tuple[float, float, dict[str, int]]:
    """Redis's CPU (seconds), the time its scripts took (µs, including the commands they call), calls."""
    cpu = client.info("cpu")
    stats = client.info("commandstats")
    command_us = sum(float(v["usec"]) for name, v in stats.items() if name in ("cmdstat_evalsha", "cmdstat_eval"))
    return (cpu["used_cpu_user"] + cpu["used_cpu_sys"], command_us,
            {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})



def measure(app: Any, client: redis_lib.Redis, environs: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(environs)
    redis_cpu0, cmd_us0, cmds0 = redis_counters(client)
    usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    replies = serve(app, environs)
    wall1, usage1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    redis_cpu1, cmd_us1, cmds1 = redis_counters(client)
    commands = {name: calls - cmds0.get(name, 0) for name, calls in cmds1.items()
                if calls - cmds0.get(name, 0) and name not in ("info",)}
    commands["info"] = cmds1.get("info", 0) - cmds0.get("info", 0) - 2   # our own two INFO calls
    commands = {k: v for k, v in commands.items() if v}
    return {"replies": replies, "user_us": (usage1.ru_utime - usage0.ru_utime) / n * 1e6,
            "sys_us": (usage1.ru_stime - usage0.ru_stime) / n * 1e6, "wall_us": (wall1 - wall0) / n * 1e6,
            "redis_us": (redis_cpu1 - redis_cpu0) / n * 1e6, "cmd_us": (cmd_us1 - cmd_us0) / n,
            "commands": {name: calls / n for name, calls in sorted(commands.items())}}


def calls_per_message(app: Any, environs: list[dict[str, Any]], out: str | None,
                      phases: bool) -> tuple[float, dict[str, float]]:
    profiler = cProfile.Profile()
    profiler.enable()
    serve(app, environs)
    profiler.disable()
    if out:
        profiler.dump_stats(out)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    per_phase: dict[str, float] = {}
    if phases:
        for label, func in PHASES:
            found = [(key, value) for key, value in stats.stats.items() if key[2] == func
                     and ("wechat" in key[0] or "library" in key[0])]
            per_phase[label] = sum(value[3] for _, value in found) / len(environs) * 1e6
        # The project's /wechat is a WSGI app in front of Flask (wechat/webhook.py); the peers are Flask's.
        total = [v for k, v in stats.stats.items() if k[2] == "dispatch" and k[0].endswith("webhook.py")] or \
            [v for k, v in stats.stats.items() if k[2] == "wsgi_app"]
        per_phase["whole request (WSGI app)"] = sum(v[3] for v in total) / len(environs) * 1e6
    return stats.total_calls / len(environs), per_phase


def make_target(name: str, settings: Any) -> Any:
    if name == "project":
        from app import create_app

        return create_app(settings)
    if name == "naive":
        from bench.naive_peer import create_peer_app

        return create_peer_app()
    if name == "bare":
        from bench.bare_app import create_bare_app

        return create_bare_app()
    raise SystemExit(f"unknown target {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3,
                        help="measured passes per row; the one with the least CPU is shown (noise only adds)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--modes", default="plain,safe")
    parser.add_argument("--cprofile", help="write the (last) cProfile pass here (pstats format)")
    parser.add_argument("--phases", action="store_true", help="print the webhook's steps (cProfile cumulative)")
    parser.add_argument("--serve-only", type=int, default=None, metavar="N",
                        help="build --messages requests but only serve the first N, measure nothing (for callgrind: "
                             "the difference of two runs with different N is the cost of the messages alone)")
    parser.add_argument("--content-dir", default=None,
                        help="serve this content tree instead of content/ (e.g. content_bench's generated one)")
    parser.add_argument("--targets", default="project",
                        help="project, naive (bench/naive_peer.py), bare (bench/bare_app.py): same bodies, same Redis")
    args = parser.parse_args()

    server = PrivateRedis(appendonly=False).start()
    try:
        from config import load_settings

        env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_AES_KEY": AES_KEY}
        if args.content_dir:
            env["CONTENT_DIR"] = args.content_dir
        settings = load_settings(env, redis_url=server.url, key_prefix=f"prof-{uuid.uuid4().hex[:6]}:",
                                 accept_plaintext=True, log_level="WARNING")
        prefix = settings.key_prefix
        os.environ.update(env, REDIS_URL=server.url, REDIS_KEY_PREFIX=prefix)   # the peers read their environment
        client = redis_lib.Redis.from_url(server.url)
        print(f"{'target':<9}{'workload':<15}{'mode':<6}{'CPU µs':>8}{'(user':>7}{'sys)':>6}{'wall µs':>9}"
              f"{'redis µs':>10}{'lua µs':>8}{'cmds':>6}{'calls':>7}  commands per message")
        for target in args.targets.split(","):
            app = make_target(target, settings)
            for workload in args.workloads.split(","):
                text, expected = WORKLOADS[workload]
                if target != "project":
                    expected = ("text",)     # the peers answer every text with a fixed text reply
                for mode in args.modes.split(","):
                    safe = mode == "safe"
                    run = str(uuid.uuid4().int % 10**6)    # MsgIds are numbers (wechatpy refuses others)
                    if args.serve_only is not None:
                        serve(app, build_environs(args.warmup, text, safe, run + "1"))
                        environs = build_environs(args.messages, text, safe, run + "2")
                        serve(app, environs[:args.serve_only])
                        continue
                    serve(app, build_environs(args.warmup, text, safe, run + "1"))
                    passes = []
                    for attempt in range(args.repeat):
                        passes.append(measure(app, client, build_environs(args.messages, text, safe,
                                                                          f"{run}2{attempt}")))
                        check(passes[-1]["replies"], expected, safe and target != "bare")
                    measured = min(passes, key=lambda m: m["user_us"] + m["sys_us"] + m["redis_us"])
                    calls, phases = calls_per_message(app, build_environs(args.messages, text, safe, run + "3"),
                                                      args.cprofile, args.phases and target == "project")
                    cmds = measured["commands"]
                    print(f"{target:<9}{workload:<15}{mode:<6}{measured['user_us'] + measured['sys_us']:>8.0f}"
                          f"{measured['user_us']:>7.0f}{measured['sys_us']:>6.0f}{measured['wall_us']:>9.0f}"
                          f"{measured['redis_us']:>10.1f}{measured['cmd_us']:>8.1f}{sum(cmds.values()):>6.2f}"
                          f"{calls:>7.0f}  " + " ".join(f"{name}={calls:.2f}" for name, calls in cmds.items()))
                    for label, micros in phases.items():
                        print(f"    {label:<28}{micros:>8.1f} µs (cProfile)")
            flush = getattr(app, "extensions", {}).get("wxbot.analytics")
            if flush is not None:
                flush.flush(client)      # what a clean exit would write, before this Redis goes away
    finally:
        server.close()


if __name__ == "__main__":
    main()
