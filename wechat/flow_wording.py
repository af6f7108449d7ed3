"""What a conversation flow says: ``content/flows/<name>.yaml`` read into ``FlowWording``.

Every text in every language, each step's question, hint, label and choices, the command words
(cancel, back, skip, confirm) and the consent text's version.

Usage::

    wordings = load_wordings("content")          # {"lead": FlowWording(...)}; raises FlowContentError
    wordings["lead"].text("start", "en")
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from wechat.language import LANGUAGES
from wechat.validators import Choice, normalize

_DEFAULT_COMMANDS = {
    "cancel": ["取消", "cancel"], "back": ["返回", "back"], "skip": ["跳过", "skip"],
    "confirm": ["确认", "confirm", "yes", "ok"],
}
_REQUIRED_TEXTS = ("start", "resume", "summary", "confirm_invalid", "skipped", "stuck", "stuck_required",
                   "not_skippable", "back_at_start", "text_only", "cancelled", "expired")


class FlowContentError(ValueError):
    """A flow's wording file is missing something the engine needs; names the file and the gap."""


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

    def text(self, key: str, lang: str, **fmt: Any) -> str:
        variants = self.texts.get(key) or {}
        value = variants.get(lang) or next(iter(variants.values()), "")
        return value.format(**fmt) if fmt else value

    def command(self, text: str) -> str | None:
        key = normalize(text).casefold().strip(" .。!！")
        for name in ("cancel", "back", "skip"):
            if key in self.commands.get(name, ()):
                return name
        return None

    def is_confirm(self, text: str) -> bool:
        return normalize(text).casefold().strip(" .。!！") in self.commands.get("confirm", ())

    @classmethod
    def from_dict(cls, name: str, raw: Mapping[str, Any], source: str = "") -> "FlowWording":
        where = source or name
        texts = {k: _variants(v, f"{where}: {k}") for k, v in raw.items()
                 if k not in ("steps", "commands", "consent")}
        missing = [k for k in _REQUIRED_TEXTS if k not in texts]
        if missing:
            raise FlowContentError(f"{where}: missing {', '.join(missing)}")
        steps = {}
        for step, spec in (raw.get("steps") or {}).items():
            spec = spec or {}
            for part in ("ask", "invalid"):
                if part not in spec:
                    raise FlowContentError(f"{where}: steps.{step}.{part} is missing")
            choices = tuple(Choice.from_content(c) for c in spec.get("choices") or ())
            for choice in choices:
                if set(LANGUAGES) - set(choice.labels):
                    raise FlowContentError(f"{where}: steps.{step}.choices {choice.id} needs {', '.join(LANGUAGES)}")
            steps[step] = StepWording(step, _variants(spec.get("label") or {l: step for l in LANGUAGES},
                                                      f"{where}: steps.{step}.label"),
                                      _variants(spec["ask"], f"{where}: steps.{step}.ask"),
                                      _variants(spec["invalid"], f"{where}: steps.{step}.invalid"), choices)
        commands = {k: frozenset(normalize(w).casefold() for w in words)
                    for k, words in {**_DEFAULT_COMMANDS, **(raw.get("commands") or {})}.items()}
        consent = raw.get("consent") or {}
        consent_text = _variants(consent["text"], f"{where}: consent.text") if consent.get("text") else {}
        return cls(name, texts, steps, commands, str(consent.get("version") or ""), consent_text)


def _variants(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise FlowContentError(f"{where}: expected one text per language ({', '.join(LANGUAGES)})")
    missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
    if missing:
        raise FlowContentError(f"{where}: missing {', '.join(missing)}")
    return {lang: str(value[lang]) for lang in LANGUAGES}


def load_wordings(content_dir: str) -> dict[str, FlowWording]:
    """Every ``content/flows/*.yaml``, validated; raises ``FlowContentError`` naming the file."""
    directory = os.path.join(content_dir, "flows")
    wordings: dict[str, FlowWording] = {}
    if not os.path.isdir(directory):
        return wordings
    for filename in sorted(os.listdir(directory)):
        if not filename.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(directory, filename)
        with open(path, encoding="utf-8") as fh:
            try:
                raw = yaml.safe_load(fh) or {}
            except yaml.YAMLError as exc:
                raise FlowContentError(f"{path}: {exc}") from None
        name = os.path.splitext(filename)[0]
        wordings[name] = FlowWording.from_dict(name, raw, path)
    return wordings


