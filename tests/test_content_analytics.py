"""Analytics counters written in the finish pipeline, and the report marketers read."""
from __future__ import annotations

import datetime as dt
import time

from analytics.counters import Analytics, mask, today


def _report(bot):
    return Analytics(bot.keys).report(bot.redis, today(), today())


def test_counters_for_messages_rules_menu_and_search(make_follower, bot):
    a, b = make_follower(), make_follower()
    a.send("KOL")                       # article keyword (exact)
    a.send("我想了解B2B")                 # rule b2b (contains)
    a.click("MENU_WEIBO")
    b.click("MENU_WEIBO")               # (one follower's two taps in the same second would be one retried event)
    b.send("Which video site do young Chinese people watch with bullet comments?")   # search hit
    b.send("qwerty asdf")               # search miss -> fallback
    b.send("qwerty  asdf")              # the same question, spaced differently
    b.subscribe(scene="newsletter")
    report = _report(bot)
    assert report.group("type") == {"text": 5}
    assert report.group("event") == {"click": 2, "subscribe": 1}
    assert report.group("rule") == {"article:idol-economy-kol-koc": 1, "b2b": 1}
    assert report.group("menu") == {"MENU_WEIBO": 2}
    assert report.group("search") == {"hit": 1, "miss": 2}
    assert report.group("scene") == {"newsletter": 1}
    assert report.group("article")["weibo-2021"] == 2
    assert report.unmatched == {"qwerty asdf": 2}
    assert report.unique_followers == 2
    assert report.messages_per_day == {today().isoformat(): 8}
    assert report.followers_per_day == {today().isoformat(): 2}


def test_no_openid_is_stored_in_analytics(make_follower, bot):
    follower = make_follower(openid="o_private_person_123")
    follower.send("my phone is 138 0013 8000 and mail me at mei@example.com please")
    follower.click("MENU_KOL")
    keys = list(bot.redis.scan_iter(match=bot.keys("stats", "*")))
    assert len(keys) == 3 and not any(b"o_private_person_123" in key for key in keys)
    for key in keys:
        kind = bot.redis.type(key)
        if kind == b"hash":
            blob = b" ".join(k + b"=" + v for k, v in bot.redis.hgetall(key).items())
        elif kind == b"zset":
            blob = b" ".join(m for m, _ in bot.redis.zrange(key, 0, -1, withscores=True))
        else:
            continue                    # the HyperLogLog keeps hashed registers only
        assert b"o_private_person_123" not in blob
        assert b"13800138000" not in blob.replace(b" ", b"") and b"mei@example.com" not in blob
    assert _report(bot).unmatched["my phone is <number> and mail me at <email> please"] == 1


def test_mask_keeps_questions_and_drops_personal_data():
    assert mask("微博还有用吗") == "微博还有用吗"
    assert mask("call +44 20 7946 0958 now") == "call <number> now"
    assert mask("我的手机13800138000") == "我的手机<number>"
    assert mask("a  b\n c") == "a b c"
    assert len(mask("x" * 500)) == 60


def test_days_follow_china_time(bot, follower):
    late_utc = dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.timezone.utc)     # 01:30 on 2 March in Beijing
    assert today(late_utc) == dt.date(2026, 3, 2)
    analytics = Analytics(bot.keys, clock=lambda: late_utc)
    bot.finish_hooks = (analytics.record,)
    follower.send("KOL")
    report = analytics.report(bot.redis, dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    assert report.group("type") == {"text": 1}
    assert analytics.report(bot.redis, dt.date(2026, 3, 1), dt.date(2026, 3, 1)).counters == {}


def test_counters_expire(bot, follower):
    follower.send("KOL")
    ttl = bot.redis.ttl(Analytics(bot.keys).day_key(today()))
    assert 300 * 86400 < ttl <= 400 * 86400


def test_report_command(app, make_follower, bot):
    follower = make_follower()
    follower.send("KOL")
    follower.send("KOL")
    follower.click("MENU_B2B")
    follower.send("随便问问")
    day = today().isoformat()
    result = app.test_cli_runner().invoke(args=["analytics", "report", "--from", day, "--to", day])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "unique followers: 1" in out
    assert "article:idol-economy-kol-koc" in out and " 2" in out.split("article:idol-economy-kol-koc")[1].split("\n")[0]
    assert "MENU_B2B" in out.split("menu clicks:")[1]
    assert "search: 0 hits, 1 misses (0% found)" in out
    assert "随便问问" in out.split("unmatched questions")[1]
    week = app.test_cli_runner().invoke(args=["analytics", "report", "--to", day])
    assert f"  {day}       4 / 1" in week.output                     # per-day lines for a range
    bad = app.test_cli_runner().invoke(args=["analytics", "report", "--from", "2026-02-30"])
    assert bad.exit_code != 0 and "not a date" in bad.output


def test_unmatched_texts_are_short_lived_and_other_counters_keep_400_days(bot, follower):
    follower.send("I am Zhang Wei from qwerty corp")          # a miss: its text is sampled
    day = today()
    unmatched_ttl = bot.redis.ttl(Analytics(bot.keys).day_key(day, "unmatched"))
    day_began = dt.datetime.combine(day, dt.time.min, dt.timezone(dt.timedelta(hours=8))).timestamp()
    assert abs(unmatched_ttl - (day_began + 30 * 86400 - time.time())) <= 5   # 30 days after its day began
    assert 300 * 86400 < bot.redis.ttl(Analytics(bot.keys).day_key(day)) <= 400 * 86400
    assert 300 * 86400 < bot.redis.ttl(Analytics(bot.keys).day_key(day, "followers")) <= 400 * 86400


def test_unmatched_retention_and_daily_cap_are_settings(make_settings, redis):
    from app import create_app
    from devtools.simulator import FlaskTransport, Follower

    settings = make_settings(unmatched_retention_days=7, unmatched_samples_per_day=3)
    app = create_app(settings, redis=redis)
    follower = Follower(FlaskTransport(app.test_client()), settings.wechat_token, openid="o_cap_test", mode="plain")
    key = Analytics(app.extensions["wxbot"].keys).day_key(today(), "unmatched")
    for word in ("qwerty alpha", "qwerty bravo", "qwerty charlie", "qwerty delta", "qwerty echo", "qwerty foxtrot"):
        follower.send(word)
        assert redis.zcard(key) <= 3                           # a hard cap, after every message
    follower.send("qwerty foxtrot")
    assert redis.zcard(key) == 3
    assert redis.zscore(key, "qwerty foxtrot") == 2            # the most frequent are kept
    assert 0 < redis.ttl(key) <= 7 * 86400
