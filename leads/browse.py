"""Leads as the sales pages read them: filtered lists, one lead's delivery story, the audit trail, and the day
range both the CSV export command and the console use, so the two exports are the same rows.

Usage::

    start, end = day_range(date(2026, 3, 1), date(2026, 3, 31), utc_offset=8)
    rows = find_leads(store, start, end, delivery="failed", source="menu")
    story = lead_story(store, lead_id)          # the lead, its submissions, its audit events (ids only)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from leads.store import Lead, LeadStore

DELIVERY_STATES = ("pending", "delivered", "failed")
SOURCE_KINDS = ("menu", "keyword", "scene", "unknown")
LIST_MAX = 500           # a page shows at most this many; the CSV export has every row


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


def find_leads(store: LeadStore, start: float, end: float, *, delivery: str = "", source: str = "",
               limit: int = LIST_MAX) -> list[Lead]:
    """Active leads created in [start, end), newest first, optionally of one delivery state and source kind."""
    found = [lead for lead in store.created_between(start, end)
             if (not delivery or lead.delivery == delivery) and (not source or source_kind(lead) == source)]
    found.reverse()
    return found[:limit]


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


def erasure_requests(store: LeadStore, count: int = 200) -> list[dict[str, str]]:
    """Audit entries of erasures (``data.erased``): channel, how many leads, their ids, when. No personal data."""
    return [e for e in store.audit_entries(count * 5) if e.get("event") == "data.erased"][:count]
