"""Template messages: WeChat's field rules, the payload, each errcode's outcome, delivery results."""
from __future__ import annotations

import pytest

from wechat.api_client import WeChatAPIError, build_client
from wechat.redis_conn import Keys
from wechat.templates import (TemplateError, TemplateMessage, TemplateRetryLater, build_payload, check_field,
                              field_type, get_status, message_from_config, record_delivery, send_template,
                              validate_fields)

SEND = "/cgi-bin/message/template/send"


def message(**kw):
    base = {"touser": "o_sales", "template_id": "TPL_LEAD", "data": {"thing1": "新线索：张三", "time2": "2026-03-01 10:00"},
            "url": "https://example.com/leads/1", "client_msg_id": "lead-1-sales"}
    base.update(kw)
    return TemplateMessage(**base)


@pytest.fixture
def keys(outbound_settings):
    return Keys(outbound_settings.key_prefix)


@pytest.fixture
def client(outbound_settings, redis):
    return build_client(outbound_settings, redis)


# -- field rules ---------------------------------------------------------------------------------
def test_twenty_characters_is_the_limit():
    assert check_field("thing1", "字" * 20) is None
    assert "21 characters" in check_field("thing1", "字" * 21)
    assert check_field("keyword1", "x" * 20) is None       # legacy untyped keyword: only the length rule
    assert "21 characters" in check_field("keyword1", "x" * 21)


def test_retired_lines_and_colours_are_refused():
    assert "retired" in check_field("first", "您好")
    assert "retired" in check_field("remark", "谢谢")
    assert "colours" in check_field("thing1", {"value": "ok", "color": "#173177"})
    assert "non-empty" in check_field("thing1", "  ")


@pytest.mark.parametrize("key,value,ok", [
    ("time2", "15:01", True), ("time2", "2026-03-01 15:01", True), ("time2", "2026年3月1日 15:01", True),
    ("time2", "下午三点", False), ("date3", "2026年3月1日", True), ("date3", "tomorrow", False),
    ("amount4", "¥8.88", True), ("amount4", "100元", True), ("amount4", "eight", False), ("amount4", "1.234", False),
    ("number5", "42", True), ("number5", "-3.5", True), ("number5", "42个", False),
    ("character_string6", "ORDER-2026_01", True), ("character_string6", "订单1", False),
    ("phone_number7", "+86 138-0000-0000", True), ("phone_number7", "138x", False),
    ("car_number8", "粤B12345", True), ("car_number8", "B12345", False),
    ("phrase9", "已完成", True), ("phrase9", "已经全部完成了", False), ("phrase9", "done", False),
    ("name10", "张三", True), ("name10", "Ada Lovelace", True), ("name10", "张三3", False),
    ("letter11", "abc", True), ("letter11", "ab1", False),
])
def test_typed_fields_inferred_from_the_key(key, value, ok):
    assert (check_field(key, value) is None) is ok


def test_field_type_comes_from_the_prefix():
    assert field_type("thing1") == "thing"
    assert field_type("character_string12") == "character_string"
    assert field_type("keyword1") is None and field_type("thing") is None


def test_validate_lists_every_problem():
    problems = validate_fields({"thing1": "x" * 21, "time2": "soon", "first": "hi", "thing3": "ok"})
    assert [p.split(":")[0] for p in problems] == ["thing1", "time2", "first"]


# -- payload -------------------------------------------------------------------------------------
def test_payload_shape():
    payload = build_payload(message(miniprogram={"appid": "wxmini", "pagepath": "pages/lead?id=1"}))
    assert payload == {
        "touser": "o_sales", "template_id": "TPL_LEAD", "client_msg_id": "lead-1-sales",
        "url": "https://example.com/leads/1", "miniprogram": {"appid": "wxmini", "pagepath": "pages/lead?id=1"},
        "data": {"thing1": {"value": "新线索：张三"}, "time2": {"value": "2026-03-01 10:00"}},
    }


def test_payload_refuses_bad_fields_naming_the_first():
    with pytest.raises(TemplateError) as info:
        build_payload(message(data={"thing1": "ok", "time2": "later"}))
    assert info.value.field == "time2"


def test_client_msg_id_defaults_to_a_stable_digest():
    a = message(client_msg_id="").message_id()
    assert a == message(client_msg_id="").message_id() and a.startswith("auto-")
    assert a != message(client_msg_id="", data={"thing1": "别的"}).message_id()


def test_message_from_config_fills_and_fits_fields():
    config = {"template_id": "TPL_LEAD", "fields": {"thing1": "{company} 的 {name} 想了解 {need}", "time2": "{time}"},
              "url": "https://example.com/leads/{lead_id}"}
    msg = message_from_config(config, "o_sales", {"company": "某某国际广告有限公司", "name": "张三", "need": "KOL 投放",
                                                  "time": "2026-03-01 10:00", "lead_id": "L1"}, "lead-L1")
    assert len(msg.data["thing1"]) == 20 and msg.data["thing1"].endswith("…")
    assert msg.data["time2"] == "2026-03-01 10:00" and msg.url == "https://example.com/leads/L1"
    assert validate_fields(msg.data) == []


def test_message_from_config_picks_the_follower_language():
    config = {"template_id": "TPL_OK", "fields": {"thing1": {"zh": "咨询已收到：{need}", "en": "Request received"},
                                                  "time2": "{time}"}}
    values = {"need": "KOL", "time": "10:00"}
    assert message_from_config(config, "o1", values, language="en").data["thing1"] == "Request received"
    assert message_from_config(config, "o1", values, language="zh").data["thing1"] == "咨询已收到：KOL"
    assert message_from_config(config, "o1", values, language="ja").data["thing1"] == "咨询已收到：KOL"


# -- sending and errcodes ------------------------------------------------------------------------
def test_send_records_sent_then_delivery(fake_wechat, client, redis, keys):
    assert send_template(client, redis, keys, message()) == "sent"
    [request] = fake_wechat.requests_to(SEND)
    assert request.json["client_msg_id"] == "lead-1-sales"
    status = get_status(redis, keys, "lead-1-sales")
    assert status["status"] == "sent" and status["msgid"]

    assert record_delivery(redis, keys, status["msgid"], "success") == "delivered"
    assert get_status(redis, keys, "lead-1-sales")["status"] == "delivered"
    assert record_delivery(redis, keys, "999999", "success") is None


@pytest.mark.parametrize("event_status,ours", [("success", "delivered"), ("failed:user block", "user_block"),
                                               ("failed: system failed", "system_failed")])
def test_templatesendjobfinish_statuses(fake_wechat, client, redis, keys, event_status, ours):
    send_template(client, redis, keys, message())
    msgid = get_status(redis, keys, "lead-1-sales")["msgid"]
    assert record_delivery(redis, keys, int(msgid), event_status) == ours
    assert get_status(redis, keys, "lead-1-sales")["delivery"] == event_status


def test_a_sent_message_is_not_sent_again(fake_wechat, client, redis, keys):
    send_template(client, redis, keys, message())
    assert send_template(client, redis, keys, message()) == "sent"
    assert len(fake_wechat.requests_to(SEND)) == 1


@pytest.mark.parametrize("errcode,status", [(43004, "unsubscribed"), (40003, "bad_openid"), (47003, "bad_field"),
                                            (40037, "bad_template_id")])
def test_stop_errors_stop(fake_wechat, client, redis, keys, errcode, status):
    fake_wechat.fail_next(SEND, errcode)
    assert send_template(client, redis, keys, message()) == status
    recorded = get_status(redis, keys, "lead-1-sales")
    assert recorded["status"] == status and recorded["errcode"] == str(errcode)
    if errcode == 47003:
        assert recorded["field"] == "thing1"  # named from WeChat's "data.thing1.value invalid"
    assert len(fake_wechat.requests_to(SEND)) == 1


@pytest.mark.parametrize("errcode", [45009, -1])
def test_busy_and_quota_errors_ask_for_a_retry(fake_wechat, client, redis, keys, errcode):
    fake_wechat.fail_next(SEND, errcode)
    with pytest.raises(TemplateRetryLater) as info:
        send_template(client, redis, keys, message())
    assert info.value.errcode == errcode
    assert get_status(redis, keys, "lead-1-sales")["status"] == "retrying"
    assert send_template(client, redis, keys, message()) == "sent"  # the retry goes through
    assert len(fake_wechat.requests_to(SEND)) == 2


def test_invalid_fields_are_never_sent(fake_wechat, client, redis, keys):
    assert send_template(client, redis, keys, message(data={"thing1": "x" * 21})) == "bad_field"
    assert get_status(redis, keys, "lead-1-sales")["field"] == "thing1"
    assert not fake_wechat.requests_to(SEND)


def test_other_errors_are_recorded_and_raised(fake_wechat, client, redis, keys):
    fake_wechat.fail_next(SEND, 40013)  # invalid AppID: an operator must act; the job queue retries meanwhile
    with pytest.raises(WeChatAPIError):
        send_template(client, redis, keys, message())
    recorded = get_status(redis, keys, "lead-1-sales")
    assert (recorded["status"], recorded["errcode"]) == ("failed", "40013")
