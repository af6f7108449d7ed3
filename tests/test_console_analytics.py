"""Analytics page: SVG charts from the CLI's report for a date range; unmatched questions link to a new rule."""
from __future__ import annotations

import datetime as dt

from analytics.counters import today


def test_charts_show_what_followers_did(console_client, make_follower):
    f = make_follower()
    f.send("help")
    f.click("MENU_CONTACT")
    f.send("张三")
    f.send("示例科技")          # the company step: the funnel counts name, company, role
    page = console_client("marketer").get("/console/analytics").get_data(as_text=True)
    assert page.count("<svg") == 6 and "<script" not in page.split("<main")[1]
    assert "每日消息（按类型）" in page and "help" in page and "MENU_CONTACT" in page
    assert "咨询表单：到达每一步的粉丝" in page


def test_date_range_filters_and_bad_ranges_fall_back(console_client, make_follower):
    make_follower().send("zzqx unmatched vvqq")
    marketer = console_client("marketer")
    assert "zzqx unmatched vvqq" in marketer.get("/console/analytics").get_data(as_text=True)
    old = (today() - dt.timedelta(days=60)).isoformat(), (today() - dt.timedelta(days=50)).isoformat()
    page = marketer.get(f"/console/analytics?from={old[0]}&to={old[1]}").get_data(as_text=True)
    assert "zzqx unmatched vvqq" not in page and "暂无没有回答的问题" in page
    bad = marketer.get("/console/analytics?from=2026-05-01&to=2026-01-01").get_data(as_text=True)
    assert "日期范围无效" in bad
    assert "日期范围无效" in marketer.get("/console/analytics?from=nonsense").get_data(as_text=True)
    assert "/console/rules/edit?q=zzqx" in marketer.get("/console/analytics").get_data(as_text=True)


def test_roles(console_client):
    assert console_client("sales").get("/console/analytics").status_code == 403
    assert console_client("admin").get("/console/analytics").status_code == 200
    assert console_client(None).get("/console/analytics").status_code == 302
