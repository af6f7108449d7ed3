"""WeChat retries a message it got no answer to: the handler runs once and every try gets the same reply,
in one process and across two gunicorn servers sharing one Redis."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from tests.support.live_server import LiveServer
from wechat.context import Context
from wechat.replies import Text
from wechat.router import Router
from devtools.simulator import Follower, HttpTransport
from tests.support.outbound_jobs import noop


def _with_probe(bot, handler_text: str, handler):
    probe = Router("probe")
    probe.text(handler_text)(handler)
    root = Router("root")
    root.include(probe)
    root.include(bot.router)
    bot.router = root


def test_retry_after_finish_returns_identical_cached_reply(follower, bot, redis):
    runs = []

    def counted(ctx: Context):
        runs.append(1)
        ctx.defer(noop, n=len(runs))
        return Text(f"run {len(runs)} at {time.time_ns()}")

    _with_probe(bot, "count", counted)
    queued = []
    bot.enqueue = queued.extend
    first = follower.send("count", msg_id=777001)
    second = follower.resend()
    third = follower.resend()
    assert first.raw == second.raw == third.raw
    assert len(runs) == 1
    assert len(queued) == 1                      # the side effect was queued once


def test_event_retries_are_deduplicated_by_sender_time_event_and_key(follower, bot):
    runs = []
    probe = Router("probe")

    @probe.click("MENU_PROBE")
    def clicked(ctx):
        runs.append(1)
        return Text(f"clicked {time.time_ns()}")

    root = Router("root")
    root.include(probe)
    root.include(bot.router)
    bot.router = root
    first = follower.click("MENU_PROBE")
    assert follower.resend().raw == first.raw
    assert len(runs) == 1
    time.sleep(1.01)                              # a new click a second later is a new event
    follower.click("MENU_PROBE")
    assert len(runs) == 2


def test_same_msgid_from_another_follower_is_not_a_duplicate(make_follower, bot):
    runs = []
    _with_probe(bot, "count", lambda ctx: runs.append(1) or Text("ok"))
    make_follower().send("count", msg_id=555)
    make_follower().send("count", msg_id=555)
    assert len(runs) == 2


def test_retry_while_first_try_is_running_waits_for_its_reply(app, bot):
    runs = []

    def slow(ctx):
        runs.append(1)
        time.sleep(0.8)
        return Text(f"slow {time.time_ns()}")

    _with_probe(bot, "slow", slow)
    from devtools.simulator import FlaskTransport
    first_f = Follower(FlaskTransport(app.test_client()), SAMPLE_TOKEN, openid="o_slow", mode="plain")
    retry_f = Follower(FlaskTransport(app.test_client()), SAMPLE_TOKEN, openid="o_slow", mode="plain")
    results = {}
    t = threading.Thread(target=lambda: results.setdefault("first", first_f.send("slow", msg_id=888)))
    t.start()
    time.sleep(0.2)
    retry_f.last_xml = first_f.last_xml
    results["retry"] = retry_f.resend()
    t.join()
    assert len(runs) == 1
    assert results["retry"].raw == results["first"].raw


@pytest.fixture
def two_servers(redis_url, key_prefix):
    env = {"WECHAT_TOKEN": SAMPLE_TOKEN, "WECHAT_APPID": SAMPLE_APPID, "WECHAT_AES_KEY": SAMPLE_AES_KEY,
           "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix, "LOG_LEVEL": "WARNING"}
    servers = [LiveServer(env, app="tests.support.slow_app:create_probe_app()") for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def _followers(servers, openid):
    return [Follower(HttpTransport(s.url), SAMPLE_TOKEN, aes_key=SAMPLE_AES_KEY, appid=SAMPLE_APPID,
                     openid=openid, mode="safe") for s in servers]


def test_retry_on_other_host_after_finish_gets_cached_reply(two_servers, redis, key_prefix):
    a, b = _followers(two_servers, "o_" + uuid.uuid4().hex[:12])
    first = a.send("count", msg_id=910001)
    b.last_xml = a.last_xml
    second = b.resend()
    assert first.type == "text" and first.content == second.content
    assert int(redis.get(f"{key_prefix}runs:910001")) == 1


def test_retry_on_other_host_while_first_is_running(two_servers, redis, key_prefix):
    a, b = _followers(two_servers, "o_" + uuid.uuid4().hex[:12])
    results = {}
    t = threading.Thread(target=lambda: results.setdefault("first", a.send("slow 1.5", msg_id=910002)))
    t.start()
    deadline = time.monotonic() + 5
    while a.last_xml is None or not redis.get(f"{key_prefix}runs:910002"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    b.last_xml = a.last_xml
    results["retry"] = b.resend()         # lands on the other server while the first try sleeps
    t.join()
    assert results["first"].content.startswith("slow done, run 1")
    assert results["retry"].content == results["first"].content
    assert int(redis.get(f"{key_prefix}runs:910002")) == 1
