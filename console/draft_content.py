"""The draft compiled for serving (``library.compiled.Content``), for the pages that run it: preview, "which
rule answers this?", the menu phone frame. Compiled once per draft text (checksum) and process, since a
compile runs the whole checker.

Usage::

    content, report = draft_content(svc)     # content is None while the checker reports errors
    live_bot()                               # the app's Bot: its routers and flows drive the preview
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app

from console.services import ConsoleServices
from library.bundle import checksum
from library.checker import Report
from library.compiled import Content, build_content
from wechat.bot import Bot

_CACHE_SIZE = 4
_cache: "OrderedDict[str, Content]" = OrderedDict()
_lock = threading.Lock()


def draft_content(svc: ConsoleServices) -> tuple[Content | None, Report]:
    draft = svc.drafts.load()
    report = svc.check(draft.bundle)
    if not report.ok:
        return None, report
    key = checksum(draft.bundle)
    with _lock:
        content = _cache.get(key)
        if content is not None:
            _cache.move_to_end(key)
            return content, report
    content = build_content(report.tree, version=0)     # version 0: a draft, never a published number
    with _lock:
        _cache[key] = content
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return content, report


def live_bot() -> Bot:
    return current_app.extensions["wxbot"]
