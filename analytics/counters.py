"""Per-day counters in Redis, written inside the message's single finish pipeline (no extra round trip).

Per day (China time, UTC+8, no DST), under the key prefix:
``stats:<day>`` hash of ``<kind>:<label>`` counters (``type:text``, ``event:subscribe``, ``rule:kol``,
``menu:MENU_KOL``, ``search:hit``, ``scene:expo2026``, ``follow:expo2026`` (subscribes from that QR code),
``step:lead:phone`` (a form step reached going forward; ``step:lead:done`` a confirmed form),
``article:weibo-2021``, ``error:1``),
``stats:<day>:unmatched`` sorted set of texts nothing answered (digits and emails masked, never an openid),
``stats:<day>:followers`` HyperLogLog of openids (it keeps hashed registers only; no openid can be read back).

Counters are kept 400 days (year-on-year reports). Unmatched texts are what followers typed, sometimes about
themselves ("I am Zhang Wei from ..."), so they are kept ``unmatched_days`` (default 30: they are deleted at
most that long after they were typed) and at most ``unmatched_cap`` distinct texts per day (default 500,
the rarest dropped first), as the privacy notice in content/messages.yaml says.

Usage::

    analytics = Analytics(Keys("wxbot:"))
    bot.finish_hooks.append(analytics.record)
    report = analytics.report(redis, date(2026, 1, 1), date(2026, 1, 31))
"""
from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import redis as redis_lib

from wechat.redis_conn import Keys

if TYPE_CHECKING:
    from analytics.report import Report
    from wechat.context import Context
    from wechat.replies import Rendered

CHINA = dt.timezone(dt.timedelta(hours=8))   # the account's day; China has no daylight saving time
RETENTION_S = 400 * 86400                      # a year of history plus a margin for year-on-year reports
UNMATCHED_DAYS = 30                            # unmatched texts are deleted this many days after their day began
UNMATCHED_KEPT = 500                           # distinct unmatched texts per day; the rarest are dropped first
UNMATCHED_MAX_CHARS = 60
FOLLOWERS_REMEMBERED = 50_000                  # openids this process already counted today (memory only)
# Both masks run in linear time whatever the text: each run of candidate characters is taken whole
# (possessive) and judged once, so no start position rescans the text (the old patterns backtracked
# over every suffix of a long run: quadratic). An email is a run followed by "@domain.tld".
_EMAIL = re.compile(r"[\w.+-]++(?:@[\w-]++(?:\.[\w-]++)+)?")
_DIGITS = re.compile(r"\+?\d(?:[\s-]*+\d)*+")    # runs of digits; 6+ characters are masked (phones, ids)
DIGITS_MASKED_FROM = 6


def today(now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(CHINA)).astimezone(CHINA).date()


def day_key(keys: Keys, day: dt.date, suffix: str = "") -> str:
    """``stats:<day>`` and its ``:followers`` / ``:unmatched`` companions."""
    return keys("stats", day.isoformat(), *((suffix,) if suffix else ()))


def unmatched_expiry(day: dt.date, days: int) -> int:
    """When ``day``'s unmatched texts are deleted: ``days`` after the day began, so none is kept longer."""
    return int(dt.datetime.combine(day, dt.time.min, CHINA).timestamp()) + days * 86400


def mask(text: str) -> str:
    """A follower's text as it may be stored: no email addresses or long digit runs, bounded length."""
    text = _EMAIL.sub(lambda m: "<email>" if "@" in m.group() else m.group(), " ".join(text.split()))
    text = _DIGITS.sub(lambda m: "<number>" if len(m.group().lstrip("+")) >= DIGITS_MASKED_FROM else m.group(), text)
    return text[:UNMATCHED_MAX_CHARS]


def labels(ctx: "Context") -> list[str]:
    """The counters one message increments, from the message and the outcome its handlers reported."""
    message, outcome = ctx.message, ctx.outcome
    out = [f"event:{message.event}" if message.is_event else f"type:{message.type}"]
    if outcome.rule:
        out.append(f"rule:{outcome.rule}")
    if message.event == "click":
        out.append(f"menu:{message.event_key}")
    if outcome.search in ("hit", "miss", "platform-missing"):   # platform-missing: a platform no article covers
        out.append(f"search:{outcome.search}")
    if outcome.scene:
        out.append(f"scene:{outcome.scene}")
        if message.event == "subscribe":
            out.append(f"follow:{outcome.scene}")     # new followers per QR scene (scene: counts scans too)
    if outcome.step:
        out.append(f"step:{outcome.step}")           # the form funnel: where followers stop answering
    if outcome.flow:
        out.append(f"flow:{outcome.flow}")
    out += [f"article:{a}" for a in dict.fromkeys(outcome.articles)]
    if outcome.error:
        out.append("error:1")
    return out


class Analytics:
    """Counters for one account. ``record`` is the FinishHook; ``report`` reads a date range back."""

    def __init__(self, keys: Keys, clock: Any = None, *, unmatched_days: int = UNMATCHED_DAYS,
                 unmatched_cap: int = UNMATCHED_KEPT):
        self.keys = keys
        self.clock = clock or (lambda: dt.datetime.now(CHINA))
        self.unmatched_days = unmatched_days
        self.unmatched_cap = unmatched_cap
        # Per-process memory so a message costs as little as possible: followers already counted today.
        self._day: dt.date | None = None
        self._day_keys: tuple[str, str, str] = ("", "", "")
        self._unmatched_expires_at = 0
        self._followers_seen: set[str] = set()
        self._expiring: set[str] = set()      # today's keys this process already gave a TTL

    def day_key(self, day: dt.date, suffix: str = "") -> str:
        return day_key(self.keys, day, suffix)

    def record(self, ctx: "Context", rendered: "Rendered", pipe: "redis_lib.client.Pipeline") -> None:
        """FinishHook: add this message's counters to the finish pipeline as plain commands.

        Plain commands, not a script: Redis runs a HINCRBY in about 1 µs, a Lua call costs ten times that.
        """
        day = today(self.clock())
        if day != self._day:
            self._day, self._followers_seen, self._expiring = day, set(), set()
            self._day_keys = (self.day_key(day), self.day_key(day, "followers"), self.day_key(day, "unmatched"))
            self._unmatched_expires_at = unmatched_expiry(day, self.unmatched_days)
        openid = ctx.message.openid
        if openid in self._followers_seen:
            openid = ""
        else:
            if len(self._followers_seen) >= FOLLOWERS_REMEMBERED:
                self._followers_seen.clear()
            self._followers_seen.add(openid)
        text = mask(ctx.message.content) if ctx.outcome.search == "miss" else ""
        counters, followers, unmatched = self._day_keys
        for label in labels(ctx):
            pipe.hincrby(counters, label, 1)
        touched = [counters]
        if openid:
            pipe.pfadd(followers, openid)
            touched.append(followers)
        if text:
            # A hard cap: every write is followed by its trim (a pipelined command, no extra round trip).
            pipe.zincrby(unmatched, 1, text)
            pipe.zremrangebyrank(unmatched, 0, -(self.unmatched_cap + 1))
            if unmatched not in self._expiring:   # the same instant from every process: the day's deadline
                pipe.expireat(unmatched, self._unmatched_expires_at)
                self._expiring.add(unmatched)
        for key in touched:
            if key not in self._expiring:      # once per key, day and process (no NX: Redis 6.2 lacks it)
                pipe.expire(key, RETENTION_S)
                self._expiring.add(key)

    def report(self, redis: redis_lib.Redis, start: dt.date, end: dt.date) -> "Report":
        """Read the counters of ``start``..``end`` (inclusive) back; see ``analytics.report``."""
        from analytics.report import read_report   # report imports this module: a real cycle

        return read_report(redis, self.keys, start, end)
