"""When Redis comes back after a restart, every gunicorn worker uses it at once: the first message on each
worker's stale connection is claimed, sees the follower's conversation and advances the lead form."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis as redis_lib

from devtools.simulator import Follower, HttpTransport
from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from tests.support.live_server import LiveServer
from tests.support.redis_server import PrivateRedis

COMPANY_QUESTION = ("您所在的公司或品牌是", "Which company or brand are you with")
NAME_QUESTION = ("请问怎么称呼您", "What's your name", "your name")
NAMES = ("Zhang Wei", "Li Na", "Wang Fang", "Liu Yang", "Chen Jie", "Zhao Lei")


@pytest.fixture
def redis_and_server():
    private = PrivateRedis().start()
    env = {"WECHAT_TOKEN": SAMPLE_TOKEN, "WECHAT_APPID": SAMPLE_APPID, "WECHAT_AES_KEY": SAMPLE_AES_KEY,
           "REDIS_URL": private.url, "REDIS_KEY_PREFIX": f"t-{uuid.uuid4().hex[:6]}:", "LOG_LEVEL": "WARNING"}
    server = LiveServer(env, app="tests.support.slow_app:create_probe_app()", workers=2, threads=None).start()
    try:
        yield private, server, env["REDIS_KEY_PREFIX"]
    finally:
        server.stop()
        private.close()


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "sigkill"])
def test_first_messages_after_a_redis_restart_are_handled_with_redis(redis_and_server, kill):
    private, server, prefix = redis_and_server
    client = redis_lib.Redis.from_url(private.url)

    def follower() -> Follower:
        return Follower(HttpTransport(server.url), SAMPLE_TOKEN, aes_key=SAMPLE_AES_KEY, appid=SAMPLE_APPID,
                        openid="o_" + uuid.uuid4().hex[:12], mode="safe")

    pids: set[bytes] = set()
    for msg_id in range(940000, 940020, 2):       # two slow messages at once: each sync worker must take one
        pair = [follower() for _ in range(2)]
        threads = [threading.Thread(target=f.send, args=("slow 0.3",), kwargs={"msg_id": msg_id + i})
                   for i, f in enumerate(pair)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pids |= {client.get(f"{prefix}pid:{msg_id + i}") for i in range(2)}
        if len(pids) == 2:
            break
    assert len(pids) == 2, "both workers should be warm"

    followers = [follower() for _ in range(6)]
    for f in followers:
        started = f.click("MENU_CONTACT")
        assert any(q in started.content for q in NAME_QUESTION), started.content
    # The bot writes a conversation just after handing the reply over (its finish round trip); this test is
    # about reconnecting, so Redis dies only once those writes have landed.
    keys = [f"{prefix}conv:{f.openid}" for f in followers]
    deadline = time.monotonic() + 5
    while client.exists(*keys) < len(keys) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.exists(*keys) == len(keys), "every follower's form should be stored before the restart"

    private.stop(kill=kill)
    private.start()                                 # same port and data directory: the AOF brings the forms back

    for number, f in enumerate(followers):
        reply = f.send(NAMES[number])
        assert reply.type == "text" and any(q in reply.content for q in COMPANY_QUESTION), \
            f"follower {number} lost the form: {reply.content!r}"
        assert f.resend().content == reply.content  # claimed: the retry gets the cached reply
    server.stop()
    log = server.proc.stderr.read().decode(errors="replace")
    assert "without a claim" not in log and "redis unreachable" not in log, log[-2000:]
