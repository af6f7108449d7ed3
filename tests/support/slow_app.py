"""An app for cross-process tests: the real pipeline plus two probe routes that count their runs in Redis.

"slow <n>" sleeps n seconds before answering; "count" answers at once. Each run INCRs
``<prefix>runs:<msgid>`` so a test can prove a handler ran exactly once across processes.
Served by gunicorn as ``tests.support.slow_app:create_probe_app()``.
"""
from __future__ import annotations

import time
from typing import Any

from app import build_router, create_app
from wechat.context import Context
from wechat.replies import Reply, Text
from wechat.router import Router

probe = Router("probe")
_counter: dict[str, Any] = {}     # the app's Redis and keys, set by create_probe_app (test code only)


def _count(ctx: Context) -> int:
    return int(_counter["redis"].incr(_counter["keys"]("runs", ctx.message.msg_id)))


@probe.route(lambda ctx: ctx.message.content.startswith("slow"))
def slow_reply(ctx: Context) -> Reply:
    runs = _count(ctx)
    time.sleep(float(ctx.message.content.split()[1]))
    return Text(f"slow done, run {runs}, nonce {time.time_ns()}")


@probe.text("count")
def count_reply(ctx: Context) -> Reply:
    return Text(f"counted, run {_count(ctx)}, nonce {time.time_ns()}")


def create_probe_app():
    root = Router("root")
    root.include(probe)
    root.include(build_router())
    app = create_app(router=root)
    bot = app.extensions["wxbot"]
    _counter.update(redis=bot.redis, keys=bot.keys)
    return app
