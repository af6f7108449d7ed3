"""What a handler sees: the message, the follower's conversation, the live content, the flow engine, and a
way to defer work; and what it reports back (``ctx.outcome``) for analytics and the finish hooks.

An account extends ``Context`` with its own typed services (see ``handlers/context.py``); handlers
never see the ``Bot``, Redis or key names.

Usage::

    def reply_help(ctx: Context) -> Reply | None:
        ctx.conversation.read.append("weibo-2021")     # saved after the reply if it changed
        ctx.outcome.rule = "help"                      # counted by analytics
        ctx.defer(send_deferred_answer, openid=ctx.openid, reply={"type": "text", "content": "…"})
        return Text(ctx.text("help"))
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from wechat.conversation import Conversation
from wechat.custom_messages import send_deferred_answer
from wechat.jobs.enqueue import Deferred, job_name
from wechat.language import DEFAULT_LANGUAGE
from wechat.messages import Message
from wechat.replies import Reply, Success

if TYPE_CHECKING:
    from wechat.flow import FlowEngine


class Messages(Protocol):
    """The least the engine needs of an account's content: its named messages, per language."""

    version: int

    def message(self, name: str, lang: str, **fmt: Any) -> str: ...


@dataclass
class Outcome:
    """What happened to one message, as handlers report it; read by analytics and the finish hooks."""

    route: str = ""             # the route whose handler answered
    rule: str = ""              # the keyword rule that matched
    match: str = ""             # how it matched: exact, regex, contains
    menu_unknown: bool = False  # a menu click whose key the live content no longer has
    search: str = ""            # "hit" or "miss" when search ran
    scene: str = ""             # the QR scene of a subscribe or scan
    flow: str = ""              # a flow the reply started (or offered a human instead of)
    flow_ended: bool = False    # an open flow ended: confirmed, cancelled, declined or erased
    step: str = ""              # a flow step reached by going forward (``lead:phone``, ``lead:done``): the funnel
    articles: list[str] = field(default_factory=list)   # article ids sent
    choice: int = 0             # the number picked from a numbered list
    erased: bool = False        # the follower's data was erased: nothing may write them back
    error: bool = False         # the handler failed; the follower got the "busy" text


@dataclass(kw_only=True)
class Context:
    message: Message
    conversation: Conversation
    content: Messages
    flows: "FlowEngine | None" = None
    redis_ok: bool = True                  # False: Redis was unreachable; no claim, no stored conversation
    outcome: Outcome = field(default_factory=Outcome)
    deferred: list[Deferred] = field(default_factory=list)

    @property
    def openid(self) -> str:
        return self.message.openid

    @property
    def lang(self) -> str:
        """The follower's language: remembered in the conversation, Chinese until we learn otherwise."""
        return self.conversation.lang or DEFAULT_LANGUAGE

    @lang.setter
    def lang(self, value: str) -> None:
        self.conversation.lang = value

    @property
    def state(self) -> str:
        """Readable conversation state such as ``lead:phone``; "" when no flow is open."""
        return self.conversation.state

    def text(self, name: str, **fmt: Any) -> str:
        """A named message from content in the follower's language."""
        return self.content.message(name, self.lang, **fmt)

    def start_flow(self, name: str, source: dict[str, Any] | None = None, notice: str = "") -> Reply:
        """Start the named conversation flow (e.g. ``"lead"``) and return its first question.

        ``source`` says what started it, e.g. ``{"kind": "menu", "key": "MENU_CONTACT"}``; ``notice`` is said
        before the first question (a privacy notice the follower must read before typing anything).
        """
        if self.flows is None:
            raise RuntimeError("no flow engine configured")
        return self.flows.start(self, name, source or {}, notice=notice)

    def defer(self, func: Callable[..., Any], /, *, job_id: str = "", **kwargs: Any) -> None:
        """Queue ``func(**kwargs)`` for the worker once the reply is decided.

        The job id ties it to this message (or to ``job_id`` when the work has its own identity, such as a
        lead's revision), so WeChat's retry of the message cannot queue it twice.
        """
        self.deferred.append(Deferred(func, kwargs, job_id or f"{self.message.dedupe_key}:{job_name(func)}"))

    def answer_later(self, reply: dict[str, Any]) -> Reply:
        """Answer through the worker as a customer-service message; the webhook says ``success`` now.

        ``reply`` is ``{"type": "text", "content": ...}`` or ``{"type": "news", "articles": [...]}``;
        use it when the answer needs slow work that must not hold up WeChat's 5 s.
        """
        self.defer(send_deferred_answer, openid=self.openid, reply=reply)
        return Success()


ContextFactory = Callable[..., Context]
