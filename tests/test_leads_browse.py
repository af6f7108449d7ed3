"""The sales pages' lead services: filters, a lead's story, the shared export day range, erasure on request."""
from __future__ import annotations

import io
from datetime import date, timezone

import pytest

import leads.browse as browse
from leads.browse import day_range, erasure_entries, find_leads, lead_story, page_of_leads
from leads.export import write_rows
from leads.store import LeadStore
from privacy.requests import UnknownLead, erase_on_request
from wechat.jobs import QUEUES, get_queue
from wechat.redis_conn import Keys

NOW = 1_772_000_000.0      # 2026-02-25 06:13 UTC


def _lead(store, openid, run, kind, phone="13800138000"):
    return store.capture(openid, run, {"name": "张三", "phone": phone, "email": None,
                                       "source": {"kind": kind, "key": "MENU_CONTACT"}, "lang": "zh"})


@pytest.fixture
def store(redis, key_prefix):
    return LeadStore(redis, Keys(key_prefix), clock=lambda: NOW)


def test_day_range_counts_days_in_china_time():
    start, end, tz = day_range(date(2026, 2, 25), date(2026, 2, 25))
    assert end - start == 86400 and start == 1771948800.0     # 2026-02-25 00:00 at UTC+8
    with pytest.raises(ValueError):
        day_range(date(2026, 2, 2), date(2026, 2, 1))


def test_filters_by_delivery_state_and_source(store):
    a = _lead(store, "o_a", "r1", "menu")
    b = _lead(store, "o_b", "r2", "scene")
    store.mark_delivered(b.lead_id, 1)
    start, end, _ = day_range(date(2026, 2, 24), date(2026, 2, 26))
    assert {l.lead_id for l in find_leads(store, start, end)} == {a.lead_id, b.lead_id}
    assert [l.lead_id for l in find_leads(store, start, end, delivery="pending")] == [a.lead_id]
    assert [l.lead_id for l in find_leads(store, start, end, source="scene")] == [b.lead_id]
    assert find_leads(store, *day_range(date(2026, 3, 1), date(2026, 3, 2))[:2]) == []


def test_story_has_submissions_and_audit_events(store):
    a = _lead(store, "o_a", "r1", "menu")
    store.record_failure(a.lead_id, "HTTP 503")
    store.mark_dead(a.lead_id, "HTTP 503")
    story = lead_story(store, a.lead_id)
    assert story.dead and story.lead.attempts == 1 and story.lead.last_error == "HTTP 503"
    assert story.submissions[0]["data"]["phone"] == "13800138000"
    assert [e["event"] for e in story.events] == ["lead.created", "lead.dead_lettered"]
    assert lead_story(store, "nope") is None


def test_console_export_is_the_cli_export(store):
    _lead(store, "o_a", "r1", "menu", phone="13900139000")
    start, end, tz = day_range(date(2026, 2, 25), date(2026, 2, 25))
    out = io.StringIO()
    assert write_rows(store, start, end, out, tz) == 1
    assert "13900139000" in out.getvalue() and "created_at (UTC+08:00)" in out.getvalue()


def test_erasure_on_request_goes_through_erasure_and_notifies_the_crm(store, redis, settings):
    a = _lead(store, "o_erase", "r1", "menu")
    other = _lead(store, "o_keep", "r2", "menu")
    assert erase_on_request(redis, settings, a.lead_id) == [a.lead_id]
    assert store.get(a.lead_id).state == "deleted" and store.history(a.lead_id) == []
    assert store.get(other.lead_id).state == "active"
    request = erasure_entries(store)[0]
    assert (request["channel"], request["leads"], request["lead_ids"]) == ("console", "1", a.lead_id)
    assert "13800138000" not in str(store.audit_entries())
    assert sum(len(get_queue(redis, settings, q)) for q in QUEUES) >= 2     # CRM notice + cached replies
    with pytest.raises(UnknownLead):
        erase_on_request(redis, settings, a.lead_id)


def _many(redis, key_prefix, count):
    """``count`` leads one minute apart (newest last), sources alternating menu, scene, keyword."""
    clock = [NOW]
    store = LeadStore(redis, Keys(key_prefix), clock=lambda: clock[0])
    made = []
    for i in range(count):
        clock[0] = NOW + 60 * i
        made.append(_lead(store, f"o_{i}", f"r{i}", ("menu", "scene", "keyword")[i % 3]).lead_id)
    return store, made


def test_pages_of_50_newest_first_read_only_the_page(redis, key_prefix):
    store, made = _many(redis, key_prefix, 120)
    start, end, _ = day_range(date(2026, 2, 24), date(2026, 2, 26))
    reads = []
    original = store.get
    store.get = lambda lead_id: reads.append(lead_id) or original(lead_id)
    second = page_of_leads(store, start, end, page=2)
    assert (second.total, second.pages, second.page, second.has_prev, second.has_next) == (120, 3, 2, True, True)
    assert [l.lead_id for l in second.leads] == made[::-1][50:100]
    assert len(reads) == 50                           # the page's leads only, not the range's 120
    last = page_of_leads(store, start, end, page=99)  # past the end: the last page
    assert last.page == 3 and [l.lead_id for l in last.leads] == made[::-1][100:] and not last.has_next


def test_filtered_pages_count_every_match_and_keep_order(redis, key_prefix):
    store, made = _many(redis, key_prefix, 120)
    start, end, _ = day_range(date(2026, 2, 24), date(2026, 2, 26))
    scenes = [lead_id for i, lead_id in enumerate(made) if i % 3 == 1][::-1]
    first = page_of_leads(store, start, end, source="scene")
    assert (first.total, first.pages, first.capped) == (40, 1, False)
    assert [l.lead_id for l in first.leads] == scenes
    store.mark_delivered(made[-1], 1)
    pending = page_of_leads(store, start, end, delivery="pending", page=3)
    assert pending.total == 119 and pending.page == 3 and len(pending.leads) == 19
    assert made[-1] not in [l.lead_id for l in page_of_leads(store, start, end, delivery="pending").leads]
    assert [l.lead_id for l in page_of_leads(store, start, end, delivery="delivered").leads] == [made[-1]]


def test_a_filtered_scan_is_bounded_and_says_so(redis, key_prefix, monkeypatch):
    store, made = _many(redis, key_prefix, 30)
    monkeypatch.setattr(browse, "SCAN_MAX", 12)
    monkeypatch.setattr(browse, "SCAN_BATCH", 5)
    start, end, _ = day_range(date(2026, 2, 24), date(2026, 2, 26))
    page = page_of_leads(store, start, end, source="menu")
    assert page.capped and page.total == 4             # menu leads among the newest 12 only
    assert all(l.lead_id in made[-12:] for l in page.leads)


def test_export_filters_are_the_list_filters(store):
    a = _lead(store, "o_a", "r1", "menu", phone="13900139000")
    _lead(store, "o_b", "r2", "scene", phone="13700137000")
    store.mark_delivered(a.lead_id, 1)
    start, end, tz = day_range(date(2026, 2, 25), date(2026, 2, 25))
    out = io.StringIO()
    assert write_rows(store, start, end, out, tz, source="scene") == 1
    assert "13700137000" in out.getvalue() and "13900139000" not in out.getvalue()
    assert write_rows(store, start, end, io.StringIO(), tz, delivery="delivered") == 1
