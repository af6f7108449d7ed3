"""Reply types and WeChat's limits, enforced where replies are rendered."""
from __future__ import annotations

import re

import defusedxml.ElementTree as SafeET
import pytest

from wechat.messages import parse_message
from wechat.replies import (Article, Image, Music, News, Success, Text, TransferToAgent, Video, Voice, render,
                            split_text)


def _msg(kind: str = "text"):
    if kind == "text":
        return parse_message(b"<xml><ToUserName>gh</ToUserName><FromUserName>o_1</FromUserName><CreateTime>1</CreateTime>"
                             b"<MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>")
    return parse_message(b"<xml><ToUserName>gh</ToUserName><FromUserName>o_1</FromUserName><CreateTime>1</CreateTime>"
                         b"<MsgType>event</MsgType><Event>CLICK</Event><EventKey>K</EventKey></xml>")


def _content(body: str) -> str:
    return SafeET.fromstring(body.encode()).findtext("Content")


@pytest.mark.parametrize("reply, msg_type, check", [
    (Image("media1"), "image", lambda r: r.find("Image/MediaId").text == "media1"),
    (Voice("media2"), "voice", lambda r: r.find("Voice/MediaId").text == "media2"),
    (Video("media3", "T", "D"), "video", lambda r: r.find("Video/Title").text == "T"),
    (Music("thumb", "http://m", "http://hq", "Song"), "music", lambda r: r.find("Music/HQMusicUrl").text == "http://hq"),
    (TransferToAgent(), "transfer_customer_service", lambda r: r.find("FromUserName").text == "gh"),
    (Text("hi"), "text", lambda r: r.find("ToUserName").text == "o_1"),
])
def test_each_reply_type_renders_valid_xml(reply, msg_type, check):
    body = render(reply, _msg()).body
    root = SafeET.fromstring(body.encode())
    assert root.findtext("MsgType") == msg_type
    assert check(root)


def test_success_and_none_render_success():
    assert render(Success(), _msg()).body == "success"
    assert render(None, _msg()).body == "success"
    assert render(News([]), _msg()).body == "success"


def test_news_has_one_article_when_answering_a_follower_message():
    news = News([Article(f"T{i}", f"https://x/{i}") for i in range(10)])
    root = SafeET.fromstring(render(news, _msg("text")).body.encode())
    assert root.findtext("ArticleCount") == "1"
    assert len(root.findall("Articles/item")) == 1


def test_news_has_at_most_eight_articles_for_other_triggers():
    news = News([Article(f"T{i}", f"https://x/{i}") for i in range(10)])
    root = SafeET.fromstring(render(news, _msg("event")).body.encode())
    assert root.findtext("ArticleCount") == "8"
    assert [i.findtext("Title") for i in root.findall("Articles/item")] == [f"T{i}" for i in range(8)]


def test_cdata_terminator_in_text_cannot_break_the_xml():
    body = render(Text("a ]]> b <xml>"), _msg()).body
    assert _content(body) == "a ]]> b <xml>"


@pytest.mark.parametrize("size", [2047, 2048])
def test_text_that_fits_is_sent_whole(size):
    text = "中" * (size // 3) + "a" * (size % 3)
    assert len(text.encode()) == size
    rendered = render(Text(text), _msg())
    assert _content(rendered.body) == text
    assert rendered.overflow == ""


@pytest.mark.parametrize("filler", ["a", "中", "😀", "👩‍👩‍👧"])
def test_text_of_2049_bytes_is_cut_within_limit_and_continues(filler):
    unit = len(filler.encode())
    text = filler * (2049 // unit + 1)
    rendered = render(Text(text), _msg(), more_hint="(Reply MORE for the rest.)")
    content = _content(rendered.body)
    assert len(content.encode("utf-8")) <= 2048
    assert content.endswith("(Reply MORE for the rest.)")
    sent = content[: -len("\n\n(Reply MORE for the rest.)")]
    assert sent + rendered.overflow == text          # nothing lost, nothing cut inside a character
    assert len(sent) % len(filler) == 0              # emoji ZWJ sequences are never split


def test_split_prefers_a_line_break():
    text = ("line of text\n" * 200)
    head, rest = split_text(text, 2048)
    assert head.endswith("\n") and len(head.encode()) <= 2048
    assert head + rest == text


def test_more_sends_the_rest_through_the_webhook(follower, bot, monkeypatch):
    long_text = "\n".join(f"第{i}段：" + "内容" * 40 for i in range(40))
    monkeypatch.setitem(bot.library.current().messages, "fallback", {"zh": long_text, "en": long_text})
    first = follower.send("随便问问")
    assert len(first.content.encode()) <= 2048
    assert "MORE" in first.content
    second = follower.send("MORE")
    assert second.content and second.content != first.content
    pieces = [first.content.rsplit("\n\n", 1)[0]]
    reply = second
    while "MORE" in reply.content.rsplit("\n", 1)[-1]:
        pieces.append(reply.content.rsplit("\n\n", 1)[0])
        reply = follower.send("MORE")
    pieces.append(reply.content)
    assert re.sub(r"\s", "", "".join(pieces)) == re.sub(r"\s", "", long_text)
    assert "没有更多" in follower.send("MORE").content


# Extended grapheme clusters a follower sees as one character; a cut inside any of them shows garbage.
CLUSTERS = {
    "flag": "🇨🇳",                                          # two regional indicators
    "england": "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",   # tag sequence
    "zwj family": "👨‍👩‍👧‍👦",
    "skin tone": "👍🏽",
    "skin tone + zwj": "🧑🏿‍💻",
    "combining marks": "e\u0301\u0323",                     # e + acute + dot below
    "hangul jamo": "\u1100\u1161\u11a8",
    "keycap": "1\ufe0f\u20e3",
}


@pytest.mark.parametrize("name", list(CLUSTERS))
@pytest.mark.parametrize("lead", [0, 1, 2, 3, 5, 7])
def test_long_text_is_cut_between_grapheme_clusters(name, lead):
    cluster = CLUSTERS[name]
    text = "x" * lead + cluster * (3000 // len(cluster.encode()))
    head, rest = split_text(text, 2048)
    assert len(head.encode()) <= 2048 and head + rest == text
    assert head[lead:] == cluster * ((len(head) - lead) // len(cluster)), f"{name} split at the cut"
    assert rest.startswith(cluster)


def test_a_cut_at_a_space_never_takes_a_combining_mark_from_it():
    text = "abc \u0301" * 600                   # the mark belongs to the space before it
    head, rest = split_text(text, 2048)
    assert len(head.encode()) <= 2048 and head + rest == text
    assert not rest.startswith("\u0301")


def test_one_cluster_longer_than_a_reply_is_still_cut_on_a_code_point():
    zalgo = "a" + "\u0301" * 3000
    head, rest = split_text(zalgo, 2048)
    assert head and len(head.encode()) <= 2048 and head + rest == zalgo
