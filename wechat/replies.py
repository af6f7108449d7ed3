"""Passive replies and WeChat's limits on them, enforced here so no handler can break them.

Usage::

    Text("你好"), News([Article(title=..., url=...)]), Success()
    rendered = render(reply, message, more_hint="…")   # -> Rendered(body, overflow)
"""
from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field

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


def _is_joiner(ch: str) -> bool:
    return ch in "\u200d\ufe0e\ufe0f" or unicodedata.combining(ch) > 0 or 0x1F3FB <= ord(ch) <= 0x1F3FF


def split_text(text: str, limit: int = TEXT_BYTES) -> tuple[str, str]:
    """Split ``text`` so the head is at most ``limit`` UTF-8 bytes, never inside a character or emoji sequence.

    Prefers to cut at a line break or space in the last fifth of the head.
    """
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text, ""
    cut = len(encoded[:limit].decode("utf-8", errors="ignore"))  # whole code points only
    # Do not separate a base character from its modifiers, variation selectors or ZWJ sequence.
    while cut > 0 and (_is_joiner(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    window = text[max(0, cut - cut // 5):cut]
    for sep in ("\n", "。", ". ", " ", "，", ", "):
        pos = window.rfind(sep)
        if pos > 0:
            cut = cut - len(window) + pos + len(sep)
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


def render(reply: Reply | None, message: Message, *, more_hint: str = "Reply MORE for the rest.",
           now: int | None = None) -> Rendered:
    """Render ``reply`` as the plaintext XML WeChat expects, applying text and article limits."""
    if reply is None or isinstance(reply, Success):
        return Rendered("success")
    base = {"source": message.account, "target": message.openid, "time": now or int(time.time())}
    overflow = ""
    if isinstance(reply, Text):
        content, overflow = fit_text(reply.content, more_hint)
        wx_reply = wx.TextReply(content=_cdata_safe(content), **base)
    elif isinstance(reply, News):
        articles = [
            {"title": _cdata_safe(a.title), "description": _cdata_safe(a.description),
             "image": _cdata_safe(a.image), "url": _cdata_safe(a.url)}
            for a in reply.articles[: article_limit(message)]
        ]
        if not articles:
            return Rendered("success")
        wx_reply = wx.ArticlesReply(articles=articles, **base)
    elif isinstance(reply, Image):
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
