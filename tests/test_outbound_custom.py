"""Customer-service messages: WeChat's per-follower windows at their edges, and never sending a refused message."""
from __future__ import annotations

import threading

import pytest

from wechat.api_client import build_client
from wechat.custom_messages import (CustomQuota, CustomRetryLater, list_unsent, message_from_reply, send_custom,
                                    text_message)
from wechat.redis_conn import Keys

SEND = "/cgi-bin/message/custom/send"
T0 = 1_700_000_000.0
HOURS_48 = 48 * 3600


@pytest.fixture
def quota(outbound_settings, redis):
    return CustomQuota(redis, Keys(outbound_settings.key_prefix), clock=lambda: T0)


@pytest.fixture
def client(outbound_settings, redis):
    return build_client(outbound_settings, redis)


def spend(quota, openid, now, times):
    return [quota.consume(openid, now=now) for _ in range(times)]


# -- the tracker ---------------------------------------------------------------------------------
def test_five_sends_after_a_message_the_sixth_refused(quota):
    quota.record_interaction("o1", "text", now=T0)
    assert spend(quota, "o1", T0 + 10, 5) == ["message"] * 5
    assert quota.can_send("o1", now=T0 + 11) is False
    assert quota.consume("o1", now=T0 + 11) == "exhausted"


def test_the_48_hour_window_edge(quota):
    quota.record_interaction("o1", "message", now=T0)
    assert quota.consume("o1", now=T0 + HOURS_48 - 1) == "message"
    assert quota.consume("o1", now=T0 + HOURS_48) == "closed"


def test_a_new_message_renews_the_allowance(quota):
    quota.record_interaction("o1", "message", now=T0)
    spend(quota, "o1", T0 + 1, 5)
    quota.record_interaction("o1", "voice", now=T0 + 100)
    assert spend(quota, "o1", T0 + 101, 6) == ["message"] * 5 + ["exhausted"]


@pytest.mark.parametrize("kind", ["click", "subscribe", "scan"])
def test_three_sends_within_a_minute_after_click_subscribe_or_scan(quota, kind):
    quota.record_interaction("o1", kind, now=T0)
    assert spend(quota, "o1", T0 + 59, 3) == ["event"] * 3
    assert quota.consume("o1", now=T0 + 59) == "exhausted"


def test_the_one_minute_window_edge(quota):
    quota.record_interaction("o1", "click", now=T0)
    assert quota.consume("o1", now=T0 + 59.9) == "event"
    assert quota.consume("o1", now=T0 + 60) == "closed"


@pytest.mark.parametrize("kind", ["scancode_push", "scancode_waitmsg"])
def test_scan_menu_buttons_count_as_clicks(quota, kind):
    assert quota.record_interaction("o1", kind, now=T0) is True
    assert quota.consume("o1", now=T0 + 1) == "event"


def test_the_webhook_can_record_inside_its_own_pipeline(quota):
    with quota.redis.pipeline() as pipe:
        pipe.set(quota.keys("test", "other"), "1")  # whatever else the webhook writes in that round trip
        assert quota.queue_interaction(pipe, "o1", "text", now=T0) is True
        pipe.execute()
    assert quota.consume("o1", now=T0 + 1) == "message"


def test_no_interaction_no_send_and_view_grants_nothing(quota):
    assert quota.consume("o_never", now=T0) == "closed"
    assert quota.record_interaction("o1", "view", now=T0) is False
    assert quota.consume("o1", now=T0) == "closed"


def test_unsubscribe_closes_every_window(quota):
    quota.record_interaction("o1", "message", now=T0)
    quota.record_interaction("o1", "unsubscribe", now=T0 + 1)
    assert quota.consume("o1", now=T0 + 2) == "closed"


def test_event_window_is_spent_before_the_48_hour_one(quota):
    quota.record_interaction("o1", "message", now=T0)
    quota.record_interaction("o1", "click", now=T0 + 10)
    assert spend(quota, "o1", T0 + 20, 9) == ["event"] * 3 + ["message"] * 5 + ["exhausted"]


def test_can_send_does_not_spend(quota):
    quota.record_interaction("o1", "click", now=T0)
    assert all(quota.can_send("o1", now=T0 + 1) for _ in range(10))
    assert spend(quota, "o1", T0 + 1, 4) == ["event"] * 3 + ["exhausted"]


def test_consume_is_atomic_across_threads(outbound_settings, redis):
    from wechat.redis_conn import connect

    keys = Keys(outbound_settings.key_prefix)
    CustomQuota(redis, keys).record_interaction("o1", "message", now=T0)
    results: list[str] = []
    barrier = threading.Barrier(12)

    def worker():
        q = CustomQuota(connect(outbound_settings), keys)
        barrier.wait()
        results.append(q.consume("o1", now=T0 + 1))

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results).count("message") == 5 and results.count("exhausted") == 7


def test_the_clock_is_used_when_no_time_is_given(outbound_settings, redis):
    now = [T0]
    quota = CustomQuota(redis, Keys(outbound_settings.key_prefix), clock=lambda: now[0])
    quota.record_interaction("o1", "scan")
    now[0] += 61
    assert quota.consume("o1") == "closed"


# -- sending -------------------------------------------------------------------------------------
def test_send_within_the_window(fake_wechat, client, quota):
    quota.record_interaction("o1", "click", now=T0)
    assert send_custom(client, quota, "o1", text_message("答案来了"), now=T0 + 5) == "sent"
    [request] = fake_wechat.requests_to(SEND)
    assert request.json == {"touser": "o1", "msgtype": "text", "text": {"content": "答案来了"}}


def test_nothing_is_sent_outside_the_window_and_it_is_recorded(fake_wechat, client, quota):
    quota.record_interaction("o1", "click", now=T0)
    assert send_custom(client, quota, "o1", text_message("太晚了"), now=T0 + 61) == "unsent"
    assert not fake_wechat.requests_to(SEND)
    [entry] = list_unsent(quota.redis, quota.keys)
    assert entry["openid"] == "o1" and entry["reason"] == "window closed"
    assert entry["message"]["text"]["content"] == "太晚了"


def test_45015_closes_the_window(fake_wechat, client, quota):
    quota.record_interaction("o1", "message", now=T0)
    fake_wechat.fail_next(SEND, 45015)
    assert send_custom(client, quota, "o1", text_message("a"), now=T0 + 1) == "unsent"
    assert quota.consume("o1", now=T0 + 2) == "closed"
    assert list_unsent(quota.redis, quota.keys)[0]["reason"] == "errcode 45015"


def test_45047_marks_the_allowance_spent(fake_wechat, client, quota):
    quota.record_interaction("o1", "message", now=T0)
    fake_wechat.fail_next(SEND, 45047)
    assert send_custom(client, quota, "o1", text_message("a"), now=T0 + 1) == "unsent"
    assert send_custom(client, quota, "o1", text_message("b"), now=T0 + 2) == "unsent"
    assert len(fake_wechat.requests_to(SEND)) == 1  # the second was never attempted
    assert [e["reason"] for e in list_unsent(quota.redis, quota.keys)] == ["window exhausted", "errcode 45047"]


def test_busy_wechat_gives_the_slot_back_and_asks_for_a_retry(fake_wechat, client, quota):
    quota.record_interaction("o1", "message", now=T0)
    fake_wechat.fail_next(SEND, -1)
    with pytest.raises(CustomRetryLater):
        send_custom(client, quota, "o1", text_message("a"), now=T0 + 1)
    assert spend(quota, "o1", T0 + 2, 6) == ["message"] * 5 + ["exhausted"]


def test_unsubscribed_follower_is_recorded_not_retried(fake_wechat, client, quota):
    quota.record_interaction("o1", "message", now=T0)
    fake_wechat.fail_next(SEND, 43004)
    assert send_custom(client, quota, "o1", text_message("a"), now=T0 + 1) == "unsent"
    assert list_unsent(quota.redis, quota.keys)[0]["reason"] == "errcode 43004"


# -- replies as customer-service messages --------------------------------------------------------
def test_message_from_reply_shapes():
    assert message_from_reply({"type": "text", "content": "hi"}) == {"msgtype": "text", "text": {"content": "hi"}}
    news = message_from_reply({"type": "news", "articles": [
        {"title": "A", "url": "https://e.com/a", "description": "d", "image": "https://e.com/a.png"},
        {"title": "B", "url": "https://e.com/b"}]})
    assert news == {"msgtype": "news", "news": {"articles": [
        {"title": "A", "description": "d", "url": "https://e.com/a", "picurl": "https://e.com/a.png"}]}}
    assert message_from_reply({"type": "image", "media_id": "M"}) == {"msgtype": "image", "image": {"media_id": "M"}}
    with pytest.raises(ValueError):
        message_from_reply({"type": "music"})


def test_long_text_is_cut_without_breaking_a_character():
    content = text_message("汉" * 1000)["text"]["content"]  # 3000 bytes
    assert len(content.encode("utf-8")) <= 2048 and content.endswith("…")
    assert set(content[:-1]) == {"汉"} and len(content) == 682  # whole characters only: (2048 - 3) // 3 + "…"
