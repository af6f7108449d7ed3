"""What a follower's phone shows for one rendered reply: read back from the XML WeChat would receive, so the
preview shows the text after the 2048-byte cut (with the "MORE" hint) and only the cards WeChat shows.

Usage::

    bubbles(rendered_body, message)   # -> [Bubble(kind="text", text=...)] or [Bubble(kind="news", cards=[...])]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import defusedxml.ElementTree as SafeET

from library.display_limits import SUMMARY_SHOWN, TITLE_SHOWN, shown_part
from wechat.language import detect
from wechat.messages import Message


@dataclass(frozen=True)
class Card:
    """One news card: the full title and summary, and what a phone shows of them (cut with "…")."""

    title: str
    title_shown: str
    description: str
    description_shown: str
    image: str
    url: str

    @property
    def title_cut(self) -> bool:
        return self.title_shown != self.title


@dataclass(frozen=True)
class Bubble:
    kind: str                                    # text | news | transfer | none | image | voice | video | music
    text: str = ""
    bytes: int = 0                               # UTF-8 size of a text reply (WeChat's limit is 2048)
    cards: list[Card] = field(default_factory=list)
    layout: str = ""                             # news: "single" (title, summary, cover) or "list" (titles)


def _card(item, layout: str) -> Card:
    title = (item.findtext("Title") or "").strip()
    description = (item.findtext("Description") or "").strip()
    lang = detect(title + description) or "zh"
    return Card(title, shown_part(title, lang, TITLE_SHOWN[lang]), description,
                shown_part(description, lang, SUMMARY_SHOWN[lang]) if layout == "single" else "",
                (item.findtext("PicUrl") or "").strip(), (item.findtext("Url") or "").strip())


def bubbles(body: str, message: Message) -> list[Bubble]:
    """The chat bubbles ``body`` (a rendered passive reply, or "success") shows the follower."""
    if not body or body == "success":
        return [Bubble("none")]
    root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    kind = (root.findtext("MsgType") or "").strip()
    if kind == "text":
        text = root.findtext("Content") or ""
        return [Bubble("text", text=text, bytes=len(text.encode("utf-8")))]
    if kind == "news":
        items = root.findall("./Articles/item")
        layout = "single" if len(items) == 1 else "list"
        return [Bubble("news", cards=[_card(item, layout) for item in items], layout=layout)]
    if kind == "transfer_customer_service":
        return [Bubble("transfer")]
    return [Bubble(kind or "none")]
