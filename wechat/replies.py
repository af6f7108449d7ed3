"""Passive replies and WeChat's limits on them, enforced here so no handler can break them.

Usage::

    Text("你好"), News([Article(title=..., url=...)]), Success()
    rendered = render(reply, message, more_hint="…")   # -> Rendered(body, overflow)
"""
from __future__ import annotations

import time
from itertools import takewhile
from dataclasses import dataclass, field

import regex
from wechatpy import replies as wx

from wechat.limits import NEWS_ARTICLES_FOLLOWER_MESSAGE, NEWS_ARTICLES_OTHER, TEXT_BYTES
from wechat.messages import Message


@dataclass(frozen=True)
class Article:
    title: str
    url: str
    description: str = ""
    image: str = ""


@dataclass(frozen=True)
class Reply:
    """Base of every passive reply."""


@dataclass(frozen=True)
class Text(Reply):
    content: str


@dataclass(frozen=True)
class News(Reply):
    articles: tuple[Article, ...]

    def __init__(self, articles):  # accept any iterable, store a tuple
        object.__setattr__(self, "articles", tuple(articles))


@dataclass(frozen=True)
class Image(Reply):
    media_id: str


@dataclass(frozen=True)
class Voice(Reply):
    media_id: str


@dataclass(frozen=True)
class Video(Reply):
    media_id: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class Music(Reply):
    thumb_media_id: str
    music_url: str = ""
    hq_music_url: str = ""
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class TransferToAgent(Reply):
    """Hand the conversation to the MP console's human customer-service agents."""


@dataclass(frozen=True)
class Success(Reply):
    """Nothing to say: WeChat expects the literal ``success`` (or an empty body)."""


@dataclass(frozen=True)
class Rendered:
    body: str                     # plaintext XML, or "success"
    overflow: str = ""            # text that did not fit; the caller keeps it for "MORE"
    reply_type: str = "success"
    extra: dict = field(default_factory=dict)


def _cdata_safe(text: str) -> str:
    # wechatpy wraps values in CDATA verbatim; a literal "]]>" would end it early and break the XML.
    return text.replace("]]>", "]]]]><![CDATA[>")


# One user-perceived character (Unicode extended grapheme cluster): a flag, a ZWJ family, a skin-toned
# hand, a letter with its combining marks. A cut between two of these never splits what a follower sees.
_GRAPHEME = regex.compile(r"\X")


def _cluster_ends(text: str, limit: int) -> list[int]:
    """Where each whole grapheme cluster ends (code point offsets), for as many as fit in ``limit`` UTF-8 bytes."""
    ends, used = [], 0
    for match in _GRAPHEME.finditer(text):
        used += len(match.group().encode("utf-8"))
        if used > limit:
            break
        ends.append(match.end())
    return ends


def split_text(text: str, limit: int = TEXT_BYTES) -> tuple[str, str]:
    """Split ``text`` so the head is at most ``limit`` UTF-8 bytes, never inside a character or grapheme cluster.

    Prefers to cut after a line break or space in the last fifth of the head.
    """
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text, ""
    ends = _cluster_ends(text, limit)
    if not ends:   # one cluster longer than a whole reply (a pile of combining marks): whole code points then
        cut = len(encoded[:limit].decode("utf-8", errors="ignore"))
        return text[:cut], text[cut:]
    cut = ends[-1]
    floor = cut - cut // 5
    window = list(takewhile(lambda end: end > floor, reversed(ends)))   # the last fifth, latest first
    for sep in ("\n", "。", ". ", " ", "，", ", "):
        found = next((end for end in window if end - len(sep) > floor and text.endswith(sep, 0, end)), None)
        if found is not None:
            cut = found
            break
    return text[:cut], text[cut:].lstrip()


def fit_text(content: str, more_hint: str) -> tuple[str, str]:
    """Fit ``content`` into one reply; when it does not, end it with ``more_hint`` and return the rest."""
    head, rest = split_text(content)
    if not rest:
        return head, ""
    hint = "\n\n" + more_hint
    head, extra = split_text(content, TEXT_BYTES - len(hint.encode("utf-8")))
    return head.rstrip() + hint, extra


def article_limit(message: Message) -> int:
    # One news card when answering a follower's message, up to 8 for subscribe, menu clicks and scans.
    return NEWS_ARTICLES_FOLLOWER_MESSAGE if message.from_follower else NEWS_ARTICLES_OTHER


# The two replies nearly every message gets, as precompiled templates: byte for byte what wechatpy's
# TextReply and ArticlesReply render (tests/test_replies.py compares them), at a fraction of the cost of
# building its reply objects. The rarer types below still go through wechatpy.
_ADDRESSED = ("<FromUserName><![CDATA[{source}]]></FromUserName>\n<ToUserName><![CDATA[{target}]]></ToUserName>\n"
              "<CreateTime>{time}</CreateTime>\n</xml>")
_TEXT = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{content}]]></Content>\n" + _ADDRESSED
_NEWS = ("<xml>\n<MsgType><![CDATA[news]]></MsgType>\n<ArticleCount>{count}</ArticleCount>\n"
         "        <Articles>{items}</Articles>\n" + _ADDRESSED)
_NEWS_ITEM = ("<item>\n            <Title><![CDATA[{title}]]></Title>\n"
              "            <Description><![CDATA[{description}]]></Description>\n"
              "            <PicUrl><![CDATA[{image}]]></PicUrl>\n            <Url><![CDATA[{url}]]></Url>\n"
              "            </item>")


def render(reply: Reply | None, message: Message, *, more_hint: str = "Reply MORE for the rest.",
           now: int | None = None) -> Rendered:
    """Render ``reply`` as the plaintext XML WeChat expects, applying text and article limits."""
    if reply is None or isinstance(reply, Success):
        return Rendered("success")
    base = {"source": message.account, "target": message.openid, "time": now or int(time.time())}
    overflow = ""
    if isinstance(reply, Text):
        content, overflow = fit_text(reply.content, more_hint)
        return Rendered(_TEXT.format(content=_cdata_safe(content), **base), overflow, "text")
    if isinstance(reply, News):
        items = [_NEWS_ITEM.format(title=_cdata_safe(a.title), description=_cdata_safe(a.description),
                                   image=_cdata_safe(a.image), url=_cdata_safe(a.url))
                 for a in reply.articles[: article_limit(message)]]
        if not items:
            return Rendered("success")
        return Rendered(_NEWS.format(count=len(items), items="\n".join(items), **base), "", "news")
    if isinstance(reply, Image):
        wx_reply = wx.ImageReply(media_id=reply.media_id, **base)
    elif isinstance(reply, Voice):
        wx_reply = wx.VoiceReply(media_id=reply.media_id, **base)
    elif isinstance(reply, Video):
        wx_reply = wx.VideoReply(media_id=reply.media_id, title=_cdata_safe(reply.title),
                                 description=_cdata_safe(reply.description), **base)
    elif isinstance(reply, Music):
        wx_reply = wx.MusicReply(thumb_media_id=reply.thumb_media_id, music_url=reply.music_url,
                                 hq_music_url=reply.hq_music_url, title=_cdata_safe(reply.title),
                                 description=_cdata_safe(reply.description), **base)
    elif isinstance(reply, TransferToAgent):
        wx_reply = wx.TransferCustomerServiceReply(**base)
    else:
        raise TypeError(f"not a reply: {reply!r}")
    return Rendered(wx_reply.render(), overflow, wx_reply.type)
