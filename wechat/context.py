"""What a handler sees: the message, the follower's conversation, the live content, and a way to defer work.

Usage::

    def reply_help(ctx: Context) -> Reply | None:
        ctx.session["seen_help"] = True          # saved after the reply if it changed
        ctx.defer("wechat.jobs.send_deferred_answer", openid=ctx.openid, reply={"type": "text", "content": "…"})
        return Text(ctx.text("help"))
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wechat.language import DEFAULT_LANGUAGE
from wechat.messages import Message
from wechat.replies import Reply

if TYPE_CHECKING:
    from wechat.bot import Bot


@dataclass(frozen=True)
class SideEffect:
    """A job for the worker: dotted function path, JSON-able kwargs, an id that makes enqueueing idempotent."""

    func: str
    kwargs: dict[str, Any]
    job_id: str


@dataclass
class Context:
    message: Message
    session: dict[str, Any]
    content: Any
    bot: "Bot"
    effects: list[SideEffect] = field(default_factory=list)
    redis_ok: bool = True
    notes: dict[str, Any] = field(default_factory=dict)   # per-message scratch space (e.g. analytics labels)

    @property
    def openid(self) -> str:
        return self.message.openid

    @property
    def lang(self) -> str:
        """The follower's language: remembered in the session, Chinese until we learn otherwise."""
        return self.session.get("lang") or DEFAULT_LANGUAGE

    @lang.setter
    def lang(self, value: str) -> None:
        self.session["lang"] = value

    @property
    def state(self) -> str:
        """Readable conversation state such as ``lead:phone``; "" when no flow is active."""
        return self.session.get("state", "")

    def text(self, name: str, **fmt: Any) -> str:
        """A named message from content in the follower's language."""
        return self.content.message(name, self.lang, **fmt)

    def start_flow(self, name: str, source: dict[str, Any] | None = None) -> Reply:
        """Start the named conversation flow (e.g. ``"lead"``) and return its first question.

        ``source`` says what started it, e.g. ``{"kind": "menu", "key": "MENU_CONTACT"}``.
        """
        if self.bot.flows is None:
            raise RuntimeError("no flow engine configured")
        return self.bot.flows.start(self, name, source or {})

    def answer_later(self, reply: dict[str, Any]) -> Reply:
        """Answer through the worker as a customer-service message; the webhook says ``success`` now.

        ``reply`` is ``{"type": "text", "content": ...}`` or ``{"type": "news", "articles": [...]}``;
        use it when the answer needs slow work that must not hold up WeChat's 5 s.
        """
        from wechat.replies import Success

        self.defer("wechat.jobs.send_deferred_answer", openid=self.openid, reply=reply)
        return Success()

    def defer(self, func: str, *, job_suffix: str = "", **kwargs: Any) -> None:
        """Queue ``func(**kwargs)`` for the worker; the id ties it to this message so a retry cannot queue it twice."""
        job_id = f"{self.message.dedupe_key}:{func}{':' + job_suffix if job_suffix else ''}"
        self.effects.append(SideEffect(func, kwargs, job_id))
