"""The shared access token: one fetch for every process, one refresh at a time, one retry on a refused token."""
from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from tests.support.fake_wechat import ROOT, settings_env
from wechat.api_client import TokenStore, TokenUnavailable, WeChatAPIError, build_client
from wechat.redis_conn import Keys, connect

STABLE = "/cgi-bin/stable_token"

CHILD = """
import json, sys
from config import load_settings
from wechat.api_client import build_client
from wechat.redis_conn import connect, Keys
settings = load_settings()
redis = connect(settings)
while not redis.exists(Keys(settings.key_prefix)("test", "go")):   # start together when the test says go
    pass
info = build_client(settings, redis).user.get(sys.argv[1])
print(json.dumps(info))
"""


def run_children(settings, openids, go_first=True):
    env = settings_env(settings)
    redis = connect(settings)
    if go_first:
        redis.set(Keys(settings.key_prefix)("test", "go"), "1")
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, openid], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for openid in openids]
    if not go_first:
        redis.set(Keys(settings.key_prefix)("test", "go"), "1")
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    return outputs


def tokens_used(fake, path="/cgi-bin/user/info"):
    return [r.query.get("access_token") for r in fake.requests_to(path)]


def test_token_is_fetched_once_and_shared_by_two_processes(fake_wechat, outbound_settings):
    first = run_children(outbound_settings, ["o_first"])
    second = run_children(outbound_settings, ["o_second"])

    assert [first[0]["openid"], second[0]["openid"]] == ["o_first", "o_second"]
    fetches = fake_wechat.requests_to(STABLE)
    assert len(fetches) == 1
    assert fetches[0].json == {"grant_type": "client_credential", "appid": fake_wechat.appid,
                               "secret": fake_wechat.secret, "force_refresh": False}
    used = tokens_used(fake_wechat)
    assert len(used) == 2 and used[0] == used[1]


def test_concurrent_processes_refresh_once(fake_wechat, outbound_settings):
    fake_wechat.latency = 0.3  # a slow token endpoint widens the race window
    results = run_children(outbound_settings, [f"o_{i}" for i in range(4)], go_first=False)

    assert len(results) == 4
    assert len(fake_wechat.requests_to(STABLE)) == 1
    assert len(set(tokens_used(fake_wechat))) == 1


def test_concurrent_threads_refresh_once(fake_wechat, outbound_settings):
    fake_wechat.latency = 0.3
    clients = [build_client(outbound_settings, connect(outbound_settings)) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    tokens: list[str] = []

    def work(client):
        barrier.wait()
        tokens.append(client.access_token)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert len(fake_wechat.requests_to(STABLE)) == 1


def test_token_lives_in_redis_not_in_the_process(fake_wechat, outbound_settings, redis):
    client = build_client(outbound_settings, redis)
    client.user.get("o_1")
    stored = json.loads(redis.get(Keys(outbound_settings.key_prefix)("token")))
    assert stored["access_token"] == tokens_used(fake_wechat)[0]
    assert 0 < redis.pttl(Keys(outbound_settings.key_prefix)("token")) <= 7200 * 1000

    # Another process replaced the token in Redis: this client's next call uses that one at once.
    redis.set(Keys(outbound_settings.key_prefix)("token"),
                       json.dumps({**stored, "access_token": "FAKE_from_elsewhere"}), px=600_000)
    client.user.get("o_2")
    used = tokens_used(fake_wechat)
    # The fake never issued it (40001): replaced once by WeChat's current token, and the call retried with it.
    assert used[1] == "FAKE_from_elsewhere" and used[2] == used[0]
    assert json.loads(redis.get(Keys(outbound_settings.key_prefix)("token")))["access_token"] == used[0]


def test_refresh_a_few_minutes_before_expiry(fake_wechat, outbound_settings, redis):
    now = [1_000_000.0]
    client = build_client(outbound_settings, redis, clock=lambda: now[0])
    client.user.get("o_1")
    assert len(fake_wechat.requests_to(STABLE)) == 1

    now[0] += 7200 - 300  # 5 minutes left: still outside the refresh margin
    client.user.get("o_2")
    assert len(fake_wechat.requests_to(STABLE)) == 1

    now[0] += 100  # 200 s left: inside the margin, so one normal-mode refresh
    client.user.get("o_3")
    fetches = fake_wechat.requests_to(STABLE)
    assert len(fetches) == 2 and fetches[1].json["force_refresh"] is False


@pytest.mark.parametrize("errcode,forced", [(40001, True), (40014, True), (42001, False)])
def test_refused_token_is_refreshed_once_and_the_call_retried(fake_wechat, outbound_settings, redis,
                                                              errcode, forced):
    now = [1_000_000.0]
    client = build_client(outbound_settings, redis, clock=lambda: now[0])
    client.user.get("o_warm")
    now[0] += 60
    fake_wechat.fail_next("/cgi-bin/user/info", errcode)

    assert client.user.get("o_1")["openid"] == "o_1"
    fetches = fake_wechat.requests_to(STABLE)
    # Invalid tokens are force-refreshed; an expired one only needs normal mode (which hands out a new one).
    assert [f.json["force_refresh"] for f in fetches] == [False, forced]
    used = tokens_used(fake_wechat)
    assert len(used) == 3 and used[1] == used[0]
    assert (used[2] != used[1]) is forced


def test_a_just_fetched_token_is_not_force_refreshed(fake_wechat, outbound_settings, redis):
    client = build_client(outbound_settings, redis)
    client.user.get("o_warm")
    fake_wechat.fail_next("/cgi-bin/user/info", 40001)  # e.g. someone else force-refreshed a moment ago

    assert client.user.get("o_1")["openid"] == "o_1"
    # WeChat ignores force refreshes under 30 s apart (and allows 20 a day): normal mode is used instead.
    assert [f.json["force_refresh"] for f in fake_wechat.requests_to(STABLE)] == [False, False]


def test_expired_token_retry_against_real_expiry(fake_wechat, outbound_settings, redis):
    client = build_client(outbound_settings, redis)
    client.user.get("o_warm")
    fake_wechat.expire_tokens()  # the fake now answers 42001 for the token Redis holds

    assert client.user.get("o_1")["openid"] == "o_1"
    assert len(fake_wechat.requests_to(STABLE)) == 2


def test_retry_happens_only_once(fake_wechat, outbound_settings, redis):
    client = build_client(outbound_settings, redis)
    fake_wechat.fail_next("/cgi-bin/user/info", 40001, times=2)
    with pytest.raises(WeChatAPIError) as info:
        client.user.get("o_1")
    assert info.value.errcode == 40001
    assert len(fake_wechat.requests_to("/cgi-bin/user/info")) == 2


def test_a_refused_token_is_replaced_once_for_all_processes(fake_wechat, outbound_settings, redis):
    now = [1_000_000.0]
    a = build_client(outbound_settings, connect(outbound_settings), clock=lambda: now[0])
    b = build_client(outbound_settings, connect(outbound_settings), clock=lambda: now[0])
    bad = a.access_token
    assert b.access_token == bad
    now[0] += 60

    new_a = a.tokens.refresh(stale=bad, force=True)
    new_b = b.tokens.refresh(stale=bad, force=True)  # b saw the same refusal a moment later

    assert new_a == new_b != bad
    assert [f.json["force_refresh"] for f in fake_wechat.requests_to(STABLE)] == [False, True]


def test_waiting_for_a_stuck_refresh_gives_up_with_a_clear_error(fake_wechat, outbound_settings, redis):
    keys = Keys(outbound_settings.key_prefix)
    redis.set(keys("token", "lock"), "someone-else", px=60_000)  # a process died holding the lock
    store = TokenStore(redis, keys, lambda force: ("never", 7200), wait=0.3)
    with pytest.raises(TokenUnavailable):
        store.get()
    redis.delete(keys("token", "lock"))
    assert store.get() == "never"


def test_token_errors_from_the_endpoint_are_reported(fake_wechat, make_outbound_settings, redis):
    settings = make_outbound_settings(wechat_secret="wrong-secret")
    with pytest.raises(WeChatAPIError) as info:
        build_client(settings, redis).user.get("o_1")
    assert info.value.errcode == 40125
    assert "wrong-secret" not in str(info.value)


def test_every_call_goes_to_the_configured_base(fake_wechat, outbound_settings, redis):
    client = build_client(outbound_settings, redis)
    # wechatpy groups that hard-code https://api.weixin.qq.com are rebased too.
    assert client._rebase("https://api.weixin.qq.com/customservice/kfaccount/add", None) == \
        fake_wechat.url + "/customservice/kfaccount/add"
    assert client._rebase("menu/get", None) == fake_wechat.url + "/cgi-bin/menu/get"
    client.menu.get()
    assert fake_wechat.requests_to("/cgi-bin/menu/get")
    assert all("secret" not in r.query for r in fake_wechat.requests)  # the AppSecret never goes in a URL


def test_build_client_needs_credentials(make_outbound_settings):
    with pytest.raises(ValueError):
        build_client(make_outbound_settings(wechat_secret=""))
