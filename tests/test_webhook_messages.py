"""Every message and event type an official account receives is parsed, routed and never yields a 5xx."""
from __future__ import annotations

import pytest

from wechat.messages import parse_message

MESSAGES = {
    "text": {"Content": "hello there"},
    "image": {"PicUrl": "http://mmbiz.qpic.cn/x.jpg", "MediaId": "m1"},
    "voice": {"MediaId": "m2", "Format": "amr", "Recognition": "你好"},
    "video": {"MediaId": "m3", "ThumbMediaId": "t3"},
    "shortvideo": {"MediaId": "m4", "ThumbMediaId": "t4"},
    "location": {"Location_X": "23.134521", "Location_Y": "113.358803", "Scale": "20", "Label": "广州"},
    "link": {"Title": "A link", "Description": "d", "Url": "https://example.com"},
}

EVENTS = {
    "subscribe": {},
    "unsubscribe": {},
    "SCAN": {"EventKey": "expo2026", "Ticket": "t"},
    "LOCATION": {"Latitude": "23.137466", "Longitude": "113.352425", "Precision": "119.385040"},
    "CLICK": {"EventKey": "MENU_UNKNOWN_KEY"},
    "VIEW": {"EventKey": "https://example.com/page"},
    "scancode_push": {"EventKey": "SCAN_1"},
    "scancode_waitmsg": {"EventKey": "SCAN_2"},
    "pic_sysphoto": {"EventKey": "PIC_1"},
    "pic_photo_or_album": {"EventKey": "PIC_2"},
    "pic_weixin": {"EventKey": "PIC_3"},
    "location_select": {"EventKey": "LOC_1"},
    "view_miniprogram": {"EventKey": "pages/index/index", "MenuId": "1"},
    "TEMPLATESENDJOBFINISH": {"MsgID": "200163836", "Status": "success"},
    "some_future_event": {"EventKey": "x"},
}


@pytest.mark.parametrize("msg_type", sorted(MESSAGES))
def test_every_message_type_gets_a_reply(follower, msg_type):
    reply = follower.message(msg_type, MESSAGES[msg_type])
    assert reply.status == 200
    assert reply.type in {"text", "news", "success"}


def test_voice_is_routed_like_text(follower):
    reply = follower.voice("English")
    assert reply.type == "text"
    assert "English" in reply.content or "reply in English" in reply.content


def test_media_messages_get_a_text_only_hint(follower):
    reply = follower.message("image", MESSAGES["image"])
    assert reply.type == "text"
    assert "文字" in reply.content


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_event_type_is_handled(follower, event):
    reply = follower.event(event, **EVENTS[event])
    assert reply.status == 200
    assert reply.type in {"text", "news", "success"}


@pytest.mark.parametrize("event", ["unsubscribe", "LOCATION", "VIEW", "TEMPLATESENDJOBFINISH",
                                   "view_miniprogram", "some_future_event"])
def test_silent_events_answer_success(follower, event):
    assert follower.event(event, **EVENTS[event]).type == "success"


def test_unknown_message_type_answers_success(follower):
    assert follower.message("hologram", {"Data": "x"}).type == "success"


def test_subscribe_with_qr_scene_remembers_the_scene(follower, bot):
    reply = follower.subscribe(scene="expo2026")
    assert reply.type in {"text", "news"}
    assert bot.store.load(follower.openid).scene == "expo2026"


def test_scan_by_existing_follower_remembers_the_scene(follower, bot):
    follower.scan("partner-event")
    assert bot.store.load(follower.openid).scene == "partner-event"


def test_parsed_message_fields():
    msg = parse_message(b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_1]]></FromUserName>"
                        b"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                        b"<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_expo2026]]></EventKey></xml>")
    assert (msg.openid, msg.account, msg.created_at, msg.event, msg.scene) == ("o_1", "gh_1", 1700000000,
                                                                               "subscribe", "expo2026")
    assert msg.dedupe_key == "e:o_1:1700000000:subscribe:qrscene_expo2026"
    text = parse_message(b"<xml><ToUserName>gh</ToUserName><FromUserName>o_2</FromUserName><CreateTime>1</CreateTime>"
                         b"<MsgType>text</MsgType><Content>hi</Content><MsgId>987</MsgId></xml>")
    assert text.dedupe_key == "m:987:o_2"
    assert text.from_follower and not text.is_event


def test_nested_event_fields_are_flattened():
    msg = parse_message(b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
                        b"<MsgType>event</MsgType><Event>scancode_waitmsg</Event><EventKey>K</EventKey>"
                        b"<ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>hello</ScanResult></ScanCodeInfo></xml>")
    assert msg.get("ScanResult") == "hello"
    assert msg.get("ScanType") == "qrcode"
