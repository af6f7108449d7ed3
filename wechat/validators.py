"""Parse what followers type into clean values, or raise ``Invalid`` so the flow re-asks with a hint.

Followers type on phones, in Chinese or English input modes: full-width digits, ``＠``, spaces and
dashes inside numbers are normal, so everything is NFKC-normalised before it is checked.

Usage::

    parse_phone("+86 138-0013-8000")   == "+8613800138000"
    parse_contact("Li@Example.com")     == {"email": "Li@example.com"}
    parse_choice("2", choices)          == choices[1].id
    parse_name("  张三 ")               == "张三"
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


class Invalid(ValueError):
    """The answer does not fit the step; ``reason`` is a short machine word, never the answer itself."""

    def __init__(self, reason: str = "invalid"):
        super().__init__(reason)
        self.reason = reason


def clean(text: str) -> str:
    """Control characters dropped, whitespace (the ideographic space too) collapsed; the text kept as typed."""
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch in "\n\t ")
    return re.sub(r"\s+", " ", text).strip()


def normalize(text: str) -> str:
    """``clean`` after NFKC, so full-width digits, letters, ``＠`` and ``．`` become ASCII (for codes, not prose)."""
    return clean(unicodedata.normalize("NFKC", text or ""))


# -- phone ------------------------------------------------------------------------------------------
# Mainland mobile numbers: 11 digits, 1 then 3-9 (MIIT numbering plan); +86 / 0086 / 86 prefixes are common.
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_CHARS = re.compile(r"^[\d\s\-().+]+$")
# E.164: a country code not starting with 0, at most 15 digits in all.
_E164 = re.compile(r"[1-9]\d{6,14}")


def parse_phone(text: str) -> str:
    """A Chinese mobile number or an international number, as E.164 (``+8613800138000``)."""
    raw = normalize(text)
    if not raw or not _PHONE_CHARS.match(raw) or raw.count("+") > 1:
        raise Invalid("phone")
    digits = re.sub(r"\D", "", raw)
    if "+" in raw and re.search(r"\d", raw.split("+")[0]):
        raise Invalid("phone")          # a plus after the first digit is a typo, not a country code
    international = "+" in raw or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if not international:
        if _CN_MOBILE.fullmatch(digits):
            return "+86" + digits
        if digits.startswith("86") and _CN_MOBILE.fullmatch(digits[2:]):
            return "+" + digits
        raise Invalid("phone")
    national = digits[2:]
    if digits.startswith("86") and len(national) == 11 and national.startswith("1") and not _CN_MOBILE.fullmatch(national):
        raise Invalid("phone")   # looks like a mainland mobile but is not one (e.g. +86 120...)
    if _E164.fullmatch(digits):
        return "+" + digits
    raise Invalid("phone")


# -- email ------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def parse_email(text: str) -> str:
    """An email address with the domain lower-cased; the local part is kept as typed (it may be case-sensitive)."""
    raw = normalize(text).replace(" ", "")
    if len(raw) > 254 or not _EMAIL.match(raw):
        raise Invalid("email")
    local, _, domain = raw.rpartition("@")
    if len(local) > 64 or ".." in local or local.startswith(".") or local.endswith("."):
        raise Invalid("email")
    tld = domain.rsplit(".", 1)[-1]
    if not tld.isalpha() or len(tld) < 2:
        raise Invalid("email")
    return f"{local}@{domain.lower()}"


def parse_contact(text: str) -> dict[str, str]:
    """A phone number or an email address: ``{"phone": ...}`` or ``{"email": ...}``."""
    raw = normalize(text)
    if "@" in raw:
        return {"email": parse_email(raw)}
    try:
        return {"phone": parse_phone(raw)}
    except Invalid:
        raise Invalid("contact") from None


# -- names and short text ---------------------------------------------------------------------------
_URLISH = re.compile(r"https?://|www\.|@", re.IGNORECASE)


def parse_text(text: str, *, min_len: int = 1, max_len: int = 60) -> str:
    """A short free-text answer (company, role): non-empty, not too long, containing a letter or digit.

    Kept as typed (no NFKC): a Chinese company name keeps its full-width brackets.
    """
    value = clean(text)
    if not (min_len <= len(value) <= max_len):
        raise Invalid("length")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in value):
        raise Invalid("text")
    return value


def parse_name(text: str, *, max_len: int = 40) -> str:
    """A person's name: letters (any script) with spaces, dots, hyphens, apostrophes; no digits or links."""
    value = clean(text)
    if not value or len(value) > max_len or _URLISH.search(value):
        raise Invalid("name")
    if any(ch.isdigit() for ch in value):
        raise Invalid("name")
    if not any(unicodedata.category(ch)[0] == "L" for ch in value):
        raise Invalid("name")
    allowed = set(" .-'·・")
    if any(not (unicodedata.category(ch)[0] in "LM" or ch in allowed) for ch in value):
        raise Invalid("name")
    return value


# -- choices ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    """One option: a stable id (what is stored), labels per language, extra words that also pick it."""

    id: str
    labels: dict[str, str]
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or next(iter(self.labels.values()), self.id)

    @classmethod
    def from_content(cls, raw: dict[str, Any]) -> "Choice":
        labels = {k: str(v) for k, v in raw.items() if k not in ("id", "aliases")}
        return cls(str(raw["id"]), labels, tuple(str(a) for a in raw.get("aliases") or ()))


def _key(text: str) -> str:
    return normalize(text).casefold().strip(" .。、,，!！")


def parse_choice(text: str, choices: list[Choice] | tuple[Choice, ...]) -> str:
    """The id of the choice picked by number (``2``, ``2.``, ``２``), by label in any language, id or alias."""
    key = _key(text)
    if not key:
        raise Invalid("choice")
    if key.isdigit():
        index = int(key)
        if 1 <= index <= len(choices):
            return choices[index - 1].id
        raise Invalid("choice")
    for choice in choices:
        words = {choice.id, *choice.labels.values(), *choice.aliases}
        if key in {_key(w) for w in words}:
            return choice.id
    raise Invalid("choice")


def numbered(choices: list[Choice] | tuple[Choice, ...], lang: str) -> str:
    """``1. label`` lines, the way choices are shown to a follower."""
    return "\n".join(f"{i}. {c.label(lang)}" for i, c in enumerate(choices, 1))
