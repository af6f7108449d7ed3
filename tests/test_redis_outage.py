"""Redis stops mid-run: the bot keeps answering from loaded content, /healthz says degraded, nothing 5xx;
when Redis returns everything resumes without a restart."""
from __future__ import annotations

import time

import pytest

from app import create_app
from tests.support.redis_server import PrivateRedis
from wechat.redis_conn import connect
from devtools.simulator import FlaskTransport, Follower


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.close()


def test_bot_survives_redis_outage_and_recovers(make_settings, private_redis, caplog):
    settings = make_settings(redis_url=private_redis.url)
    app = create_app(settings, redis=connect(settings))
    client = app.test_client()
    follower = Follower(FlaskTransport(client), settings.wechat_token, openid="o_outage", mode="plain")

    assert follower.send("English").content.startswith("Sure")
    assert client.get("/healthz").json["status"] == "ok"

    private_redis.stop()
    started = time.monotonic()
    reply = follower.send("qwerty asdf")
    assert reply.status == 200 and reply.type == "text"          # answered from loaded content
    assert follower.subscribe().type == "text"
    kol = follower.send("KOL")                                    # keyword rule, from the loaded version
    assert kol.type == "news" and "KOL" in kol.articles[0]["Title"]
    click = follower.click("MENU_WEIBO")                          # menu click, likewise
    assert click.type == "news" and click.articles[0]["Url"].endswith("weibo-2021")
    assert follower.resend().status == 200                        # dedupe fails open, still no 5xx
    assert time.monotonic() - started < 3                         # fails fast, well inside WeChat's 5 s
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json == {**health.json, "status": "degraded", "redis": False}
    assert "redis" in caplog.text.lower()

    private_redis.start()
    time.sleep(1.1)                                               # the breaker's cooldown
    assert client.get("/healthz").json["status"] == "ok"
    first = follower.send("count me", msg_id=31337)
    assert follower.resend().raw == first.raw                     # dedupe works again
    assert follower.send("qwerty asdf").content.startswith("Sorry")   # the English choice survived (AOF)
