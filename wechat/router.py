"""Ordered routes: the first handler that returns a reply wins; returning None passes to the next route.

Usage::

    router = Router("menu")

    @router.click("MENU_CONTACT")
    def start_lead(ctx): return Text(...)

    router.click("MENU_ABOUT")(reply_about)     # decorators also work as plain calls
    root = Router("root"); root.include(router)  # include order is priority
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterator

from wechat.context import Context
from wechat.replies import Reply

log = logging.getLogger(__name__)

Handler = Callable[[Context], Reply | None]
Matcher = Callable[[Context], bool]


@dataclass(frozen=True)
class Route:
    name: str
    matches: Matcher
    handler: Handler


class Router:
    def __init__(self, name: str = ""):
        self.name = name
        self._entries: list[Route | Router] = []
        self._flat: tuple[Route, ...] | None = None   # routes() flattened once, on first dispatch

    # -- registration --------------------------------------------------------------------------
    def route(self, matcher: Matcher, name: str = "") -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._entries.append(Route(name or handler.__name__, matcher, handler))
            self._flat = None
            return handler
        return register

    def message(self, *types: str) -> Callable[[Handler], Handler]:
        """Follower messages of the given MsgTypes (all of them when none is given)."""
        wanted = frozenset(types)
        return self.route(lambda ctx: ctx.message.from_follower and (not wanted or ctx.message.type in wanted))

    def event(self, *events: str) -> Callable[[Handler], Handler]:
        wanted = frozenset(e.lower() for e in events)
        return self.route(lambda ctx: ctx.message.is_event and ctx.message.event in wanted)

    def click(self, *keys: str) -> Callable[[Handler], Handler]:
        """Menu CLICK events for the given keys (any key when none is given)."""
        wanted = frozenset(keys)
        return self.route(lambda ctx: ctx.message.event == "click" and (not wanted or ctx.message.event_key in wanted))

    def text(self, *words: str) -> Callable[[Handler], Handler]:
        """Text (or transcribed voice) equal to one of ``words``, ignoring case and surrounding space."""
        wanted = frozenset(w.casefold() for w in words)
        return self.route(lambda ctx: ctx.message.from_follower and ctx.message.content.strip().casefold() in wanted)

    def always(self) -> Callable[[Handler], Handler]:
        return self.route(lambda ctx: True)

    def include(self, other: "Router") -> "Router":
        self._entries.append(other)
        self._flat = None
        return self

    # -- dispatch ------------------------------------------------------------------------------
    def routes(self) -> Iterator[Route]:
        for entry in self._entries:
            if isinstance(entry, Router):
                yield from entry.routes()
            else:
                yield entry

    def dispatch(self, ctx: Context) -> Reply | None:
        if self._flat is None:   # routes register at import and app start, before the first message
            self._flat = tuple(self.routes())
        for route in self._flat:
            if route.matches(ctx):
                reply = route.handler(ctx)
                if reply is not None:
                    ctx.outcome.route = route.name
                    return reply
        return None
