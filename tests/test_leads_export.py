"""``flask leads export``: a CSV Excel opens with Chinese intact; the date range is counted in China time."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.leads import cleanup, make_app
from leads import LeadStore
from wechat.redis_conn import Keys

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def app(settings, redis, key_prefix):
    app = make_app(settings, redis)
    yield app
    cleanup(redis, key_prefix)


def at(day: str, hour: int) -> float:
    return datetime.strptime(day, "%Y-%m-%d").replace(hour=hour, tzinfo=CHINA).timestamp()


def add(redis, settings, when: float, openid: str, **data):
    store = LeadStore(redis, Keys(settings.key_prefix), clock=lambda: when)
    return store.capture(openid, "run-" + openid, {"source": {"kind": "menu", "key": "MENU_CONTACT",
                                                              "read": ["wechat-b2b", "weibo-2021"]},
                                                   "consent": {"version": "v1", "given_at": "t"}, **data}).lead_id


def test_export_date_range_bom_and_chinese(app, settings, redis, tmp_path):
    before = add(redis, settings, at("2026-03-01", 7) - 3600 * 8, "o1", name="早到者")     # 2026-02-28 23:00 China
    first = add(redis, settings, at("2026-03-01", 0), "o2", name="张三", company="示例科技（上海）有限公司",
                phone="+8613800138000", email=None, need="social_kol", need_label="社交媒体与 KOL 营销")
    last = add(redis, settings, at("2026-03-02", 23), "o3", name="Jane Doe", company="=HYPERLINK(\"x\")",
               email="jane@example.com")
    after = add(redis, settings, at("2026-03-03", 0), "o4", name="晚到者")
    out = tmp_path / "leads.csv"
    result = app.test_cli_runner().invoke(args=["leads", "export", "--from", "2026-03-01", "--to", "2026-03-02",
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 lead(s)" in result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                        # the BOM Excel needs for UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["lead_id"] for r in rows] == [first, last]
    zh, en = rows
    assert zh["name"] == "张三" and zh["company"] == "示例科技（上海）有限公司" and zh["need_label"] == "社交媒体与 KOL 营销"
    assert zh["phone"] == "'+8613800138000"                       # text, not a formula or a number
    assert zh["created_at (UTC+08:00)"] == "2026-03-01 00:00:00" and zh["source_kind"] == "menu"
    assert zh["articles_read"] == "wechat-b2b weibo-2021" and zh["consent_version"] == "v1"
    assert en["email"] == "jane@example.com" and en["company"] == "'=HYPERLINK(\"x\")"
    assert before not in raw.decode("utf-8-sig") and after not in raw.decode("utf-8-sig")
    assert b"\r\n" in raw                                         # Excel's line ends


def test_every_time_is_in_the_one_timezone_the_header_names(app, settings, redis, tmp_path):
    """created_at was China time and consent_given_at UTC ISO: one zone for all, stated in the header."""
    when = at("2026-03-01", 9)                                     # 01:00 UTC
    store = LeadStore(redis, Keys(settings.key_prefix), clock=lambda: when)
    store.capture("o_tz", "run-tz", {"source": {"kind": "menu"}, "name": "张三",
                                     "consent": {"version": "v1", "given_at": "2026-03-01T01:00:00Z"}})
    out = tmp_path / "leads.csv"
    app.test_cli_runner().invoke(args=["leads", "export", "--from", "2026-03-01", "--to", "2026-03-01", "--out", str(out)])
    [row] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    times = {name: value for name, value in row.items() if "_at" in name}
    assert set(times) == {"created_at (UTC+08:00)", "updated_at (UTC+08:00)", "consent_given_at (UTC+08:00)"}
    assert set(times.values()) == {"2026-03-01 09:00:00"}
    utc = tmp_path / "utc.csv"
    app.test_cli_runner().invoke(args=["leads", "export", "--from", "2026-03-01", "--to", "2026-03-01", "--out",
                                       str(utc), "--utc-offset", "0"])
    [row] = list(csv.DictReader(io.StringIO(utc.read_text(encoding="utf-8-sig"))))
    assert row["consent_given_at (UTC)"] == row["created_at (UTC)"] == "2026-03-01 01:00:00"


def test_export_skips_erased_leads(app, settings, redis, tmp_path):
    add(redis, settings, at("2026-03-01", 9), "o_gone", name="张三")
    LeadStore(redis, Keys(settings.key_prefix)).erase("o_gone")
    out = tmp_path / "leads.csv"
    result = app.test_cli_runner().invoke(args=["leads", "export", "--from", "2026-03-01", "--to", "2026-03-01",
                                                "--out", str(out)])
    assert "0 lead(s)" in result.output and "张三" not in out.read_text(encoding="utf-8-sig")


def test_export_refuses_a_reversed_range(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["leads", "export", "--from", "2026-03-02", "--to", "2026-03-01",
                                                "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0 and "before" in result.output


def test_export_keeps_only_the_delivery_state_and_source_asked_for(app, settings, redis, tmp_path):
    menu = add(redis, settings, at("2026-03-01", 9), "o1", name="甲")
    delivered = add(redis, settings, at("2026-03-01", 10), "o2", name="乙")
    LeadStore(redis, Keys(settings.key_prefix)).mark_delivered(delivered, 1)
    out = tmp_path / "pending.csv"
    result = app.test_cli_runner().invoke(args=["leads", "export", "--from", "2026-03-01", "--to", "2026-03-01",
                                                "--out", str(out), "--delivery", "pending", "--source", "menu"])
    assert result.exit_code == 0 and "1 lead(s)" in result.output, result.output
    assert [r["lead_id"] for r in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))] == [menu]
    none = app.test_cli_runner().invoke(args=["leads", "export", "--from", "2026-03-01", "--to", "2026-03-01",
                                              "--out", str(out), "--source", "scene"])
    assert "0 lead(s)" in none.output
    bad = app.test_cli_runner().invoke(args=["leads", "export", "--from", "2026-03-01", "--to", "2026-03-01",
                                             "--out", str(out), "--delivery", "lost"])
    assert bad.exit_code != 0
