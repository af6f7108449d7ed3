"""Analytics: the CLI's report (``analytics.report``) for a date range, drawn as server-side SVG charts
(``analytics.charts``, pygal), with the unanswered questions and a "make a rule from this" link each."""
from __future__ import annotations


from flask import Blueprint, render_template, request
from markupsafe import Markup

from analytics.charts import chart_figures, chart_series, render_chart
from analytics.counters import Analytics
from console.auth import role_required
from console.dates import requested_range
from console.draft_content import live_bot
from console.i18n import add_messages, t
from console.nav import add_nav
from console.services import console_services

bp = Blueprint("analytics", __name__)
add_nav("nav.analytics", "console.analytics.index", roles=("marketer",), order=50)
DEFAULT_DAYS = 7

add_messages({
    "nav.analytics": ("数据分析", "Analytics"),
    "analytics.title": ("数据分析", "Analytics"),
    "analytics.from": ("开始日期", "From"), "analytics.to": ("结束日期", "To"), "analytics.show": ("查看", "Show"),
    "analytics.bad_range": ("日期范围无效（最多一年），已显示最近 7 天", "Invalid date range (a year at most); showing the last 7 days"),
    "analytics.summary": ("{start} 至 {end}：{followers} 位粉丝互动，搜索命中率 {rate}",
                          "{start} to {end}: {followers} followers active, search hit rate {rate}"),
    "chart.messages": ("每日消息（按类型）", "Messages per day by kind"),
    "chart.rules": ("最常触发的关键词规则", "Top keyword rules"), "chart.menu": ("最常点击的菜单按钮", "Top menu buttons"),
    "chart.search": ("搜索命中率", "Search hit rate"), "chart.hit": ("找到文章", "found an article"),
    "chart.miss": ("没有结果", "nothing found"),
    "chart.funnel": ("咨询表单：到达每一步的粉丝", "Contact form: followers reaching each step"),
    "chart.follows": ("按二维码场景的新关注", "New followers by QR scene"), "chart.no_scene": ("（无场景）", "(no scene)"),
    "chart.count": ("次数", "count"), "chart.empty": ("暂无数据", "No data"),
})


def _steps() -> list[str]:
    wording = live_bot().library.current().flow("lead")
    return list(wording.steps) if wording is not None else []


@bp.get("/analytics")
@role_required("marketer")
def index():
    svc = console_services()
    first, last, valid = requested_range(DEFAULT_DAYS)
    report = Analytics(svc.keys).report(svc.redis, first, last)
    figures = chart_figures(report, _steps())
    words = {key: t(f"chart.{key}") for key in ("messages", "rules", "menu", "search", "hit", "miss", "funnel",
                                                "follows", "no_scene", "count")}
    charts = {name: Markup(render_chart(series, empty_text=t("chart.empty")))
              for name, series in chart_series(figures, words).items()}
    rate = f"{figures.search_rate:.0%}" if figures.search_rate is not None else "-"
    return render_template("console/pages/analytics.html", charts=charts, figures=figures, first=first, last=last,
                           valid=valid, report=report, rate=rate)
