"""The first article a typed question gets, as the bot decides it: keyword rules (with the lead-form intent of
``library.intent``), then search. Used by the relevance bench and its test; the handlers follow the same order
(``handlers/keywords.py`` then ``handlers/search.py``).

Usage::

    first_article(content, "B站合作", "zh")     # -> "bilibili-gen-z"
    first_article(content, "谢谢", "zh")        # -> None (small talk: no article)
"""
from __future__ import annotations

from library.compiled import Content
from wechat.language import detect


def first_article(content: Content, text: str, lang: str) -> str | None:
    """The article id sent first for ``text`` (a card, or line 1 of a numbered list); None when none is sent."""
    intent = content.intent(text)
    hit = intent.hit
    if hit is not None:
        spec = hit.target.action
        if spec.article is not None:
            return spec.article
        if spec.articles:
            return spec.articles[0]
        return None                       # a text, message, flow or hand-off: no article
    found = content.find(text, detect(text) or lang)
    return found.articles[0] if found.articles else None
