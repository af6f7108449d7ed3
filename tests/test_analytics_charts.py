"""Analytics for the console's charts: counted through the webhook, read with the CLI's report, drawn as SVG."""
from __future__ import annotations

import datetime as dt

from analytics.charts import chart_figures, chart_series, render_chart
from analytics.counters import Analytics, today
from wechat.redis_conn import Keys

LEAD_STEPS = ["name", "company", "role", "contact", "need", "consent"]


def _report(redis, key_prefix):
    day = today()
    return Analytics(Keys(key_prefix)).report(redis, day - dt.timedelta(days=2), day)


def test_funnel_counts_each_step_reached_once_and_the_confirmed_form(make_follower, redis, key_prefix):
    quitter, finisher = make_follower(), make_follower()
    quitter.click("MENU_CONTACT")
    quitter.send("张三")
    quitter.send("示例科技")
    quitter.send("x" * 80)                  # an invalid role: re-asked, not a new step
    finisher.subscribe("expo2026")          # the scene starts the form
    for answer in ("李四", "示例", "总监", "13800138000", "2", "1", "确认"):
        finisher.send(answer)
    figures = chart_figures(_report(redis, key_prefix), LEAD_STEPS)
    assert figures.funnel == [("name", 2), ("company", 2), ("role", 2), ("contact", 1), ("need", 1),
                              ("consent", 1), ("confirm", 1), ("done", 1)]
    assert figures.follows == [("expo2026", 1)]


def test_messages_by_kind_rules_menu_search_and_unmatched(make_follower, redis, key_prefix):
    f = make_follower()
    f.send("help")
    f.send("help")
    f.click("MENU_KOL")
    f.send("teenager mode on short video")      # search hit
    f.send("zzqx vvqq")                          # search miss, unmatched
    f.subscribe()                                # a follower with no scene
    figures = chart_figures(_report(redis, key_prefix), LEAD_STEPS)
    day = today().isoformat()
    assert figures.days[-1] == day
    assert figures.by_kind["text"][-1] == 4 and figures.by_kind["event:click"][-1] == 1
    assert figures.rules[0] == ("help", 2) and figures.menu == [("MENU_KOL", 1)]
    assert (figures.search_hits, figures.search_misses, figures.search_rate) == (1, 1, 0.5)
    assert ("zzqx vvqq", 1) in figures.unmatched
    assert figures.follows == [("", 1)]


def test_charts_render_as_inline_svg_without_scripts(make_follower, redis, key_prefix):
    make_follower().send("help")
    series = chart_series(chart_figures(_report(redis, key_prefix), LEAD_STEPS), {"rules": "热门规则"})
    svg = render_chart(series["rules"])
    assert svg.lstrip().startswith("<svg") and "热门规则" in svg and "help" in svg
    assert "<script" not in svg
    empty = render_chart(series["follows"], empty_text="暂无数据")
    assert "暂无数据" in empty
