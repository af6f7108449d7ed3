"""The ``from``/``to`` date range the analytics and leads pages read from the query string, in China days."""
from __future__ import annotations

import datetime as dt

from flask import request

from analytics.counters import today

MAX_DAYS = 366


def requested_range(default_days: int) -> tuple[dt.date, dt.date, bool]:
    """(first, last, valid): the requested days, or the last ``default_days`` when absent or invalid (a bad
    date, ``from`` after ``to``, more than a year)."""
    last_default = today()
    fallback = (last_default - dt.timedelta(days=default_days - 1), last_default, False)
    try:
        last = dt.date.fromisoformat(request.args["to"]) if request.args.get("to") else last_default
        first = (dt.date.fromisoformat(request.args["from"]) if request.args.get("from")
                 else last - dt.timedelta(days=default_days - 1))
    except ValueError:
        return fallback
    if first > last or (last - first).days >= MAX_DAYS:
        return fallback
    return first, last, True
