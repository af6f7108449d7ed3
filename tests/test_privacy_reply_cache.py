"""After "delete my data" no cached reply quotes the follower, and WeChat's late retries still run nothing twice."""
from __future__ import annotations

import pytest

from leads import LeadStore
from tests.support.leads import cleanup, follower_for, kill_worker, make_app, says, start_worker
from wechat.messages import is_dedupe_key_of, parse_message
from wechat.redis_conn import Keys
from wechat.reply_cache import NEUTRAL_REPLY, scrub_cached_replies

PERSONAL = ("王小丫", "示例科技", "13711112222")


@pytest.fixture
def lead_app(settings, redis, key_prefix):
    app = make_app(settings, redis)
    yield app
    cleanup(redis, key_prefix)


def cached_replies(redis, settings, openid):
    seen = Keys(settings.key_prefix).seen("")
    return {key.decode(): redis.get(key) for key in redis.scan_iter(match=f"{seen}*")
            if is_dedupe_key_of(key.decode()[len(seen):], openid)}


def test_erasure_neutralises_cached_replies_and_keeps_their_claims(lead_app, settings, redis, key_prefix):
    alice, bob = follower_for(lead_app, settings), follower_for(lead_app, settings)
    alice.send("咨询")
    for answer in ("王小丫", "示例科技", "市场总监", "13711112222", "1"):
        alice.send(answer)
    says(alice.send("1"), "13711112222", "王小丫")                # the summary quotes every answer
    summary_xml = alice.last_xml
    says(alice.send("确认"), "已")
    confirm_xml = alice.last_xml
    bob.send("咨询")
    says(bob.send("李大壮"))
    bob_before = cached_replies(redis, settings, bob.openid)

    says(alice.send("删除我的数据"), "已删除")
    erase_xml = alice.last_xml
    # The gap the worker closes below: for up to 60 s the retry cache still quotes Alice.
    assert any(p.encode() in v for v in cached_replies(redis, settings, alice.openid).values() for p in PERSONAL)

    worker = start_worker(settings, burst=True)
    try:
        assert worker.wait(60) == 0
    finally:
        if worker.poll() is None:
            kill_worker(worker)

    after = cached_replies(redis, settings, alice.openid)
    assert len(after) == 9                                        # every claim of Alice's messages is kept...
    for key, value in after.items():
        assert not any(p.encode() in value for p in PERSONAL), key   # ...quoting nothing of hers
        assert 0 < redis.pttl(key) <= settings.dedupe_ttl * 1000
    assert list(after.values()).count(NEUTRAL_REPLY) == 8         # all but the erasure's own answer...
    alice.last_xml = erase_xml
    says(alice.resend(), "已删除")                                 # ...which names no one and still confirms
    assert cached_replies(redis, settings, bob.openid) == bob_before

    # WeChat retrying the summary and the confirm late: success, and no lead comes back
    alice.last_xml = summary_xml
    assert alice.resend().type == "success"
    alice.last_xml = confirm_xml
    assert alice.resend().type == "success"
    assert LeadStore(redis, Keys(settings.key_prefix)).lead_ids_of(alice.openid) == []
    # the job carried Alice's openid; RQ deleted it when it succeeded
    jobs_left = [k for k in redis.scan_iter(match="rq:job:*") if alice.openid in repr(redis.hgetall(k))]
    assert jobs_left == []


def test_scrub_leaves_pending_claims_and_other_followers_alone(redis, key_prefix):
    keys = Keys(key_prefix)
    mine = parse_message("<xml><ToUserName>gh</ToUserName><FromUserName>o_a</FromUserName><CreateTime>1</CreateTime>"
                         "<MsgType>text</MsgType><Content>hi</Content><MsgId>42</MsgId></xml>")
    click = parse_message("<xml><ToUserName>gh</ToUserName><FromUserName>o_a</FromUserName><CreateTime>2</CreateTime>"
                          "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>K</EventKey></xml>")
    assert is_dedupe_key_of(mine.dedupe_key, "o_a") and is_dedupe_key_of(click.dedupe_key, "o_a")
    assert not is_dedupe_key_of(mine.dedupe_key, "o") and not is_dedupe_key_of(click.dedupe_key, "o_")
    redis.set(keys.seen(mine.dedupe_key), b"R<xml>Name: A</xml>", px=60000)
    redis.set(keys.seen(click.dedupe_key), b"Ptoken", px=60000)            # still in flight: its owner finishes
    redis.set(keys.seen("m:43:o_ab"), b"R<xml>someone else</xml>", px=60000)
    redis.set(keys.seen("e:o_ab:3:click:K"), b"R<xml>someone else</xml>", px=60000)
    assert scrub_cached_replies(redis, keys, "o_a") == 1
    assert redis.get(keys.seen(mine.dedupe_key)) == NEUTRAL_REPLY and redis.pttl(keys.seen(mine.dedupe_key)) > 50000
    assert redis.get(keys.seen(click.dedupe_key)) == b"Ptoken"
    assert redis.get(keys.seen("m:43:o_ab")) == redis.get(keys.seen("e:o_ab:3:click:K")) == b"R<xml>someone else</xml>"
    assert scrub_cached_replies(redis, keys, "o_a") == 0                    # idempotent
