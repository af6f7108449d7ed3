"""Work per message is bounded: every field is cut once where the message is parsed, and the masks that run
over follower text are linear, so a pasted essay or a forged megabyte costs what a short question costs."""
from __future__ import annotations

import pytest

import analytics.counters as counters
from analytics.counters import mask
from library.compiled import Content
from wechat.messages import MAX_FIELD_CHARS, parse_message


def test_every_field_is_capped_where_the_message_is_parsed():
    long = "长" * 60_000
    msg = parse_message(f"<xml><ToUserName>gh</ToUserName><FromUserName>o_1</FromUserName><CreateTime>1</CreateTime>"
                        f"<MsgType>text</MsgType><Content>{long}</Content><MsgId>1</MsgId>"
                        f"<Description>{long}</Description></xml>".encode())
    assert msg.content == long[:MAX_FIELD_CHARS]
    assert all(len(value) <= MAX_FIELD_CHARS for value in msg.fields.values())
    voice = parse_message(f"<xml><ToUserName>gh</ToUserName><FromUserName>o_1</FromUserName><CreateTime>1</CreateTime>"
                          f"<MsgType>voice</MsgType><Recognition>{long}</Recognition><MsgId>2</MsgId></xml>".encode())
    assert len(voice.content) == MAX_FIELD_CHARS


@pytest.mark.parametrize("text", ["qwertyuiop" * 6000, "a@" * 30_000, "这是一个没有任何匹配的问题" * 5000])
def test_text_reaching_search_matching_and_analytics_is_at_most_the_cap(follower, monkeypatch, text):
    seen: dict[str, list[int]] = {"mask": [], "search": [], "match": []}
    real_mask, real_search, real_match = counters.mask, Content.search, Content.intent
    monkeypatch.setattr(counters, "mask", lambda t: seen["mask"].append(len(t)) or real_mask(t))
    monkeypatch.setattr(Content, "search", lambda self, q, *a, **k: seen["search"].append(len(q)) or
                        real_search(self, q, *a, **k))
    monkeypatch.setattr(Content, "intent", lambda self, t: seen["match"].append(len(t)) or real_match(self, t))
    reply = follower.send(text)
    assert reply.status == 200 and reply.type == "text"
    assert seen["match"] and seen["mask"], seen                # the unmatched text went through both
    assert max(max(lengths) for lengths in seen.values() if lengths) <= MAX_FIELD_CHARS


@pytest.mark.parametrize("text, masked", [
    ("call 138 0013 8000 now", "call <number> now"),
    ("mail li.wei@example.com.cn!", "mail <email>!"),
    ("+86-138-0013-8000", "<number>"),
    ("order 12345 ok", "order 12345 ok"),                   # five characters: kept
    ("x@y.z then a.b+c@d.e.f", "<email> then <email>"),
    ("a@b.c.+d@e.f", "<email><email>"),                       # adjacent addresses both masked
    ("nobody@localhost", "nobody@localhost"),                 # no dot: not an address
])
def test_masks_keep_their_meaning(text, masked):
    assert mask(text) == masked
