"""What a conversation flow says: every text in every language, each step's question, hint, label and
choices, the command words (cancel, back, skip, confirm) and the consent text's version.

Built once per content version from ``content/flows/<name>.yaml`` after the content checker accepted it
(``library.compiled``), so the engine never validates wording while answering a message.

Usage::

    wording = content.flow("lead")               # FlowWording, or None when the version has no such flow
    wording.text("start", "en"); wording.steps["name"].ask["zh"]; wording.command("取消") == "cancel"
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wechat.validators import Choice, normalize

_TRAILING = " .。!！"


def _command_key(text: str) -> str:
    return normalize(text).casefold().strip(_TRAILING)


@dataclass(frozen=True)
class StepWording:
    name: str
    label: dict[str, str]
    ask: dict[str, str]
    invalid: dict[str, str]
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class FlowWording:
    """Everything a flow says, in every language, plus its command words and consent text version."""

    name: str
    texts: dict[str, dict[str, str]]
    steps: dict[str, StepWording]
    commands: dict[str, frozenset[str]]
    consent_version: str = ""
    consent_text: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, texts: Mapping[str, Mapping[str, str]], steps: Iterable[StepWording],
              commands: Mapping[str, Iterable[str]], consent_version: str = "",
              consent_text: Mapping[str, str] | None = None) -> "FlowWording":
        """From checked content: command words are kept in the form a follower's text is compared in."""
        return cls(name, {k: dict(v) for k, v in texts.items()}, {s.name: s for s in steps},
                   {k: frozenset(_command_key(w) for w in words) for k, words in commands.items()},
                   consent_version, dict(consent_text or {}))

    def text(self, key: str, lang: str, **fmt: Any) -> str:
        variants = self.texts.get(key) or {}
        value = variants.get(lang) or next(iter(variants.values()), "")
        return value.format(**fmt) if fmt else value

    def command(self, text: str) -> str | None:
        key = _command_key(text)
        for name in ("cancel", "back", "skip"):
            if key in self.commands.get(name, ()):
                return name
        return None

    def is_confirm(self, text: str) -> bool:
        return _command_key(text) in self.commands.get("confirm", ())
