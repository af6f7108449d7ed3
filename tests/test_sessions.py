"""Conversations in Redis: JSON with a TTL, written only when changed, one follower's messages never interleave."""
from __future__ import annotations

import json
import threading
import time

from wechat.context import Context
from wechat.replies import Text
from wechat.router import Router


def _install(bot, router: Router):
    root = Router("root")
    root.include(router)
    root.include(bot.router)
    bot.router = root


def test_state_is_json_with_the_configured_ttl(make_settings, redis):
    from app import create_app
    from devtools.simulator import FlaskTransport, Follower
    app = create_app(make_settings(session_ttl=900), redis=redis)
    bot = app.extensions["wxbot"]
    f = Follower(FlaskTransport(app.test_client()), "spamtest", openid="o_ttl", mode="plain")
    f.send("hello there")
    raw = redis.get(bot.keys.conv("o_ttl"))
    assert json.loads(raw)["lang"] == "en"
    assert 890 <= redis.ttl(bot.keys.conv("o_ttl")) <= 900


def test_unchanged_conversation_is_not_rewritten_but_its_ttl_is_refreshed(follower, bot, redis):
    follower.send("hello there")
    key = bot.keys.conv(follower.openid)
    redis.expire(key, 100)
    seen = []
    original_finish = bot.store._execute_finish

    def spy(commands, extra):
        # What the finish does to the conversation key: EXPIRE (touch) or SET (a changed conversation).
        seen.append(next(c[0] for c in commands if key in c[1:3]).lower())
        return original_finish(commands, extra)

    bot.store._execute_finish = spy
    follower.send("hello again")             # same language, nothing changes
    assert seen == ["expire"]
    assert redis.ttl(key) > 100
    follower.send("中文")                     # explicit switch changes the state
    assert seen[-1] == "set"


def test_shared_across_app_instances(make_settings, redis):
    from app import create_app
    from devtools.simulator import FlaskTransport, Follower
    settings = make_settings()
    a, b = create_app(settings, redis=redis), create_app(settings, redis=redis)
    Follower(FlaskTransport(a.test_client()), "spamtest", openid="o_shared", mode="plain").send("English")
    reply = Follower(FlaskTransport(b.test_client()), "spamtest", openid="o_shared", mode="plain").send("哦哦哦哦")
    # the follower chose English explicitly on instance a; instance b keeps it despite the Chinese text
    assert b.extensions["wxbot"].store.load("o_shared").lang == "en"
    assert "Sorry" in reply.content


def test_two_messages_from_one_follower_do_not_interleave(app, bot):
    from devtools.simulator import FlaskTransport, Follower

    counter = Router("counter")

    @counter.text("add")
    def add_one(ctx: Context):
        seen = list(ctx.conversation.read)
        time.sleep(0.3)                      # a read-modify-write that would lose an update without the lock
        ctx.conversation.read = seen + [f"a{len(seen) + 1}"]
        return Text(str(len(seen) + 1))

    _install(bot, counter)
    followers = [Follower(FlaskTransport(app.test_client()), "spamtest", openid="o_lock", mode="plain")
                 for _ in range(3)]
    threads = [threading.Thread(target=f.send, args=("add",)) for f in followers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bot.store.load("o_lock").read == ["a1", "a2", "a3"]
    assert not bot.redis.exists(bot.keys.lock("o_lock"))     # released after each message


def test_unsubscribe_forgets_the_conversation(follower, bot, redis):
    follower.send("hello there")
    assert redis.exists(bot.keys.conv(follower.openid))
    follower.unsubscribe()
    assert not redis.exists(bot.keys.conv(follower.openid))


def test_language_detection_and_switch(follower, bot):
    assert "Sorry" in follower.send("qwerty asdf zxcv").content
    assert "抱歉" in follower.send("哦哦哦哦").content
    assert bot.store.load(follower.openid).lang == "zh"
    assert "English" in follower.send("English").content
    assert "Sorry" in follower.send("嗯嗯嗯嗯").content    # chosen explicitly: detection no longer switches
    follower.send("中文")
    assert bot.store.load(follower.openid).lang == "zh"
    follower.send("KOL")                                        # an acronym says nothing about language
    assert bot.store.load(follower.openid).lang == "zh"
