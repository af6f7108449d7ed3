"""Hostile and broken bodies get a short 4xx and never a traceback; a handler crash gives a polite text."""
from __future__ import annotations

import logging

import pytest

from wechat.crypto import sign


def _signed(client, body: bytes, **extra):
    query = {"timestamp": "1700000000", "nonce": "n0nce"}
    query["signature"] = sign("spamtest", query["timestamp"], query["nonce"])
    query.update(extra)
    return client.post("/wechat", query_string=query, data=body, content_type="text/xml")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("body, status, words", [
    (BILLION_LAUGHS, 400, b"refused XML"),
    (EXTERNAL_ENTITY, 400, b"refused XML"),
    (b"<xml><ToUserName>gh</ToUserName>", 400, b"not well-formed"),
    (b"just some text", 400, b"not well-formed"),
    (b'{"json": true}', 400, b"not well-formed"),
    (b"", 400, b"empty body"),
    (b"<html><body>hi</body></html>", 400, b"root element"),
    (b"<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType></xml>", 400, b"missing FromUserName"),
    (b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><MsgType>text</MsgType>"
     b"<CreateTime>soon</CreateTime></xml>", 400, b"CreateTime"),
])
def test_bad_bodies_get_a_one_line_400(client, body, status, words):
    resp = _signed(client, body)
    assert resp.status_code == status
    assert words in resp.data
    assert resp.data.count(b"\n") == 1 and b"Traceback" not in resp.data


def test_hostile_envelope_in_safe_mode_is_refused(client):
    resp = _signed(client, BILLION_LAUGHS, encrypt_type="aes", msg_signature="0" * 40)
    assert resp.status_code == 400


def test_oversize_body_gets_413_before_parsing(client):
    resp = _signed(client, b"<xml>" + b"a" * (1024 * 1024 + 1) + b"</xml>")
    assert resp.status_code == 413
    assert b"too large" in resp.data


def test_handler_exception_gives_polite_busy_text_and_logs_msg_id_not_content(follower, bot, caplog):
    from wechat.router import Router

    boom = Router("boom")

    @boom.text("secret 13812345678")
    def explode(ctx):
        ctx.conversation.scene = "half-written"
        raise RuntimeError("kaboom")

    original = bot.router
    root = Router("root")
    root.include(boom)
    root.include(original)
    bot.router = root
    with caplog.at_level(logging.ERROR):
        reply = follower.send("secret 13812345678", msg_id=424242)
    assert reply.status == 200 and reply.type == "text"
    assert "稍后" in reply.content or "busy" in reply.content
    assert "424242" in caplog.text
    assert "13812345678" not in caplog.text
    assert bot.store.load(follower.openid).scene == ""     # no half-applied state change
    assert follower.resend().content == reply.content          # the retry gets the same answer


def test_unknown_paths_and_methods_are_plain_4xx(client):
    assert client.get("/nope").status_code == 404
    resp = client.put("/wechat")
    assert resp.status_code == 405 and b"Traceback" not in resp.data
