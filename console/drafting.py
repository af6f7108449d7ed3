"""The draft as pages show it: the draft, its checker report, and what it changes against the live version.

Usage::

    state = draft_state(console_services())
    state.report.errors; state.changed  # (added, removed, modified) paths; state.dirty
    state = save_changes(svc, {"articles/zh/x.md": text}, rev=form_rev, author=user)   # raises StaleDraft
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from console.drafts import Draft
from console.services import ConsoleServices
from library.bundle import Bundle, changed_paths
from library.checker import Report


@dataclass(frozen=True)
class DraftState:
    draft: Draft
    report: Report
    live_number: int
    live: Bundle

    @property
    def changed(self) -> tuple[list[str], list[str], list[str]]:
        return changed_paths(self.live, self.draft.bundle)

    @property
    def dirty(self) -> bool:
        return any(self.changed)

    @property
    def behind(self) -> bool:
        """The live version moved (publish or rollback by someone) since this draft started."""
        return self.draft.base != self.live_number


def draft_state(svc: ConsoleServices) -> DraftState:
    draft = svc.drafts.load()
    live_number = svc.versions.current_number() or 0
    live = (svc.versions.bundle(live_number) if live_number else None) or {}
    return DraftState(draft, svc.check(draft.bundle), live_number, live)


def save_changes(svc: ConsoleServices, changes: Mapping[str, str | None], *, rev: int, author: str) -> DraftState:
    """Save into the draft (``StaleDraft`` if ``rev`` is old), audit it, and check the result."""
    draft = svc.drafts.save(changes, rev=rev, author=author)
    svc.audit.record(author, "draft.save", ", ".join(sorted(changes)))
    live_number = svc.versions.current_number() or 0
    live = (svc.versions.bundle(live_number) if live_number else None) or {}
    return DraftState(draft, svc.check(draft.bundle), live_number, live)
