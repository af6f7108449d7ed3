"""Verification, the three encryption modes and WeChat's published samples."""
from __future__ import annotations

import base64
import time

import pytest
from wechatpy.crypto import PrpCrypto

from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from wechat.crypto import SafeModeBox, sign, signature_valid
from devtools.simulator import FlaskTransport, Follower


def test_get_echoes_echostr_when_signed(client):
    query = {"timestamp": str(int(time.time())), "nonce": "xxxxxx", "echostr": "5837397520663397428"}
    query["signature"] = sign(SAMPLE_TOKEN, query["timestamp"], query["nonce"])
    resp = client.get("/wechat", query_string=query)
    assert resp.status_code == 200
    assert resp.data == b"5837397520663397428"


@pytest.mark.parametrize("signature", ["", "0" * 40, "not-hex"])
def test_get_refuses_bad_signature(client, signature):
    resp = client.get("/wechat", query_string={"signature": signature, "timestamp": "1", "nonce": "2",
                                                "echostr": "x"})
    assert resp.status_code == 403
    assert b"x" not in resp.data.replace(b"invalid signature", b"")


def test_post_refuses_bad_signature_before_reading_body(client):
    resp = client.post("/wechat", query_string={"signature": "0" * 40, "timestamp": "1", "nonce": "2"},
                       data=b"<not even xml", content_type="text/xml")
    assert resp.status_code == 403
    assert resp.data.strip() == b"invalid signature"


def test_post_refuses_missing_signature(client):
    resp = client.post("/wechat", data=b"<xml/>")
    assert resp.status_code == 403


def test_signature_is_weChats_sha1_of_sorted_parts():
    # Computed by hand: sha1("".join(sorted(["spamtest", "1409304348", "xxxxxx"])))
    import hashlib
    expected = hashlib.sha1("".join(sorted(["spamtest", "1409304348", "xxxxxx"])).encode()).hexdigest()
    assert sign("spamtest", "1409304348", "xxxxxx") == expected
    assert signature_valid("spamtest", expected.upper(), "1409304348", "xxxxxx")
    assert not signature_valid("spamtest", expected, "1409304349", "xxxxxx")


def test_known_answer_from_wechats_sample_library():
    # WeChat's WXBizMsgCrypt sample: this ciphertext of "我是中文abcd123" (random prefix aaaabbbbccccdddd).
    ciphertext = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    key = base64.b64decode(SAMPLE_AES_KEY + "=")
    assert PrpCrypto(key).decrypt(ciphertext, "wxb11529c136998cb6") == "我是中文abcd123"


@pytest.mark.parametrize("mode", ["plain", "compat", "safe"])
def test_round_trip_in_every_mode(make_follower, mode):
    follower = make_follower(mode=mode)
    reply = follower.send("qwerty asdf zxcv")
    assert reply.status == 200
    assert reply.type == "text"
    assert "Sorry" in reply.content
    assert reply.encrypted == (mode in ("compat", "safe"))


def test_safe_mode_reply_is_encrypted_and_signed(client, settings):
    follower = Follower(FlaskTransport(client), settings.wechat_token, aes_key=settings.wechat_aes_key,
                        appid=settings.wechat_appid, mode="safe")
    query = follower.signed_query()
    query.pop("echostr")
    box = SafeModeBox(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APPID)
    xml = ("<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o_safe]]></FromUserName>"
           "<CreateTime>1407743423</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           "<Content><![CDATA[hello there]]></Content><MsgId>1234567890123456</MsgId></xml>")
    envelope = box.encrypt(xml, query["nonce"], query["timestamp"])
    from wechat.messages import parse_xml_fields
    encrypt = parse_xml_fields(envelope)["Encrypt"]
    query.update(encrypt_type="aes", msg_signature=sign(SAMPLE_TOKEN, query["timestamp"], query["nonce"], encrypt))
    body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    resp = client.post("/wechat", query_string=query, data=body)
    assert resp.status_code == 200
    fields = parse_xml_fields(resp.data)
    assert set(fields) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert fields["MsgSignature"] == sign(SAMPLE_TOKEN, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
    plain = box.decrypt(fields["Encrypt"], fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
    assert "<ToUserName><![CDATA[o_safe]]></ToUserName>" in plain


def test_safe_mode_refuses_bad_msg_signature(client, make_follower):
    follower = make_follower(mode="safe")
    original = follower.transport.post

    def tamper(query, body):
        query = {**query, "msg_signature": "0" * 40}
        return original(query, body)

    follower.transport.post = tamper
    assert follower.send("hi").status == 403


def test_safe_mode_refuses_other_appid(client, settings):
    stranger = Follower(FlaskTransport(client), settings.wechat_token, aes_key=settings.wechat_aes_key,
                        appid="wx0000000000000000", mode="safe")
    reply = stranger.send("hi")
    assert reply.status == 403
    assert b"AppID" in reply.raw


def test_encrypted_request_refused_when_safe_mode_not_configured(make_settings, redis):
    from app import create_app
    app = create_app(make_settings(wechat_aes_key="", wechat_appid=""), redis=redis)
    follower = Follower(FlaskTransport(app.test_client()), SAMPLE_TOKEN, aes_key=SAMPLE_AES_KEY,
                        appid=SAMPLE_APPID, mode="safe")
    assert follower.send("hi").status == 403


def test_non_ascii_signature_is_refused_not_a_crash(client):
    for name in ("signature", "msg_signature"):
        query = {"signature": "ä" * 40, "timestamp": "1", "nonce": "2", "encrypt_type": "aes"}
        query[name] = "签名" * 20
        resp = client.post("/wechat", query_string=query, data=b"<xml/>")
        assert resp.status_code == 403


def test_wechat_is_answered_before_flask_and_everything_else_by_flask(app, client, follower):
    """/wechat pays nothing for Flask, the console or any hook added later: no request of it reaches Flask."""
    reached: list[str] = []
    app.before_request(lambda: reached.append("flask"))
    reply = follower.send("KOL")
    assert reply.status == 200 and reply.type == "news"
    assert client.options("/wechat").status_code == 204
    resp = client.put("/wechat")
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET, POST, OPTIONS"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert reached == []
    assert client.get("/healthz").status_code == 200 and client.get("/wechat/").status_code == 404
    assert reached == ["flask", "flask"]


def test_head_on_wechat_answers_like_get_without_a_body(client):
    query = {"timestamp": str(int(time.time())), "nonce": "hn1", "echostr": "42"}
    query["signature"] = sign(SAMPLE_TOKEN, query["timestamp"], query["nonce"])
    resp = client.head("/wechat", query_string=query)
    assert resp.status_code == 200 and resp.data == b"" and resp.headers["Content-Length"] == "2"


def test_a_failure_outside_the_bot_still_answers_success_to_a_message(app, client, follower, monkeypatch):
    """Even a bug in the webhook's own code (not a handler) gives WeChat 200 "success", never a 5xx."""
    from wechat import webhook

    monkeypatch.setattr(webhook, "body_digest", lambda body: 1 / 0)
    reply = follower.send("KOL")
    assert reply.status == 200 and reply.raw.strip() == b"success"
