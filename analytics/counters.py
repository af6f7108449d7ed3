"""Per-day counters in Redis, gathered in process and written in one batch per interval, inside a message's
finish pipeline (no extra round trip, no command per message).

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

Each process adds its messages up in memory and writes the sums at most every ``flush_seconds``
(``ANALYTICS_FLUSH_SECONDS``, default 1): the first message after the interval carries the batch in its
finish pipeline (one HINCRBY per distinct counter, one PFADD, one ZINCRBY per distinct text and one trim),
and a graceful exit writes what is left (``flush``, registered with ``atexit`` by the app). What a crash
(SIGKILL, OOM, power) can lose: the counters a process gathered since its last write, at most one interval
of its messages. Only counters are gathered this way; dedupe claims, conversations and leads never are.

Usage::

    analytics = Analytics(Keys("wxbot:"))
    bot.finish_hooks.append(analytics.record)
    report = analytics.report(redis, date(2026, 1, 1), date(2026, 1, 31))
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import redis as redis_lib

from wechat.redis_conn import Keys

if TYPE_CHECKING:
    from analytics.report import Report
    from wechat.context import Context
    from wechat.replies import Rendered

log = logging.getLogger(__name__)

CHINA = dt.timezone(dt.timedelta(hours=8))   # the account's day; China has no daylight saving time
RETENTION_S = 400 * 86400                      # a year of history plus a margin for year-on-year reports
UNMATCHED_DAYS = 30                            # unmatched texts are deleted this many days after their day began
UNMATCHED_KEPT = 500                           # distinct unmatched texts per day; the rarest are dropped first
UNMATCHED_MAX_CHARS = 60
FOLLOWERS_REMEMBERED = 50_000                  # openids this process already counted today (memory only)
FLUSH_SECONDS = 1.0                            # a process writes its gathered counters at most this often
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


def _day_of(unmatched_key: str) -> dt.date:
    """The day in a ``stats:<day>:unmatched`` key (a batch may straddle midnight)."""
    return dt.date.fromisoformat(unmatched_key.rsplit(":", 2)[-2])


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


class Pending:
    """Counters gathered since the last write: sums per hash field, followers, unmatched texts, keys touched."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.followers: dict[str, list[str]] = {}
        self.unmatched: dict[str, Counter[str]] = {}
        self.touched: dict[str, None] = {}        # keys written, in order (each needs its TTL once)

    def __bool__(self) -> bool:
        return bool(self.counts or self.followers or self.unmatched)


class Analytics:
    """Counters for one account. ``record`` is the FinishHook; ``flush`` writes what is left; ``report`` reads back."""

    def __init__(self, keys: Keys, clock: Any = None, *, unmatched_days: int = UNMATCHED_DAYS,
                 unmatched_cap: int = UNMATCHED_KEPT, flush_seconds: float = 0.0,
                 monotonic: Any = time.monotonic):
        self.keys = keys
        self.clock = clock or (lambda: dt.datetime.now(CHINA))
        self.unmatched_days = unmatched_days
        self.unmatched_cap = unmatched_cap
        self.flush_seconds = flush_seconds        # 0: every message writes its own counters
        self.monotonic = monotonic
        # Per-process memory so a message costs as little as possible: followers already counted today.
        self._day: dt.date | None = None
        self._day_keys: tuple[str, str, str] = ("", "", "")
        self._followers_seen: set[str] = set()
        self._expiring: set[str] = set()      # today's keys this process already gave a TTL
        self._pending = Pending()
        self._lock = threading.Lock()         # gthread workers record from several threads
        self._next_write = monotonic() + flush_seconds

    def day_key(self, day: dt.date, suffix: str = "") -> str:
        return day_key(self.keys, day, suffix)

    def record(self, ctx: "Context", rendered: "Rendered", pipe: "redis_lib.client.Pipeline") -> None:
        """FinishHook: add this message's counters to the process's sums; once per interval, put the sums in
        this message's finish pipeline as plain commands (a HINCRBY costs Redis about 1 µs, a Lua call ten)."""
        text = mask(ctx.message.content) if ctx.outcome.search == "miss" else ""
        with self._lock:
            self._gather(ctx, text)
            if self.monotonic() < self._next_write:
                return
            self._next_write = self.monotonic() + self.flush_seconds
            pending, self._pending = self._pending, Pending()
            self._write(pending, pipe)

    def flush(self, redis: redis_lib.Redis) -> int:
        """Write the counters gathered so far in one round trip (at exit; tests); return how many commands."""
        with self._lock:
            pending, self._pending = self._pending, Pending()
            if not pending:
                return 0
            pipe = redis.pipeline(transaction=False)
            self._write(pending, pipe)
        commands = len(pipe.command_stack)
        try:
            pipe.execute()
        except redis_lib.RedisError as exc:
            log.warning("analytics counters not written (%s): %d command(s) lost", type(exc).__name__, commands)
            return 0
        return commands

    def _gather(self, ctx: "Context", text: str) -> None:
        day = today(self.clock())
        if day != self._day:
            self._day, self._followers_seen, self._expiring = day, set(), set()
            self._day_keys = (self.day_key(day), self.day_key(day, "followers"), self.day_key(day, "unmatched"))
        pending = self._pending
        counters, followers, unmatched = self._day_keys
        for label in labels(ctx):
            pending.counts[(counters, label)] += 1
        pending.touched[counters] = None
        openid = ctx.message.openid
        if openid not in self._followers_seen:
            if len(self._followers_seen) >= FOLLOWERS_REMEMBERED:
                self._followers_seen.clear()
            self._followers_seen.add(openid)
            pending.followers.setdefault(followers, []).append(openid)
            pending.touched[followers] = None
        if text:
            pending.unmatched.setdefault(unmatched, Counter())[text] += 1

    def _write(self, pending: Pending, pipe: "redis_lib.client.Pipeline") -> None:
        for (key, label), count in pending.counts.items():
            pipe.hincrby(key, label, count)
        for key, openids in pending.followers.items():
            pipe.pfadd(key, *openids)
        for key, texts in pending.unmatched.items():
            # A hard cap: the batch's writes are followed by one trim (pipelined, no extra round trip).
            for text, count in texts.items():
                pipe.zincrby(key, count, text)
            pipe.zremrangebyrank(key, 0, -(self.unmatched_cap + 1))
            if key not in self._expiring:   # the same instant from every process: the day's deadline
                pipe.expireat(key, unmatched_expiry(_day_of(key), self.unmatched_days))
                self._expiring.add(key)
        for key in pending.touched:
            if key not in self._expiring:      # once per key, day and process (no NX: Redis 6.2 lacks it)
                pipe.expire(key, RETENTION_S)
                self._expiring.add(key)

    def report(self, redis: redis_lib.Redis, start: dt.date, end: dt.date) -> "Report":
        """Read the counters of ``start``..``end`` (inclusive) back; see ``analytics.report``."""
        from analytics.report import read_report   # report imports this module: a real cycle

        return read_report(redis, self.keys, start, end)
