"""CSV export of leads for sales: UTF-8 with BOM so Excel shows Chinese correctly; the only place with phone/email.

Every time is written in one timezone, named in the header (``created_at (UTC+08:00)``), the one the
export's days are counted in.

Usage::

    count = write_csv(store, start_ts, end_ts, "leads.csv", tz=CHINA)
"""
from __future__ import annotations

import csv
from datetime import datetime, timezone, tzinfo
from typing import IO, Any

from leads.browse import matches
from leads.store import Lead, LeadStore

COLUMNS = ("lead_id", "revision", "created_at", "updated_at", "name", "company", "role", "phone", "email",
           "need", "need_label", "language", "source_kind", "source_key", "source_scene", "articles_read",
           "consent_version", "consent_given_at", "delivery")
TIME_COLUMNS = {"created_at", "updated_at", "consent_given_at"}
CONSENT_TIME = "%Y-%m-%dT%H:%M:%SZ"     # how the lead flow stores when consent was given (UTC)
# Excel runs a cell starting with one of these as a formula (CSV injection); a leading ' keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _when(ts: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def _consent_when(value: Any, tz: tzinfo) -> str:
    """The stored UTC consent time in the export's timezone; anything unreadable as it was stored."""
    try:
        return _when(datetime.strptime(str(value), CONSENT_TIME).replace(tzinfo=timezone.utc).timestamp(), tz)
    except ValueError:
        return "" if value is None else str(value)


def header(tz: tzinfo) -> list[str]:
    """The column names, each time column naming the timezone it is written in, e.g. ``created_at (UTC+08:00)``."""
    zone = datetime.now(tz).tzname() or "UTC"
    return [f"{name} ({zone})" if name in TIME_COLUMNS else name for name in COLUMNS]


def row(lead: Lead, tz: tzinfo = timezone.utc) -> list[str]:
    data = lead.data
    source = data.get("source") or {}
    consent = data.get("consent") or {}
    values = [lead.lead_id, lead.revision, _when(lead.created_at, tz), _when(lead.updated_at, tz),
              data.get("name"), data.get("company"), data.get("role"), data.get("phone"), data.get("email"),
              data.get("need"), data.get("need_label"), data.get("lang"), source.get("kind"), source.get("key"),
              source.get("scene"), " ".join(source.get("read") or []), consent.get("version"),
              _consent_when(consent.get("given_at"), tz), lead.delivery]
    return [_cell(v) for v in values]


def write_rows(store: LeadStore, start: float, end: float, out: IO[str], tz: tzinfo = timezone.utc, *,
               delivery: str = "", source: str = "") -> int:
    """Write the header and one row per lead created in [start, end) (of one delivery state and/or source kind
    when given: ``leads.browse.matches``); returns the number of leads."""
    writer = csv.writer(out, dialect="excel")
    writer.writerow(header(tz))
    count = 0
    for lead in store.created_between(start, end):
        if not matches(lead, delivery, source):
            continue
        writer.writerow(row(lead, tz))
        count += 1
    return count


def write_csv(store: LeadStore, start: float, end: float, path: str, tz: tzinfo = timezone.utc, *,
              delivery: str = "", source: str = "") -> int:
    # utf-8-sig writes the BOM Excel needs to read UTF-8; newline="" lets csv write Excel's \r\n itself.
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        return write_rows(store, start, end, fh, tz, delivery=delivery, source=source)
