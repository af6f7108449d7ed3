"""Analytics counters summed in process and written once per interval: right after a write, nothing lost at a
clean exit (gunicorn's graceful stop included), and never a command per message in between."""
from __future__ import annotations

import pytest

from analytics.counters import Analytics, today
from devtools.simulator import FlaskTransport, Follower, HttpTransport
from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from tests.support.clock import Clock
from tests.support.live_server import LiveServer
from wechat.redis_conn import Keys


@pytest.fixture
def summed(make_settings, redis):
    """An app whose counters are written at most every 60 s of a hand-moved clock."""
    from app import create_app

    settings = make_settings(analytics_flush_seconds=60, unmatched_samples_per_day=2)
    app = create_app(settings, redis=redis)
    analytics: Analytics = app.extensions["wxbot.analytics"]
    clock = Clock()
    analytics.monotonic = clock
    analytics._next_write = clock() + 60
    return app, analytics, clock


def _stats_keys(redis, keys):
    return sorted(k.decode() for k in redis.scan_iter(match=keys("stats", "*")))


def test_counters_wait_for_the_interval_then_are_exact(summed, redis):
    app, analytics, clock = summed
    bot = app.extensions["wxbot"]
    client = app.test_client()
    a = Follower(FlaskTransport(client), SAMPLE_TOKEN, openid="o_sum_a", mode="plain")
    b = Follower(FlaskTransport(client), SAMPLE_TOKEN, openid="o_sum_b", mode="plain")
    for _ in range(3):
        assert a.send("KOL").type == "news"
    b.send("qwerty asdf")
    b.send("qwerty asdf")
    b.send("qwerty zxcv")
    b.send("qwerty uiop")
    b.click("MENU_WEIBO")
    assert _stats_keys(redis, bot.keys) == []            # nothing written yet: summed in process
    clock.now += 61
    a.send("KOL")                                        # the first message after the interval carries the sums
    report = analytics.report(redis, today(), today())
    assert report.group("type") == {"text": 8}
    assert report.group("event") == {"click": 1}
    assert report.group("rule") == {"article:idol-economy-kol-koc": 4}
    assert report.group("search") == {"miss": 4}
    assert report.unique_followers == 2
    # The cap (2) keeps the most frequent; of two equally rare texts Redis drops the first in byte order.
    assert report.unmatched == {"qwerty asdf": 2, "qwerty zxcv": 1}
    day = analytics.day_key(today())
    assert 300 * 86400 < redis.ttl(day) <= 400 * 86400
    assert 0 < redis.ttl(analytics.day_key(today(), "unmatched")) <= 30 * 86400
    a.send("KOL")                                        # inside the next interval: summed again
    assert analytics.report(redis, today(), today()).group("type") == {"text": 8}
    assert analytics.flush(redis) > 0                    # what a clean exit does
    assert analytics.report(redis, today(), today()).group("type") == {"text": 9}
    assert analytics.flush(redis) == 0                   # nothing gathered twice


def test_a_message_between_writes_sends_no_counter_command(summed, redis, monkeypatch):
    app, analytics, clock = summed
    pipe = app.extensions["wxbot"].store.pipe
    sent: list[list] = []
    send_later = pipe.send_later
    monkeypatch.setattr(pipe, "send_later", lambda commands: (sent.append(list(commands)), send_later(commands)))
    follower = Follower(FlaskTransport(app.test_client()), SAMPLE_TOKEN, openid="o_sum_c", mode="plain")
    follower.send("KOL")
    follower.send("qwerty hjkl")
    # The finish only: cache the reply, save or touch the conversation, unlock (see tests/test_finish_paths.py).
    finishes = [[c[0] for c in commands] for commands in sent]
    assert len(finishes) == 2 and all(n[0] == "SET" and n[-1] == "DEL" and len(n) <= 3 for n in finishes)
    clock.now += 61
    follower.send("KOL")
    names = [c[0] for c in sent[-1]]
    assert names[0] == "SET" and "DEL" in names[1:3] and names.count("HINCRBY") == 4 and names.count("PFADD") == 1   # type, rule, article, search
    assert names.count("ZINCRBY") == 1 and names.count("ZREMRANGEBYRANK") == 1


def test_gunicorn_graceful_stop_writes_what_was_gathered(redis_url, key_prefix, redis):
    env = {"WECHAT_TOKEN": SAMPLE_TOKEN, "WECHAT_APPID": SAMPLE_APPID, "WECHAT_AES_KEY": SAMPLE_AES_KEY,
           "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix, "LOG_LEVEL": "WARNING",
           "WECHAT_ACCEPT_PLAINTEXT": "true", "ANALYTICS_FLUSH_SECONDS": "60"}
    server = LiveServer(env, workers=2, threads=None).start()
    try:
        for i in range(10):
            follower = Follower(HttpTransport(server.url), SAMPLE_TOKEN, openid=f"o_exit_{i}", mode="plain")
            assert follower.send("KOL").type == "news"
        analytics = Analytics(Keys(key_prefix))
        assert analytics.report(redis, today(), today()).group("type").get("text", 0) < 10   # still in the workers
    finally:
        server.stop()                                     # SIGTERM: gunicorn's graceful stop
    report = analytics.report(redis, today(), today())
    assert report.group("type") == {"text": 10}
    assert report.group("rule") == {"article:idol-economy-kol-koc": 10}
    assert report.unique_followers == 10
