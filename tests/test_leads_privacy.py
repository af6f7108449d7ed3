""""删除我的数据" / "delete my data": everything about that follower goes, nothing about anyone else."""
from __future__ import annotations

import pytest

from tests.support.leads import cleanup, follower_for, make_app, says
from leads import LeadStore
from wechat.redis_conn import Keys


@pytest.fixture
def lead_app(settings, redis, key_prefix):
    app = make_app(settings, redis)
    yield app
    cleanup(redis, key_prefix)


def submit(f, name, phone, lang="zh"):
    if lang == "zh":
        f.send("咨询")
        for answer in (name, "示例科技", "市场总监", phone, "1", "1"):
            f.send(answer)
        says(f.send("确认"), "已")
    else:
        f.send("contact")
        for answer in (name, "Acme", "CMO", phone, "1", "1"):
            f.send(answer)
        says(f.send("confirm"))


def dump(redis, prefix):
    """Every key under the prefix with a readable rendering of its value."""
    out = {}
    for key in redis.scan_iter(match=f"{prefix}*"):
        kind = redis.type(key).decode()
        if kind == "string":
            value = redis.get(key)
        elif kind == "hash":
            value = repr(redis.hgetall(key))
        elif kind == "stream":
            value = repr(redis.xrange(key))
        elif kind == "set":
            value = repr(redis.smembers(key))
        elif kind == "zset":
            value = repr(redis.zrange(key, 0, -1))
        elif kind == "list":
            value = repr(redis.lrange(key, 0, -1))
        else:
            value = b""
        out[key.decode()] = value.encode() if isinstance(value, str) else (value or b"")
    return out


def pii_keys(redis, prefix, *secrets):
    return sorted(k for k, v in dump(redis, prefix).items()
                  if any(s in k or s.encode() in v for s in secrets))


@pytest.mark.parametrize("words,lang", [("删除我的数据", "zh"), ("delete my data", "en")])
def test_erasure_removes_everything_of_that_follower_only(lead_app, settings, redis, key_prefix, words, lang):
    alice = follower_for(lead_app, settings)
    bob = follower_for(lead_app, settings)
    submit(alice, "王小丫", "13711112222", lang)
    submit(alice, "王小丫", "13711113333", lang)          # an update: two log entries for one lead
    submit(bob, "李大壮", "13899998888")
    store = LeadStore(redis, Keys(settings.key_prefix))
    [alice_lead] = store.lead_ids_of(alice.openid)
    [bob_lead] = store.lead_ids_of(bob.openid)
    bob_before = {k: v for k, v in dump(redis, key_prefix).items() if bob.openid in k or b"\xe6\x9d\x8e" in v}
    # the log never holds personal data in clear: it is sealed under the lead's own key...
    assert "王小丫" not in repr(redis.xrange(f"{key_prefix}leads:log")) and alice.openid not in repr(
        redis.xrange(f"{key_prefix}leads:log"))
    assert [h["data"]["phone"] for h in store.history(alice_lead)] == ["+8613711112222", "+8613711113333"]

    reply = says(alice.send(words), "已删除" if lang == "zh" else "erased")
    assert ("1 条" if lang == "zh" else "(1 in all)") in reply

    # nothing left that names Alice, her phone numbers or her openid, except the 60 s dedupe cache of this message
    leftovers = pii_keys(redis, key_prefix, alice.openid, "王小丫", "13711112222", "13711113333")
    assert all(k.startswith(f"{key_prefix}seen:") for k in leftovers), leftovers
    assert all(0 < redis.pttl(k) <= settings.dedupe_ttl * 1000 for k in leftovers)
    assert not redis.exists(f"{settings.key_prefix}conv:{alice.openid}")
    tomb = store.get(alice_lead)
    assert tomb.state == "deleted" and tomb.data == {} and tomb.openid == "" and tomb.deleted_at > 0
    log = store.log_entries()
    assert [e["kind"] for e in log if e["lead"] == alice_lead] == ["tombstone"]
    assert [e["replaces"] for e in log if e["lead"] == alice_lead] == ["2"]
    assert store.lead_ids_of(alice.openid) == []
    assert store.history(alice_lead) == []                   # ...and that key is gone: leftovers stay unreadable
    assert store.history(bob_lead)[0]["data"]["name"] == "李大壮"
    assert alice_lead not in [lead.lead_id for lead in store.created_between(0, 2e10)]
    # Bob is untouched
    assert store.get(bob_lead).data["name"] == "李大壮"
    assert [e["kind"] for e in log if e["lead"] == bob_lead] == ["created"]
    for key, value in bob_before.items():
        assert dump(redis, key_prefix).get(key) == value or key.startswith(f"{key_prefix}seen:")
    # the audit trail says what happened without saying about whom
    [erased] = [e for e in store.audit_entries() if e["event"] == "data.erased"]
    assert erased["leads"] == "1" and erased["lead_ids"] == alice_lead
    assert alice.openid not in repr(store.audit_entries()) and "王小丫" not in repr(store.audit_entries())


def test_erasure_mid_flow_ends_the_form(lead_app, settings, redis, key_prefix):
    f = follower_for(lead_app, settings)
    f.send("咨询")
    f.send("张三")
    says(f.send("删除我的数据"), "没有需要删除的内容")         # no lead was stored: nothing to tell consultants
    assert not redis.exists(f"{settings.key_prefix}conv:{f.openid}")
    assert not redis.exists(f"{key_prefix}flowmark:{f.openid}")
    assert "张三" not in says(f.send("示例科技"))                 # no longer an answer to anything


def test_a_new_lead_after_erasure_starts_fresh(lead_app, settings, redis):
    f = follower_for(lead_app, settings)
    submit(f, "张三", "13800138000")
    f.send("删除我的数据")
    submit(f, "张三", "13800138000")
    store = LeadStore(redis, Keys(settings.key_prefix))
    [lead_id] = store.lead_ids_of(f.openid)
    assert store.get(lead_id).revision == 1 and store.get(lead_id).state == "active"


def test_erasure_removes_customer_service_traces_of_that_follower_only(make_settings, redis, key_prefix):
    from wechat.custom_messages import CustomQuota, list_unsent, record_unsent
    settings = make_settings(wechat_secret="s3cret")          # outbound on: every message opens a window
    app = make_app(settings, redis)
    keys = Keys(settings.key_prefix)
    alice, bob = follower_for(app, settings), follower_for(app, settings)
    alice.send("你好")
    bob.send("你好")
    quota = CustomQuota(redis, keys)
    assert redis.exists(quota.key(alice.openid)) and redis.exists(quota.key(bob.openid))
    for who in (alice, bob, alice):
        record_unsent(redis, keys, who.openid, {"msgtype": "text"}, "45015")
    says(alice.send("删除我的数据"), "对话记录也已清空")
    assert not redis.exists(quota.key(alice.openid))
    assert redis.exists(quota.key(bob.openid))
    assert [e["openid"] for e in list_unsent(redis, keys)] == [bob.openid]
    cleanup(redis, key_prefix)
