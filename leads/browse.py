"""Leads as the sales pages read them: filtered lists, one lead's delivery story, the audit trail, and the day
range both the CSV export command and the console use, so the two exports are the same rows.

Usage::

    start, end = day_range(date(2026, 3, 1), date(2026, 3, 31), utc_offset=8)
    page = page_of_leads(store, start, end, delivery="failed", source="menu", page=2)   # 50 a page, newest first
    page.leads, page.total, page.pages
    story = lead_story(store, lead_id)          # the lead, its submissions, its audit events (ids only)
    erasure_entries(store)                      # the audit log's erasures (privacy.requests adds their state)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from leads.store import Lead, LeadStore

DELIVERY_STATES = ("pending", "delivered", "failed")
SOURCE_KINDS = ("menu", "keyword", "scene", "unknown")
PAGE_SIZE = 50
SCAN_MAX = 20_000        # a filtered list reads at most this many index entries of the range (see page_of_leads)
SCAN_BATCH = 500


def day_range(first: date, last: date, utc_offset: float = 8.0) -> tuple[float, float, timezone]:
    """[start, end) timestamps of the days ``first``..``last`` counted in UTC+``utc_offset`` (China: 8)."""
    if last < first:
        raise ValueError("the last day is before the first")
    tz = timezone(timedelta(hours=utc_offset))
    start = datetime.combine(first, datetime.min.time(), tz)
    end = datetime.combine(last, datetime.min.time(), tz) + timedelta(days=1)
    return start.timestamp(), end.timestamp(), tz


def source_kind(lead: Lead) -> str:
    return str((lead.data.get("source") or {}).get("kind") or "unknown")


def matches(lead: Lead, delivery: str = "", source: str = "") -> bool:
    """The list's and the CSV export's filter: one delivery state and/or one source kind ("" is any)."""
    return (not delivery or lead.delivery == delivery) and (not source or source_kind(lead) == source)


def find_leads(store: LeadStore, start: float, end: float, *, delivery: str = "", source: str = "") -> list[Lead]:
    """Every active lead created in [start, end) that matches, newest first (reads them all: small ranges only)."""
    found = [lead for lead in store.created_between(start, end) if matches(lead, delivery, source)]
    found.reverse()
    return found


@dataclass(frozen=True)
class LeadPage:
    leads: list[Lead]
    total: int              # matching leads in the range; with ``capped``, among the newest SCAN_MAX only
    page: int               # 1-based, clamped to the last page
    page_size: int = PAGE_SIZE
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_of_leads(store: LeadStore, start: float, end: float, *, delivery: str = "", source: str = "",
                  page: int = 1, page_size: int = PAGE_SIZE) -> LeadPage:
    """One page of the leads created in [start, end), newest first, and how many match in all.

    Unfiltered, it costs a ZCOUNT and one ZREVRANGEBYSCORE ... LIMIT on the date index plus the page's own
    leads, whatever the range holds. The store keeps no index by delivery state or source, so a filtered list
    scans the range's ids newest first in batches of SCAN_BATCH, reading three hash fields per lead in one
    pipelined round trip per batch, and stops after SCAN_MAX ids (``capped`` then says the total is a floor);
    only the page's leads are read whole. A year of a B2B account's leads is far below SCAN_MAX.
    """
    page = max(1, page)
    if not delivery and not source:
        total = store.count_created(start, end)
        page = min(page, max(1, -(-total // page_size)))
        ids = store.ids_created(start, end, (page - 1) * page_size, page_size)
        return LeadPage(store.leads(ids), total, page, page_size)
    matched: list[str] = []
    scanned, capped = 0, False
    while True:
        if scanned >= SCAN_MAX:
            capped = store.count_created(start, end) > scanned
            break
        wanted = min(SCAN_BATCH, SCAN_MAX - scanned)
        batch = store.ids_created(start, end, scanned, wanted)
        for lead_id, (state, state_of_delivery, kind) in zip(batch, store.delivery_and_source(batch)):
            if state == "active" and delivery in ("", state_of_delivery) and source in ("", kind):
                matched.append(lead_id)
        scanned += len(batch)
        if len(batch) < wanted:
            break
    page = min(page, max(1, -(-len(matched) // page_size)))
    ids = matched[(page - 1) * page_size: page * page_size]
    return LeadPage(store.leads(ids), len(matched), page, page_size, capped)


@dataclass(frozen=True)
class LeadStory:
    lead: Lead
    submissions: list[dict[str, Any]] = field(default_factory=list)   # each revision as submitted
    events: list[dict[str, str]] = field(default_factory=list)        # audit events naming this lead, oldest first
    dead: bool = False


def lead_story(store: LeadStore, lead_id: str) -> LeadStory | None:
    lead = store.get(lead_id)
    if lead is None:
        return None
    events = [e for e in store.audit_entries() if e.get("lead") == lead_id
              or lead_id in (e.get("lead_ids") or "").split(",")]
    events.reverse()
    dead = any(dead_id == lead_id for dead_id, _ in store.dead())
    return LeadStory(lead, store.history(lead_id), events, dead)


def erasure_entries(store: LeadStore, count: int = 200) -> list[dict[str, str]]:
    """Audit entries of erasures (``data.erased``): channel, how many leads, their ids, when. No personal data."""
    return [e for e in store.audit_entries(count * 5) if e.get("event") == "data.erased"][:count]
