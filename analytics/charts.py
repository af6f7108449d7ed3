"""The analytics page's charts: figures from the same ``Report`` the CLI prints (``analytics.report``), drawn
server-side as SVG with pygal, so the console needs no JavaScript build and the charts work in WeChat's
in-app browser too.

Usage::

    report = Analytics(keys).report(redis, start, end)
    figures = chart_figures(report, steps=["name", "company", ...])     # plain data, testable
    svg = render_chart(figures.messages_by_kind_chart())                 # an <svg> element as text
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pygal
from pygal.style import Style

from analytics.report import Report

TOP = 10
# pygal always embeds a config <script> for its optional tooltip library; without that library it does nothing,
# and dropping it keeps the page free of inline scripts (a strict Content-Security-Policy stays possible).
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
CONFIRM, DONE = "confirm", "done"

_STYLE = Style(background="transparent", plot_background="transparent", font_family="system-ui, sans-serif",
               colors=("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"),
               label_font_size=11, major_label_font_size=11, legend_font_size=12, title_font_size=14)


@dataclass(frozen=True)
class Series:
    """One chart's data: labels along the axis and one or more named series of values."""

    kind: str                      # stacked | hbar | bar | funnel | pie
    title: str
    labels: list[str]
    series: dict[str, list[int]]

    @property
    def empty(self) -> bool:
        return not any(any(values) for values in self.series.values())


@dataclass(frozen=True)
class Figures:
    days: list[str]
    by_kind: dict[str, list[int]]            # message kind (text, event:click, ...) -> count per day
    rules: list[tuple[str, int]]
    menu: list[tuple[str, int]]
    search_hits: int
    search_misses: int
    funnel: list[tuple[str, int]]            # form steps in order, then confirm and done
    follows: list[tuple[str, int]]           # new followers per QR scene ("" : no scene)
    unmatched: list[tuple[str, int]] = field(default_factory=list)

    @property
    def search_rate(self) -> float | None:
        total = self.search_hits + self.search_misses
        return self.search_hits / total if total else None


def _kind(label: str) -> str | None:
    if label.startswith("type:"):
        return label[5:]
    if label.startswith("event:"):
        return label
    return None


def chart_figures(report: Report, steps: list[str], flow: str = "lead", top: int = TOP) -> Figures:
    """What the charts show for ``report``; ``steps`` are the form's steps in order (from the live content)."""
    days = list(report.daily or report.messages_per_day)
    kinds: dict[str, list[int]] = {}
    for i, day in enumerate(days):
        for label, count in (report.daily.get(day) or Counter()).items():
            kind = _kind(label)
            if kind is not None:
                kinds.setdefault(kind, [0] * len(days))[i] += count
    reached = report.group("step")
    funnel = [(step, reached[f"{flow}:{step}"]) for step in [*steps, CONFIRM, DONE]]
    follows = report.group("follow")
    without_scene = report.counters.get("event:subscribe", 0) - sum(follows.values())
    follow_list = follows.most_common(top) + ([("", without_scene)] if without_scene > 0 else [])
    search = report.group("search")
    return Figures(days, dict(sorted(kinds.items(), key=lambda kv: -sum(kv[1]))), report.group("rule").most_common(top),
                   report.group("menu").most_common(top), search["hit"], search["miss"], funnel, follow_list,
                   report.unmatched.most_common(50))


def chart_series(figures: Figures, t: dict[str, str] | None = None) -> dict[str, Series]:
    """The page's charts as data; ``t`` translates titles (the console passes its language's words)."""
    t = t or {}
    short_days = [d[5:] for d in figures.days]     # MM-DD: the range picker shows the year
    return {
        "messages": Series("stacked", t.get("messages", "Messages per day by kind"), short_days, figures.by_kind),
        "rules": Series("hbar", t.get("rules", "Top keyword rules"), [n for n, _ in figures.rules],
                        {t.get("count", "messages"): [c for _, c in figures.rules]}),
        "menu": Series("hbar", t.get("menu", "Top menu buttons"), [n for n, _ in figures.menu],
                       {t.get("count", "taps"): [c for _, c in figures.menu]}),
        "search": Series("pie", t.get("search", "Search hit rate"), [],
                         {t.get("hit", "found an article"): [figures.search_hits],
                          t.get("miss", "nothing found"): [figures.search_misses]}),
        "funnel": Series("bar", t.get("funnel", "Lead form: followers reaching each step"),
                         [s for s, _ in figures.funnel], {t.get("count", "followers"): [c for _, c in figures.funnel]}),
        "follows": Series("bar", t.get("follows", "New followers by QR scene"),
                          [s or t.get("no_scene", "(no scene)") for s, _ in figures.follows],
                          {t.get("count", "followers"): [c for _, c in figures.follows]}),
    }


def render_chart(series: Series, *, width: int = 640, height: int = 320, empty_text: str = "no data") -> str:
    """``series`` as an inline ``<svg>`` (no XML declaration, no external scripts)."""
    cls = {"stacked": pygal.StackedBar, "hbar": pygal.HorizontalBar, "bar": pygal.Bar, "pie": pygal.Pie,
           "funnel": pygal.Funnel}[series.kind]
    chart = cls(style=_STYLE, width=width, height=height, title=series.title, js=[], disable_xml_declaration=True,
                show_legend=len(series.series) > 1 or series.kind == "pie", legend_at_bottom=True,
                no_data_text=empty_text, print_values=series.kind in ("bar", "hbar"), x_label_rotation=0,
                truncate_label=24, inner_radius=0.5 if series.kind == "pie" else 0)
    if series.labels:
        chart.x_labels = series.labels
    for name, values in series.series.items():
        chart.add(name, values)
    return _SCRIPT.sub("", chart.render(is_unicode=True))
