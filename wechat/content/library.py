"""Load named messages from ``content/messages.yaml`` and hand out the live ``Content``.

Usage::

    library = ContentLibrary.from_directory("content")
    content = library.current(version_hint)      # cheap: the hint comes with the dedupe claim
    content.message("welcome", "en")
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from wechat.language import DEFAULT_LANGUAGE, LANGUAGES


class _Blank(dict):
    def __missing__(self, key: str) -> str:  # a placeholder the caller did not fill stays visible, never crashes
        return "{" + key + "}"


@dataclass(frozen=True)
class Content:
    """One immutable version of everything the bot says."""

    version: int
    messages: dict[str, dict[str, str]] = field(default_factory=dict)

    def message(self, name: str, lang: str, **fmt: Any) -> str:
        variants = self.messages.get(name) or {}
        text = variants.get(lang) or variants.get(DEFAULT_LANGUAGE) or next(iter(variants.values()), "")
        return text.format_map(_Blank(fmt)) if fmt else text


class ContentLibrary:
    """Holds the live ``Content`` of this process."""

    def __init__(self, content: Content):
        self._content = content

    @classmethod
    def from_directory(cls, directory: str) -> "ContentLibrary":
        path = os.path.join(directory, "messages.yaml")
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh) or {}
        messages = {name: {lang: str(text) for lang, text in variants.items() if lang in LANGUAGES}
                    for name, variants in raw.items()}
        return cls(Content(version=0, messages=messages))

    def current(self, version_hint: int | None = None) -> Content:
        return self._content

    @property
    def version(self) -> int:
        return self._content.version
