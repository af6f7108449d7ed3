"""Forged follower messages: stale or future timestamps, a signed triple reused with another body, plaintext
posts to an account in safe mode. WeChat's own traffic (fresh, retried with the same body) still passes."""
from __future__ import annotations

import secrets
import time
import uuid

import pytest

from app import create_app
from config import load_settings
from devtools.simulator import FlaskTransport, Follower
from tests.conftest import SAMPLE_TOKEN
from tests.support.redis_server import PrivateRedis
from wechat.crypto import sign
from wechat.redis_conn import connect
from wechat.replies import Text
from wechat.router import Router


def _query(timestamp: int | None = None, nonce: str | None = None, **extra: str) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(6)
    return {"signature": sign(SAMPLE_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, **extra}


def _text(openid: str, text: str, msg_id: int) -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


@pytest.fixture
def probe_runs(bot) -> list[str]:
    """Texts starting with "probe" are answered by a route that records each run."""
    runs: list[str] = []
    probe = Router("probe")

    @probe.route(lambda ctx: ctx.message.content.startswith("probe"))
    def record(ctx):
        runs.append(ctx.message.content)
        return Text(f"ran {ctx.message.content} #{len(runs)}")

    root = Router("root")
    root.include(probe)
    root.include(bot.router)
    bot.router = root
    return runs


@pytest.mark.parametrize("offset", [-301, 301, -10 * 365 * 86400, 10 * 365 * 86400])
def test_post_with_stale_or_future_timestamp_is_refused(client, probe_runs, offset):
    resp = client.post("/wechat", query_string=_query(int(time.time()) + offset),
                       data=_text("o_victim", "probe delete my data", 1), content_type="text/xml")
    assert resp.status_code == 403
    assert resp.data == b"stale or future timestamp\n"
    assert probe_runs == []


def test_timestamp_within_the_window_is_accepted(client, probe_runs):
    resp = client.post("/wechat", query_string=_query(int(time.time()) - 290),
                       data=_text("o_ok", "probe hello", 2), content_type="text/xml")
    assert resp.status_code == 200 and probe_runs == ["probe hello"]


def test_get_verification_needs_a_fresh_timestamp_too(client):
    stale = client.get("/wechat", query_string=_query(int(time.time()) - 3600, echostr="E1"))
    assert stale.status_code == 403 and b"E1" not in stale.data
    fresh = client.get("/wechat", query_string=_query(echostr="E2"))
    assert fresh.status_code == 200 and fresh.data == b"E2"


def test_clock_skew_window_is_configurable(make_settings, redis):
    app = create_app(make_settings(max_clock_skew=60), redis=redis)
    resp = app.test_client().get("/wechat", query_string=_query(int(time.time()) - 120, echostr="x"))
    assert resp.status_code == 403


def test_triple_reused_with_another_body_is_refused(client, probe_runs):
    query = _query()
    first = client.post("/wechat", query_string=query, data=_text("o_a", "probe first", 10), content_type="text/xml")
    assert first.status_code == 200
    forged = client.post("/wechat", query_string=query, data=_text("o_victim", "probe delete my data", 11),
                         content_type="text/xml")
    assert forged.status_code == 403
    assert forged.data == b"timestamp and nonce already used with another body\n"
    assert probe_runs == ["probe first"]


def test_same_triple_and_body_is_a_retry_that_gets_the_first_reply(client, probe_runs):
    query, body = _query(), _text("o_b", "probe retry me", 20)
    first = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
    again = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
    assert first.status_code == again.status_code == 200
    assert first.data == again.data and b"ran probe retry me #1" in first.data
    assert probe_runs == ["probe retry me"]


def test_exact_replay_after_the_dedupe_record_expired_does_not_run_again(client, probe_runs, redis, key_prefix):
    query, body = _query(), _text("o_c", "probe once", 30)
    assert client.post("/wechat", query_string=query, data=body, content_type="text/xml").status_code == 200
    redis.delete(f"{key_prefix}seen:m:30:o_c")     # as if DEDUPE_TTL_SECONDS had passed, within the clock window
    replay = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
    assert replay.status_code == 200 and replay.data == b"success"
    assert probe_runs == ["probe once"]


def test_safe_mode_retry_is_recognised_by_the_decrypted_message(make_follower, bot, probe_runs):
    """The replay digest is of the decrypted message: the same triple with the same message passes."""
    follower = make_follower(mode="safe")
    transport = follower.transport
    sent: list[tuple[dict, bytes]] = []
    original = transport.post

    def record(query, body):
        sent.append((dict(query), body))
        return original(query, body)

    transport.post = record
    first = follower.send("probe safe", msg_id=40)
    query, body = sent[0]
    status, raw = original(query, body)
    assert status == 200 and follower.decode(status, raw).content == first.content
    assert probe_runs == ["probe safe"]


def test_plaintext_post_is_refused_when_safe_mode_is_configured(make_settings, redis):
    app = create_app(make_settings(accept_plaintext=False), redis=redis)
    client = app.test_client()
    plain = Follower(FlaskTransport(client), SAMPLE_TOKEN, openid="o_p", mode="plain")
    reply = plain.send("hello")
    assert reply.status == 403
    assert reply.raw == b"plaintext messages are refused: safe mode is configured\n"
    for mode in ("compat", "safe"):   # both console modes that send the encrypted envelope keep working
        follower = Follower(FlaskTransport(client), SAMPLE_TOKEN, aes_key=app.extensions["wxbot"].settings.wechat_aes_key,
                            appid=app.extensions["wxbot"].settings.wechat_appid, openid="o_" + mode, mode=mode)
        assert follower.send("hello").status == 200


def test_plaintext_is_refused_by_default_and_allowed_only_by_setting():
    env = {"WECHAT_TOKEN": "tok123", "WECHAT_APPID": "wx1", "WECHAT_AES_KEY": "a" * 43}
    assert load_settings(env).accept_plaintext is False
    assert load_settings(env).max_clock_skew == 300
    assert load_settings({**env, "WECHAT_ACCEPT_PLAINTEXT": "true"}).accept_plaintext is True
    assert load_settings({**env, "WECHAT_MAX_CLOCK_SKEW_SECONDS": "120"}).max_clock_skew == 120


def test_plaintext_account_without_aes_key_still_accepts_plaintext(make_settings, redis):
    app = create_app(make_settings(wechat_aes_key="", wechat_appid="", accept_plaintext=False), redis=redis)
    plain = Follower(FlaskTransport(app.test_client()), SAMPLE_TOKEN, openid="o_plain", mode="plain")
    assert plain.send("hello").status == 200


def test_freshness_still_applies_when_redis_is_down(make_settings):
    server = PrivateRedis().start()
    try:
        settings = make_settings(redis_url=server.url, key_prefix=f"t-{uuid.uuid4().hex[:6]}:")
        client = create_app(settings, redis=connect(settings)).test_client()
        server.stop()
        stale = client.post("/wechat", query_string=_query(int(time.time()) - 3600),
                            data=_text("o_d", "hello", 50), content_type="text/xml")
        assert stale.status_code == 403
        fresh = client.post("/wechat", query_string=_query(), data=_text("o_d", "hello", 51), content_type="text/xml")
        assert fresh.status_code == 200           # answered without Redis, as before
    finally:
        server.close()
