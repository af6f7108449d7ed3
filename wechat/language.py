"""Which language a follower writes in: Chinese when the text has CJK characters, English when it has Latin letters.

Usage::

    detect("你好 KOL") == "zh"; detect("hello") == "en"; detect("123") is None
"""
from __future__ import annotations

import re

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_LATIN = re.compile(r"[A-Za-z]")
# Words a follower types to switch language explicitly.
SWITCH_WORDS = {"english": "en", "英文": "en", "英语": "en", "中文": "zh", "chinese": "zh", "汉语": "zh", "简体中文": "zh"}


_ACRONYM = re.compile(r"^[A-Z0-9&+.\-]{2,8}$|^[A-Za-z]*\d[A-Za-z\d]*$")


def detect(text: str) -> str | None:
    """Language of ``text``, or None when it says nothing about the language.

    A lone acronym or code ("KOL", "B2B", "2021") is typed by Chinese and English followers alike,
    so it does not switch a follower's language.
    """
    if _CJK.search(text):
        return "zh"
    stripped = text.strip()
    if not _LATIN.search(stripped):
        return None
    if len(stripped.split()) == 1 and _ACRONYM.match(stripped):
        return None
    return "en"


def switch_request(text: str) -> str | None:
    """The language a follower asks for by typing "English" / "中文", else None."""
    return SWITCH_WORDS.get(text.strip().casefold())
