"""Publish and roll back content: check first, then store and switch atomically; invalid content never goes live.

Used by the CLI and meant for the web console too.

Usage::

    number = publish(store, read_dir("content"), needs, author="mei", message="new KOL article")
    rollback(store, 3, needs, author="mei")

``needs`` is what the running code asks of content (``library.needs``), so a version it cannot serve is
refused here rather than skipped by every worker.
"""
from __future__ import annotations

from library.bundle import Bundle, checksum, summarize_changes
from library.checker import check_bundle
from library.compiled import build_content
from library.issues import ContentInvalid
from library.needs import ContentNeeds
from library.versions import VersionStore


class NothingToPublish(ValueError):
    """The bundle is exactly the live version."""


def publish(store: VersionStore, bundle: Bundle, needs: ContentNeeds, *, author: str, message: str = "",
            force: bool = False) -> int:
    """Check ``bundle`` and make it the next live version; return its number.

    Raises ``ContentInvalid`` (nothing stored) or ``NothingToPublish`` (unless ``force``).
    """
    report = check_bundle(bundle, needs)
    if not report.ok:
        raise ContentInvalid(report.issues)
    build_content(report.tree, version=0)          # compiling (matcher, regexes) must succeed too
    live_number = store.current_number()
    live = store.bundle(live_number) if live_number is not None else {}
    if live_number is not None and checksum(live or {}) == checksum(bundle) and not force:
        raise NothingToPublish(f"content is identical to the live version {live_number}")
    changes = summarize_changes(live or {}, bundle)
    summary = f"{message.strip()} ({changes})" if message.strip() else changes
    return store.publish(bundle, author=author, summary=summary)


def rollback(store: VersionStore, number: int, needs: ContentNeeds, *, author: str) -> None:
    """Make version ``number`` live again, if this code can still serve it."""
    bundle = store.bundle(number)
    if bundle is None:
        raise KeyError(f"no content version {number}")
    report = check_bundle(bundle, needs)
    if not report.ok:
        raise ContentInvalid(report.issues)
    store.rollback(number, author=author)
