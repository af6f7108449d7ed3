"""Read the per-day counters back over a date range: what followers sent, what answered, what did not.

Usage::

    report = read_report(redis, Keys("wxbot:"), date(2026, 1, 1), date(2026, 1, 31))
    print("\n".join(report.lines()))
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

import redis as redis_lib

from analytics.counters import day_key
from wechat.redis_conn import Keys


def read_report(redis: redis_lib.Redis, keys: Keys, start: dt.date, end: dt.date) -> "Report":
    """Counters, unmatched questions and unique followers of ``start``..``end`` (inclusive, China days)."""
    days = list(_days(start, end))
    pipe = redis.pipeline(transaction=False)
    for day in days:
        pipe.hgetall(day_key(keys, day))
        pipe.zrange(day_key(keys, day, "unmatched"), 0, -1, withscores=True)
    raw = pipe.execute()
    counters: Counter[str] = Counter()
    unmatched: Counter[str] = Counter()
    per_day: dict[str, int] = {}
    counts_by_day: dict[str, Counter[str]] = {}
    for day, hashed, ranked in zip(days, raw[0::2], raw[1::2], strict=True):
        day_total = 0
        today_counts: Counter[str] = Counter()
        for name, value in hashed.items():
            label = name.decode("utf-8")
            today_counts[label] = int(value)
            if label.startswith(("type:", "event:")):
                day_total += int(value)
        counters.update(today_counts)
        counts_by_day[day.isoformat()] = today_counts
        per_day[day.isoformat()] = day_total
        for text, score in ranked:
            unmatched[text.decode("utf-8")] += int(score)
    follower_keys = [day_key(keys, day, "followers") for day in days]
    pipe = redis.pipeline(transaction=False)
    for key in follower_keys:
        pipe.pfcount(key)
    pipe.pfcount(*follower_keys)       # the union: a follower active on several days counts once
    *daily, unique = pipe.execute()
    followers_per_day = {day.isoformat(): int(n) for day, n in zip(days, daily, strict=True)}
    return Report(start, end, counters, unmatched, int(unique), per_day, followers_per_day, counts_by_day)


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


@dataclass
class Report:
    start: dt.date
    end: dt.date
    counters: Counter[str] = field(default_factory=Counter)
    unmatched: Counter[str] = field(default_factory=Counter)
    unique_followers: int = 0
    messages_per_day: dict[str, int] = field(default_factory=dict)
    followers_per_day: dict[str, int] = field(default_factory=dict)
    daily: dict[str, Counter[str]] = field(default_factory=dict)     # each day's counters, for charts

    def group(self, kind: str) -> Counter[str]:
        """Counters of one kind without the prefix, e.g. ``group("rule")`` -> {"kol": 12}."""
        prefix = kind + ":"
        return Counter({k[len(prefix):]: v for k, v in self.counters.items() if k.startswith(prefix)})

    def lines(self, top: int = 10) -> list[str]:
        out = [f"Analytics {self.start.isoformat()} to {self.end.isoformat()}",
               f"unique followers: {self.unique_followers}"]
        messages = self.group("type") + Counter({f"event:{k}": v for k, v in self.group("event").items()})
        out.append(f"messages and events: {sum(messages.values())}")
        out += [f"  {name:<28} {count}" for name, count in messages.most_common()]
        search = self.group("search")
        total = search["hit"] + search["miss"]
        rate = f" ({100 * search['hit'] / total:.0f}% found)" if total else ""
        out.append(f"search: {search['hit']} hits, {search['miss']} misses{rate}")
        for title, kind in (("top rules", "rule"), ("menu clicks", "menu"), ("articles sent", "article"),
                            ("QR scenes", "scene"), ("new followers by QR scene", "follow"),
                            ("flows started", "flow"), ("form steps reached", "step")):
            group = self.group(kind)
            if group:
                out.append(f"{title}:")
                out += [f"  {name:<28} {count}" for name, count in group.most_common(top)]
        if self.unmatched:
            out.append("unmatched questions (no rule or article answered):")
            out += [f"  {count:>5}  {text}" for text, count in self.unmatched.most_common(top)]
        if len(self.messages_per_day) > 1:
            out.append("per day (messages / unique followers):")
            out += [f"  {day}  {count:>6} / {self.followers_per_day.get(day, 0)}"
                    for day, count in self.messages_per_day.items()]
        if self.counters.get("error:1"):
            out.append(f"errors (follower got the busy text): {self.counters['error:1']}")
        return out
