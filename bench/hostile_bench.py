"""Server time per message for hostile sizes: unmatched texts from 10 to 60,000 characters and a 1,000,000-byte
CJK body, through the whole app (signature, body read, parse, claim, routes, analytics, finish) in process.

Run:  python bench/hostile_bench.py [--repeat 15] [--sizes 10,100,1000,10000,60000]
Needs a Redis (REDIS_URL, default redis://127.0.0.1:6379/9). Prints the median milliseconds per message for
each shape and size; the cost should be flat across sizes, because every field is cut to
``wechat.messages.MAX_FIELD_CHARS`` where the message is parsed.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402
from config import load_settings  # noqa: E402
from wechat.crypto import sign  # noqa: E402

TOKEN = "benchtoken"
# Shapes that made the old analytics mask backtrack (one long word run, a run of "a@"), ordinary prose, Chinese.
SHAPES = {
    "one long word": lambda n: ("qwertyuiop" * (n // 10 + 1))[:n],
    "a@a@a@...": lambda n: ("a@" * (n // 2 + 1))[:n],
    "1-1-1-...": lambda n: ("1-" * (n // 2 + 1))[:n],
    "english prose": lambda n: ("zebra quantum violin " * (n // 21 + 1))[:n],
    "chinese prose": lambda n: ("这是一个没有任何匹配的长问题" * (n // 14 + 1))[:n],
}


def _post(client, text: str, openid: str) -> tuple[float, int]:
    ts, nonce = str(int(time.time())), secrets.token_hex(8)
    body = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
            f"<MsgId>{secrets.randbelow(10**15)}</MsgId></xml>").encode("utf-8")
    query = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    started = time.perf_counter()
    resp = client.post("/wechat", query_string=query, data=body, content_type="text/xml", buffered=True)
    return (time.perf_counter() - started) * 1000, resp.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--sizes", default="10,100,1000,10000,60000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    settings = load_settings({"WECHAT_TOKEN": TOKEN, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix,
                              "LOG_LEVEL": "WARNING"})
    app = create_app(settings)
    client = app.test_client()
    try:
        for _ in range(20):                              # warm: jieba, indexes, scripts
            _post(client, "warm up question", "o_warm")
        print(f"median server ms per unmatched text message ({args.repeat} messages each)")
        print(f"{'shape':<16}" + "".join(f"{n:>10,}" for n in sizes))
        for shape, make in SHAPES.items():
            row = []
            for n in sizes:
                text = make(n)
                times = []
                for i in range(args.repeat):
                    ms, status = _post(client, text, f"o_{shape[:3]}_{i}")
                    if status != 200:
                        sys.exit(f"{shape} x {n}: HTTP {status}")
                    times.append(ms)
                row.append(statistics.median(times))
            print(f"{shape:<16}" + "".join(f"{ms:>10.2f}" for ms in row))
        cjk = "中" * (1_000_000 // 3)                      # 3 bytes each in UTF-8: a 1,000,000-byte body
        times = [_post(client, cjk, f"o_big_{i}")[0] for i in range(max(3, args.repeat // 3))]
        print(f"1,000,000-byte CJK body: median {statistics.median(times):.2f} ms, max {max(times):.2f} ms "
              f"({len(times)} messages)")
    finally:
        from bench.core_bench import _cleanup

        _cleanup(redis_url, prefix)


if __name__ == "__main__":
    main()
