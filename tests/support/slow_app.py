"""An app for cross-process tests: the real pipeline plus two probe routes that count their runs in Redis.

"slow <n>" sleeps n seconds before answering; "count" answers at once; "effect slow <n>" queues a job
whose id is tied to the message, then sleeps. Each run INCRs ``<prefix>runs:<msgid>`` and records its
worker's pid under ``<prefix>pid:<msgid>``, so a test can prove how often a handler ran across processes
and kill the worker running it.
Served by gunicorn as ``tests.support.slow_app:create_probe_app()``.
"""
from __future__ import annotations

import os
import time

from app import build_router, create_app
from wechat.jobs import enqueue_side_effect
from wechat.context import Context
from wechat.replies import Reply, Text
from wechat.router import Router

probe = Router("probe")


def _count(ctx: Context) -> int:
    ctx.bot.redis.set(ctx.bot.keys("pid", ctx.message.msg_id), os.getpid())
    return int(ctx.bot.redis.incr(ctx.bot.keys("runs", ctx.message.msg_id)))


@probe.route(lambda ctx: ctx.message.content.startswith("effect slow"))
def effect_then_slow_reply(ctx: Context) -> Reply:
    """A side effect queued before the handler stalls: a takeover must not queue it a second time."""
    enqueue_side_effect(ctx.bot.redis, ctx.bot.settings, "tests.support.outbound_jobs.always_fails",
                        {"name": "probe"}, job_id=f"{ctx.message.dedupe_key}:probe-effect")
    runs = _count(ctx)
    time.sleep(float(ctx.message.content.split()[2]))
    return Text(f"effect done, run {runs}")


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
    return create_app(router=root)
