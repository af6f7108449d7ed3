"""A message is never lost because its worker died: a pending claim is a lease that WeChat's next try takes over.
And a claim Redis runs only after its caller gave up (a Redis hang) leaves no lock behind."""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import pytest
import requests

from app import create_app
from config import load_settings
from devtools.simulator import FlaskTransport, Follower, HttpTransport
from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from tests.support.leads import cleanup
from tests.support.live_server import LiveServer
from tests.support.redis_server import PrivateRedis
from wechat.jobs import get_queue
from wechat.redis_conn import connect

WECHAT_TRY_INTERVAL_S = 5.0   # WeChat waits 5 s for an answer before it sends the same message again


@pytest.fixture
def probe_server(redis_url, key_prefix, redis):
    env = {"WECHAT_TOKEN": SAMPLE_TOKEN, "WECHAT_APPID": SAMPLE_APPID, "WECHAT_AES_KEY": SAMPLE_AES_KEY,
           "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix, "LOG_LEVEL": "WARNING"}
    server = LiveServer(env, app="tests.support.slow_app:create_probe_app()", workers=2, threads=None).start()
    try:
        yield server, load_settings(env)
    finally:
        server.stop()
        cleanup(redis, key_prefix)


def test_retry_takes_over_when_the_worker_running_the_message_was_killed(probe_server, redis, key_prefix):
    server, settings = probe_server
    openid, msg_id = "o_" + uuid.uuid4().hex[:12], 920001
    tries = [Follower(HttpTransport(server.url, timeout=8), SAMPLE_TOKEN, aes_key=SAMPLE_AES_KEY, appid=SAMPLE_APPID,
                      openid=openid, mode="safe") for _ in range(3)]
    first_error: list[Exception] = []

    def first_try() -> None:
        try:
            tries[0].send("effect slow 1.5", msg_id=msg_id)
        except requests.RequestException as exc:     # the worker dies under it
            first_error.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=first_try)
    thread.start()
    deadline = started + 5
    while not redis.get(f"{key_prefix}pid:{msg_id}"):
        assert time.monotonic() < deadline, "the handler never started"
        time.sleep(0.02)
    os.kill(int(redis.get(f"{key_prefix}pid:{msg_id}")), signal.SIGKILL)   # mid-handler, after its side effect
    thread.join()
    assert first_error, "the first try should have lost its worker"

    answers = []
    for number, follower in enumerate(tries[1:], start=2):       # WeChat's 2nd and 3rd tries, 5 s apart
        time.sleep(max(0.0, started + (number - 1) * WECHAT_TRY_INTERVAL_S - time.monotonic()))
        follower.last_xml = tries[0].last_xml
        reply = follower.resend()
        answers.append(reply)
        if reply.type == "text":
            break
    assert answers[-1].type == "text" and answers[-1].content == "effect done, run 2", answers
    assert int(redis.get(f"{key_prefix}runs:{msg_id}")) == 2             # the dead run, then the takeover
    assert get_queue(redis, settings).count == 1                         # its side effect queued once


def test_a_retry_of_a_live_owner_still_waits_for_its_reply(probe_server, redis, key_prefix):
    server, _ = probe_server
    openid, msg_id = "o_" + uuid.uuid4().hex[:12], 920002
    a, b = (Follower(HttpTransport(server.url), SAMPLE_TOKEN, aes_key=SAMPLE_AES_KEY, appid=SAMPLE_APPID,
                     openid=openid, mode="safe") for _ in range(2))
    results = {}
    thread = threading.Thread(target=lambda: results.setdefault("first", a.send("slow 2", msg_id=msg_id)))
    thread.start()
    while not redis.get(f"{key_prefix}runs:{msg_id}"):
        time.sleep(0.02)
    b.last_xml = a.last_xml
    results["retry"] = b.resend()
    thread.join()
    assert results["retry"].content == results["first"].content
    assert int(redis.get(f"{key_prefix}runs:{msg_id}")) == 1


def test_a_claim_redis_runs_after_its_caller_gave_up_leaves_no_lock(make_settings):
    """Redis hangs (SIGSTOP) while a claim is in flight: the webhook answers without it, and when Redis wakes up
    and runs the queued claim, nothing is written, so the follower's next message finds no stale lock."""
    server = PrivateRedis().start()
    try:
        prefix = f"t-{uuid.uuid4().hex[:6]}:"
        settings = make_settings(redis_url=server.url, key_prefix=prefix)
        client = create_app(settings, redis=connect(settings)).test_client()
        follower = Follower(FlaskTransport(client), settings.wechat_token, openid="o_hang", mode="plain")
        assert follower.send("English").status == 200                      # warm: scripts loaded, clock read
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            assert follower.send("qwerty asdf", msg_id=930001).status == 200   # answered without Redis
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        probe = connect(settings)
        deadline = time.monotonic() + 5
        while True:
            try:
                probe.ping()
                break
            except Exception:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        time.sleep(0.2)                                                     # Redis drains the stale request
        assert probe.get(f"{prefix}lock:o_hang") is None
        assert probe.get(f"{prefix}seen:m:930001:o_hang") is None
    finally:
        server.close()
