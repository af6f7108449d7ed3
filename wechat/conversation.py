"""A follower's conversation: what the bot remembers between two messages, kept in Redis with a TTL.

One typed record instead of a dict every module writes its own keys into. It is loaded with the
message's claim, handed to handlers as ``ctx.conversation``, and saved after the reply only when its
JSON changed (otherwise its TTL is refreshed). An empty conversation is deleted.

Usage::

    conversation = Conversation.load(raw_bytes)      # b"" / None / unreadable -> a fresh Conversation
    conversation.lang = "en"; conversation.flow = FlowRun(...)
    raw = conversation.dump()                         # None when there is nothing worth keeping
"""
from __future__ import annotations

import orjson
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class FlowRun:
    """One run of a conversation flow (e.g. the lead form): where it is, the answers so far, where it came from.

    ``step`` is a step name or ``"confirm"`` (the summary); ``state`` reads as ``lead:phone``.
    """

    name: str
    step: str
    run_id: str
    answers: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    lang: str = "zh"
    started_at: float = 0.0
    path: list[str] = field(default_factory=list)    # steps answered, in order, for "back"
    tries: int = 0                                    # invalid answers in a row at this step
    edit: bool = False                                # editing one answer from the summary

    @property
    def state(self) -> str:
        return f"{self.name}:{self.step}"

    @classmethod
    def from_json(cls, raw: Any, state: str = "") -> "FlowRun | None":
        """Read a stored run; ``state`` is the pre-2026-12 separate ``"lead:name"`` field, for old sessions."""
        if not isinstance(raw, dict) or not raw.get("name") or not raw.get("run", raw.get("run_id")):
            return None
        step = str(raw.get("step") or state.partition(":")[2])
        if not step:
            return None
        return cls(str(raw["name"]), step, str(raw.get("run_id") or raw.get("run")),
                   dict(raw.get("answers") or {}), dict(raw.get("source") or {}), str(raw.get("lang") or "zh"),
                   float(raw.get("started_at") or raw.get("started") or 0), list(raw.get("path") or []),
                   int(raw.get("tries") or 0), bool(raw.get("edit")))


@dataclass
class Conversation:
    """Everything remembered about one follower between messages (expires with ``SESSION_TTL_SECONDS``)."""

    lang: str = ""                  # "" until we learn it; handlers read ``ctx.lang`` (Chinese by default)
    lang_chosen: bool = False       # the follower typed "English"/"中文": stop following their script
    flow: FlowRun | None = None     # an open flow, if any
    flows_checked: bool = False     # this session already looked for a flow that expired with the last one
    choices: list[str] = field(default_factory=list)   # article ids of the numbered list just offered
    read: list[str] = field(default_factory=list)      # article ids sent recently, newest last
    more: str = ""                  # the rest of a text longer than WeChat's 2048 bytes ("MORE" sends it)
    scene: str = ""                 # the QR scene that brought the follower, e.g. a lead's source

    @property
    def state(self) -> str:
        """Readable state such as ``lead:phone``; "" when no flow is open."""
        return self.flow.state if self.flow is not None else ""

    def clear(self) -> None:
        """Forget everything (the store then deletes the record)."""
        self.__dict__.update(Conversation().__dict__)

    # -- storage ---------------------------------------------------------------------------------
    def dump(self) -> bytes | None:
        """Compact, stable JSON (so "unchanged" is a byte comparison); None when nothing is worth keeping.

        Built field by field rather than with ``dataclasses.asdict``, which deep-copies and costs several
        times more on every message.
        """
        data = {name: value for name, value in self.__dict__.items() if value}
        if not data:
            return None
        if self.flow is not None:
            data["flow"] = {k: v for k, v in self.flow.__dict__.items() if v or k in ("name", "step", "run_id")}
        # orjson (C): the same compact UTF-8 bytes as json.dumps(ensure_ascii=False, sort_keys=True), 10x faster.
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)

    @classmethod
    def load(cls, raw: bytes | str | None) -> "Conversation":
        if not raw:
            return cls()
        try:
            data = orjson.loads(raw)
        except ValueError:   # orjson.JSONDecodeError is one
            log.warning("discarding an unreadable conversation")
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(
            lang=str(data.get("lang") or ""),
            lang_chosen=bool(data.get("lang_chosen")),
            flow=FlowRun.from_json(data.get("flow"), str(data.get("state") or "")),
            flows_checked=bool(data.get("flows_checked")),
            choices=[str(c) for c in data.get("choices") or []],
            read=[str(a) for a in data.get("read") or []],
            more=str(data.get("more") or ""),
            scene=str(data.get("scene") or ""),
        )
