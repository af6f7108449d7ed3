"""What console pages share, built once per app: settings, Redis, and the same stores the CLI uses.

Usage (in a view)::

    svc = console_services()
    draft = svc.drafts.load(); report = svc.check(draft.bundle)
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property

import redis as redis_lib
from flask import current_app

from config import Settings
from console.audit import AuditLog
from console.drafts import DraftStore
from console.users import UserStore
from library.bundle import Bundle, checksum
from library.checker import Report, check_bundle
from library.needs import ContentNeeds
from library.versions import VersionStore
from wechat.redis_conn import Keys

EXTENSION = "wxbot.console"
KEPT_REPORTS = 4


@dataclass
class ConsoleServices:
    settings: Settings
    redis: redis_lib.Redis
    needs: ContentNeeds
    keys: Keys = field(init=False)
    _reports: dict[str, Report] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.keys = Keys(self.settings.key_prefix)

    @cached_property
    def versions(self) -> VersionStore:
        return VersionStore(self.redis, self.keys)

    @cached_property
    def drafts(self) -> DraftStore:
        return DraftStore(self.redis, self.keys, self.versions)

    @cached_property
    def users(self) -> UserStore:
        return UserStore(self.redis, self.keys)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.redis, self.keys)

    def check(self, bundle: Bundle) -> Report:
        """The content checker ``flask --app app content check`` runs, with the account's needs.

        Reports are kept for the last few bundles (by checksum): every page shows the draft's problems,
        and a full check costs ~0.1 s."""
        digest = checksum(bundle)
        report = self._reports.get(digest)
        if report is None:
            report = check_bundle(bundle, self.needs)
            with self._lock:        # gunicorn threads share this cache
                while len(self._reports) >= KEPT_REPORTS:
                    self._reports.pop(next(iter(self._reports)))
                self._reports[digest] = report
        return report


def console_services() -> ConsoleServices:
    return current_app.extensions[EXTENSION]
