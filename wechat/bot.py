"""Steps 3 to 5 of a message's life: claim, dispatch, persist. The webhook does verify, parse and respond.

Usage::

    bot = Bot(settings, redis, router, library)
    body = bot.handle(message)        # plaintext reply XML or "success"; never raises
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import redis as redis_lib

from config import Settings
from library import ContentLibrary
from wechat.context import Context, SideEffect
from wechat.crypto import SafeModeBox
from wechat.messages import Message
from wechat.redis_conn import Breaker, Keys
from wechat.replies import Rendered, Text, render
from wechat.router import Router
from wechat.store import Claim, ConversationStore

log = logging.getLogger(__name__)

Enqueue = Callable[[list[SideEffect]], None]
# Runs inside the single "finish" round trip: add counters and the like to the pipeline.
FinishHook = Callable[[Context, Rendered, "redis_lib.client.Pipeline"], None]


class Bot:
    def __init__(self, settings: Settings, redis: redis_lib.Redis, router: Router, library: ContentLibrary,
                 *, enqueue: Enqueue | None = None, services: dict[str, Any] | None = None):
        self.settings = settings
        self.redis = redis
        self.router = router
        self.library = library
        self.keys = Keys(settings.key_prefix)
        self.breaker = Breaker()
        self.store = ConversationStore(redis, self.keys, dedupe_ttl=settings.dedupe_ttl,
                                       session_ttl=settings.session_ttl,
                                       content_version_key=self.keys.content_current(), breaker=self.breaker)
        self.box = (SafeModeBox(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
                    if settings.safe_mode_enabled else None)
        self.enqueue = enqueue
        self.finish_hooks: list[FinishHook] = []
        self.services: dict[str, Any] = services or {}
        self.flows: Any = None   # the flow engine (lead capture); set by create_app

    def handle(self, message: Message) -> str:
        """Answer ``message`` exactly once across retries, processes and hosts; return the reply body."""
        claim = self.store.claim(message.dedupe_key, message.openid)
        if claim.duplicate:
            cached = self.store.wait_for_reply(message.dedupe_key, claim.cached)
            return cached.decode("utf-8") if cached else "success"
        content = self.library.current(claim.content_version)
        ctx = Context(message, dict(claim.conversation), content, self, redis_ok=claim.redis_ok)
        try:
            reply = self.router.dispatch(ctx)
            rendered = render(reply, message, more_hint=ctx.text("more_hint"))
            if rendered.overflow:
                ctx.session["more"] = rendered.overflow
            elif reply is not None and ctx.notes.get("route") != "send_more":
                ctx.session.pop("more", None)
            self._enqueue(ctx.effects)
        except Exception:
            # Caught once, here: the follower gets a polite text, never WeChat's "service unavailable".
            log.exception("handler failed (msg %s, type %s)", message.msg_id or "-", message.type)
            ctx.session = dict(claim.conversation)   # a half-run handler must not leave half a state change
            ctx.notes["error"] = True
            rendered = render(Text(content.message("busy", ctx.lang)), message)
        self._finish(claim, ctx, rendered)
        return rendered.body

    def _enqueue(self, effects: list[SideEffect]) -> None:
        if not effects:
            return
        if self.enqueue is None:
            log.error("no job queue configured; dropping %d side effect(s)", len(effects))
            return
        self.enqueue(effects)

    def _finish(self, claim: Claim, ctx: Context, rendered: Rendered) -> None:
        def extra(pipe: "redis_lib.client.Pipeline") -> None:
            for hook in self.finish_hooks:
                try:
                    hook(ctx, rendered, pipe)
                except Exception:  # analytics must never cost the follower their reply
                    log.exception("finish hook %s failed", getattr(hook, "__name__", hook))
        self.store.finish(claim, rendered.body, ctx.session, extra if self.finish_hooks else None)

    def health(self) -> dict[str, Any]:
        """Redis reachability and the live content version, for /healthz."""
        try:
            redis_ok = bool(self.redis.ping())
            self.breaker.reset()
        except redis_lib.RedisError:
            redis_ok = False
        return {"status": "ok" if redis_ok else "degraded", "redis": redis_ok,
                "content_version": self.library.version}
