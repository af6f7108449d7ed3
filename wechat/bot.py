"""Steps 3 to 5 of a message's life: claim, dispatch, persist. The webhook does verify, parse and respond.

Usage::

    bot = Bot(settings, redis, router, library, make_context=Context, flows=engine,
              enqueue=JobQueue(redis, settings).put, finish_hooks=[analytics.record])
    body = bot.handle(message)        # plaintext reply XML or "success"; never raises
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Protocol, Sequence

import redis as redis_lib

from config import Settings
from wechat.context import Context, ContextFactory, Messages
from wechat.conversation import Conversation
from wechat.crypto import SafeModeBox
from wechat.flow import FlowEngine
from wechat.jobs.enqueue import Deferred
from wechat.messages import Message
from wechat.redis_conn import Breaker, Keys
from wechat.replies import Rendered, Text, render
from wechat.router import Router
from wechat.store import Claim, ConversationStore

log = logging.getLogger(__name__)

Enqueue = Callable[[Sequence[Deferred]], None]
# Runs inside the single "finish" round trip: add counters and the like to the pipeline.
FinishHook = Callable[[Context, Rendered, "redis_lib.client.Pipeline"], None]


class ContentSource(Protocol):
    """Where the live content comes from (``library.live.ContentLibrary``): the version the claim saw."""

    @property
    def version(self) -> int: ...

    def current(self, version_hint: int | None = None) -> Messages: ...


class Bot:
    def __init__(self, settings: Settings, redis: redis_lib.Redis, router: Router, library: ContentSource, *,
                 make_context: ContextFactory = Context, flows: FlowEngine | None = None,
                 enqueue: Enqueue | None = None, finish_hooks: Sequence[FinishHook] = ()):
        self.settings = settings
        self.redis = redis
        self.router = router
        self.library = library
        self.make_context = make_context
        self.flows = flows
        self.enqueue = enqueue
        self.finish_hooks = tuple(finish_hooks)
        self.keys = Keys(settings.key_prefix)
        self.breaker = Breaker()
        self.store = ConversationStore(redis, self.keys, dedupe_ttl=settings.dedupe_ttl,
                                       session_ttl=settings.session_ttl, breaker=self.breaker)
        self.box = (SafeModeBox(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
                    if settings.safe_mode_enabled else None)

    def handle(self, message: Message) -> str:
        """Answer ``message`` exactly once across retries, processes and hosts; return the reply body."""
        claim = self.store.claim(message.dedupe_key, message.openid)
        if claim.duplicate:
            cached = self.store.wait_for_reply(message.dedupe_key, claim.cached)
            return cached.decode("utf-8") if cached else "success"
        content = self.library.current(claim.content_version)
        ctx = self.make_context(message=message, conversation=Conversation.load(claim.conversation_raw),
                                content=content, flows=self.flows, redis_ok=claim.redis_ok)
        try:
            reply = self.router.dispatch(ctx)
            rendered = render(reply, message, more_hint=ctx.text("more_hint"))
            if rendered.overflow:
                ctx.conversation.more = rendered.overflow
            elif reply is not None:
                ctx.conversation.more = ""
        except Exception:
            # Caught once, here: the follower gets a polite text, never WeChat's "service unavailable".
            log.exception("handler failed (msg %s, type %s)", message.msg_id or "-", message.type)
            ctx.conversation = Conversation.load(claim.conversation_raw)   # no half-made state change is kept
            ctx.outcome.error = True
            rendered = render(Text(content.message("busy", ctx.lang)), message)
            ctx.deferred.clear()
        self._enqueue(message, ctx.deferred)
        self._finish(claim, ctx, rendered)
        return rendered.body

    def _enqueue(self, message: Message, deferred: list[Deferred]) -> None:
        """Queue the handler's jobs. A failure keeps the reply: what the handler did (a stored lead, an erasure)
        has happened, and undoing the conversation would be worse; lead deliveries are re-queued by the
        worker's reconciler."""
        if not deferred:
            return
        if self.enqueue is None:
            log.error("no job queue configured; dropping %d deferred job(s)", len(deferred))
            return
        try:
            self.enqueue(deferred)
        except Exception:
            log.exception("could not queue %d job(s) of msg %s", len(deferred), message.msg_id or "-")

    def _finish(self, claim: Claim, ctx: Context, rendered: Rendered) -> None:
        def extra(pipe: "redis_lib.client.Pipeline") -> None:
            for hook in self.finish_hooks:
                try:
                    hook(ctx, rendered, pipe)
                except Exception:  # analytics must never cost the follower their reply
                    log.exception("finish hook %s failed", getattr(hook, "__name__", hook))
        self.store.finish(claim, rendered.body, ctx.conversation.dump(), extra if self.finish_hooks else None)

    def health(self) -> dict[str, Any]:
        """Redis reachability and the live content version, for /healthz."""
        try:
            redis_ok = bool(self.redis.ping())
            self.breaker.reset()
        except redis_lib.RedisError:
            redis_ok = False
        return {"status": "ok" if redis_ok else "degraded", "redis": redis_ok,
                "content_version": self.library.version}
