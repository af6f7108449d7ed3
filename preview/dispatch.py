"""Run a message through the real bot (``wechat.bot.Bot`` with the app's own routers and flows) against a
draft content version, touching nothing a live follower, analytics or the CRM could see.

Why a second ``Bot`` and not a re-implementation: marketers must see exactly what followers will get, so the
preview reuses the app's router (``app.extensions["wxbot"].router``), its flows and ``Bot.handle``; only the
services with side effects are swapped:

- conversations live under ``<prefix>preview:`` with a short TTL (``PREVIEW_TTL_S``), never a follower's key;
- no finish hooks: analytics counters, expiry markers and delivery results are not written;
- the lead intake stores nothing and the erasure erases nothing (a preview follower has no leads);
- deferred jobs (CRM delivery, alerts) are collected and shown, never queued.

Usage::

    preview = Preview(app_bot, content, session="a1b2")    # content: a compiled draft (library.compiled)
    exchange = preview.send(text="咨询")                     # -> Exchange(replies, outcome, jobs)
    preview.send(event="subscribe", key="qrscene_expo2026")
"""
from __future__ import annotations

import functools
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from handlers.context import Context, promised_periods
from leads.store import Capture
from library.compiled import Content
from preview.bubbles import Bubble, bubbles
from wechat.bot import Bot
from wechat.context import Outcome
from wechat.conversation import Conversation
from wechat.flow import FlowEngine
from wechat.jobs.enqueue import Deferred, job_name
from wechat.messages import Message, message_from_fields
from wechat.redis_conn import Keys
from wechat.replies import Reply

PREVIEW_TTL_S = 600          # a preview conversation is forgotten 10 minutes after its last message
PREVIEW_DEDUPE_TTL_S = 30    # the shortest retry window the store accepts; preview messages are never retried
PREVIEW_ACCOUNT = "gh_preview"
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_msg_ids = itertools.count(int(time.time() * 1000))
_msg_lock = threading.Lock()


class PreviewError(ValueError):
    """A preview request that cannot be run (unknown message kind, bad session id)."""


@dataclass(frozen=True)
class Exchange:
    """One preview message and what the bot did with it."""

    replies: list[Bubble]
    outcome: Outcome
    jobs: list[str]                      # deferred jobs the live bot would queue (names only)
    reply: Reply | None = None           # what the handler returned, before WeChat's limits were applied
    leads_withheld: int = 0              # confirmed lead forms that the live bot would have stored


class _DraftSource:
    """The ``ContentSource`` the preview bot serves: always the draft, whatever version the claim saw."""

    def __init__(self, content: Content):
        self.content = content

    @property
    def version(self) -> int:
        return self.content.version

    def current(self, version_hint: int | None = None) -> Content:
        return self.content


class _WithheldLeads:
    """Stands in for ``leads.intake.LeadIntake``: a confirmed form is counted, never stored."""

    def __init__(self) -> None:
        self.withheld = 0

    def capture(self, openid: str, run_id: str, data: dict[str, Any]) -> Capture:
        self.withheld += 1
        return Capture(lead_id=f"preview-{run_id}", revision=1, outcome="created")


class _NoErasure:
    """Stands in for ``privacy.erasure.Erasure``: a preview follower has nothing stored to erase."""

    def erase(self, openid: str) -> list[str]:
        return []


@dataclass
class _Recorder:
    """Wraps the app's router to keep what the real dispatch returned and the context it filled in."""

    router: Any
    ctx: Any = None
    reply: Reply | None = None

    def dispatch(self, ctx: Any) -> Reply | None:
        self.ctx = ctx
        self.reply = self.router.dispatch(ctx)
        return self.reply


@dataclass
class _Jobs:
    names: list[str] = field(default_factory=list)

    def __call__(self, deferred: list[Deferred]) -> None:
        self.names.extend(job_name(job.func) for job in deferred)


def preview_keys(live: Keys) -> Keys:
    return Keys(f"{live.prefix}preview:")


def preview_message(openid: str, *, text: str = "", event: str = "", key: str = "") -> Message:
    """The message WeChat would send for typing ``text`` or for ``event`` (click, subscribe, scan) with ``key``."""
    with _msg_lock:
        msg_id = str(next(_msg_ids))
    fields = {"ToUserName": PREVIEW_ACCOUNT, "FromUserName": openid, "CreateTime": str(int(time.time()))}
    if event:
        event = event.lower()
        if event not in ("click", "view", "subscribe", "scan", "unsubscribe"):
            raise PreviewError(f"unknown event {event!r}")
        # Events are deduplicated by openid+CreateTime+event+key: a unique CreateTime keeps two taps apart.
        fields.update(MsgType="event", Event=event, EventKey=key, CreateTime=msg_id)
    else:
        fields.update(MsgType="text", Content=text, MsgId=msg_id)
    return message_from_fields(fields)


class Preview:
    """A preview conversation with one (fake) follower, ``session``, against ``content``."""

    def __init__(self, live_bot: Bot, content: Content, session: str, *, lang: str = ""):
        if not _SESSION.match(session):
            raise PreviewError("session id must be 1-64 letters, digits, - or _")
        self.live_bot = live_bot
        self.content = content
        self.openid = f"preview-{session}"
        self.settings = live_bot.settings.model_copy(update={
            "key_prefix": preview_keys(live_bot.keys).prefix, "session_ttl": PREVIEW_TTL_S,
            "dedupe_ttl": PREVIEW_DEDUPE_TTL_S})
        self.keys = Keys(self.settings.key_prefix)

    def _flows(self) -> FlowEngine | None:
        if self.live_bot.flows is None:
            return None
        engine = FlowEngine(redis=self.live_bot.redis, keys=self.keys, session_ttl=PREVIEW_TTL_S)
        for flow in self.live_bot.flows.flows.values():
            engine.register(flow)
        return engine

    def send(self, *, text: str = "", event: str = "", key: str = "") -> Exchange:
        """Run one message through ``Bot.handle`` with preview-only services; return what the follower sees."""
        message = preview_message(self.openid, text=text, event=event, key=key)
        recorder = _Recorder(self.live_bot.router)
        jobs = _Jobs()
        intake = _WithheldLeads()
        make_context = functools.partial(Context, leads=intake, privacy=_NoErasure(),
                                         **promised_periods(self.live_bot.settings))
        bot = Bot(self.settings, self.live_bot.redis, recorder, _DraftSource(self.content),
                  make_context=make_context, flows=self._flows(), enqueue=jobs, finish_hooks=())
        body = bot.handle(message)
        bot.store.pipe.flush()     # the next preview message must find this one's conversation saved
        outcome = recorder.ctx.outcome if recorder.ctx is not None else Outcome()
        return Exchange(bubbles(body, message), outcome, jobs.names, recorder.reply, intake.withheld)

    def reset(self) -> None:
        """Forget this preview conversation (start again as a new follower)."""
        self.live_bot.redis.delete(self.keys.conv(self.openid), self.keys("flowmark", self.openid))

    def state(self) -> str:
        """The open flow's readable state (``lead:phone``) of this preview conversation, "" when none."""
        return Conversation.load(self.live_bot.redis.get(self.keys.conv(self.openid))).state
