"""Leads pages: sales and admins only; filters, detail, retry of a dead letter, the CLI's CSV, erasure on request."""
from __future__ import annotations

import csv
import re
import io

import pytest

from console.services import EXTENSION
from leads.store import LeadStore
from tests.support.processes import start_worker
from wechat.jobs import QUEUES, get_queue
from wechat.redis_conn import Keys

PHONE = "13912345678"


@pytest.fixture
def store(redis, key_prefix):
    return LeadStore(redis, Keys(key_prefix))


def _lead(store, openid="o_lead", kind="menu", phone=PHONE):
    return store.capture(openid, openid + "-run", {"name": "王五", "company": "示例", "phone": phone, "email": None,
                                                   "need": "social", "need_label": "社交媒体",
                                                   "source": {"kind": kind, "key": "MENU_CONTACT"}, "lang": "zh"})


def test_marketers_never_see_leads(console_client, store):
    lead = _lead(store)
    marketer = console_client("marketer")
    for url in ("/console/leads", f"/console/leads/{lead.lead_id}", "/console/leads/export.csv",
                "/console/leads/erasures"):
        response = marketer.get(url)
        assert response.status_code == 403 and PHONE not in response.get_data(as_text=True)
    assert marketer.post(f"/console/leads/{lead.lead_id}/retry").status_code == 403
    assert "/console/leads" not in marketer.get("/console/").get_data(as_text=True)
    assert console_client(None).get("/console/leads").status_code == 302


def test_list_filters_and_detail(console_client, store):
    menu, scene = _lead(store), _lead(store, "o_scene", "scene", "13800000001")
    store.mark_delivered(scene.lead_id, 1)
    sales = console_client("sales")
    page = sales.get("/console/leads").get_data(as_text=True)
    assert menu.lead_id in page and scene.lead_id in page and PHONE in page
    pending = sales.get("/console/leads?delivery=pending").get_data(as_text=True)
    assert menu.lead_id in pending and scene.lead_id not in pending
    by_source = sales.get("/console/leads?source=scene").get_data(as_text=True)
    assert scene.lead_id in by_source and menu.lead_id not in by_source
    detail = sales.get(f"/console/leads/{menu.lead_id}").get_data(as_text=True)
    assert "lead.created" in detail and PHONE in detail
    assert sales.get("/console/leads/nope").status_code == 404


def test_retry_a_dead_letter(console_client, store, redis, settings, app):
    lead = _lead(store)
    store.record_failure(lead.lead_id, "HTTP 503")
    store.mark_dead(lead.lead_id, "HTTP 503")
    sales = console_client("sales")
    assert "已放弃投递" in sales.get(f"/console/leads/{lead.lead_id}").get_data(as_text=True)
    assert sales.post(f"/console/leads/{lead.lead_id}/retry", csrf=False).status_code == 400
    assert store.dead()
    assert sales.post(f"/console/leads/{lead.lead_id}/retry").status_code == 302
    assert not store.dead() and store.get(lead.lead_id).delivery == "pending"
    assert sum(len(get_queue(redis, settings, q)) for q in QUEUES) == 1
    assert app.extensions[EXTENSION].audit.entries()[0].action == "leads.retry"


def test_csv_export_is_the_cli_export_and_is_audited(console_client, store, app):
    _lead(store)
    sales = console_client("sales")
    response = sales.get("/console/leads/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][2] == "created_at (UTC+08:00)" and rows[1][7] == PHONE
    entry = app.extensions[EXTENSION].audit.entries()[0]
    assert entry.action == "leads.export" and entry.detail.startswith("1 lead(s)") and PHONE not in entry.detail
    assert sales.get("/console/leads/export.csv?from=2026-02-01&to=2026-01-01").status_code == 400


def test_erasure_on_request_leaves_ids_and_counts_only(console_client, store, app):
    lead = _lead(store)
    admin = console_client("admin")
    assert admin.post(f"/console/leads/{lead.lead_id}/erase", csrf=False).status_code == 400
    assert store.get(lead.lead_id).state == "active"
    assert admin.post(f"/console/leads/{lead.lead_id}/erase").status_code == 302
    assert store.get(lead.lead_id).state == "deleted"
    page = admin.get("/console/leads/erasures").get_data(as_text=True)
    assert lead.lead_id in page and "console" in page and PHONE not in page and "王五" not in page
    assert app.extensions[EXTENSION].audit.entries()[0].action == "leads.erase"


def test_list_pages_by_50_and_keeps_its_filters(console_client, store):
    made = [_lead(store, f"o_{i}", ("menu", "scene")[i % 2], f"139000{i:05d}").lead_id for i in range(110)]
    menu_ids = set(made[0::2])
    sales = console_client("sales")
    first = sales.get("/console/leads?source=menu").get_data(as_text=True)
    rows = re.findall(r'href="/console/leads/(ld[0-9a-f]+)"', first)
    assert len(rows) == 50 and set(rows) <= menu_ids and "共 55 条" in first and "第 1 / 2 页" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "source=menu" in next_link and "from=" in next_link and "page=2" in next_link
    second = sales.get(next_link).get_data(as_text=True)
    rest = re.findall(r'href="/console/leads/(ld[0-9a-f]+)"', second)
    assert len(rest) == 5 and set(rest) <= menu_ids and not set(rest) & set(rows) and 'rel="prev"' in second
    export = re.search(r'href="([^"]+)" download', first).group(1).replace("&amp;", "&")
    assert "source=menu" in export
    lines = sales.get(export).get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 1 + 55                        # every match, not one page
    assert sales.get("/console/leads?page=abc").status_code == 200
    assert len(re.findall(r'href="/console/leads/(ld[0-9a-f]+)"', sales.get("/console/leads?page=3").get_data(
        as_text=True))) == 10


def test_erasure_requests_show_pending_then_done_with_counts_only(console_client, store, settings):
    lead = _lead(store)
    _lead(store, "o_other", "scene", "13800000002")
    store.erase("o_nobody")                                 # a follower with no leads asked too: 0 leads, done
    sales = console_client("sales")
    assert sales.post(f"/console/leads/{lead.lead_id}/erase").status_code == 302
    page = sales.get("/console/leads/erasures").get_data(as_text=True)
    assert "处理中 1 · 失败 0 · 已完成 1" in page            # the CRM notice is queued: no worker ran yet
    rows = re.findall(r'<tr data-state="(\w+)">(.*?)</tr>', page, re.S)
    assert [state for state, _ in rows] == ["pending", "done"]
    assert "销售代为提出" in rows[0][1] and lead.lead_id in rows[0][1] and "<td>1</td>" in rows[0][1]
    assert PHONE not in page and "王五" not in page and "o_lead" not in page and "o_nobody" not in page
    worker = start_worker(settings, burst=True)             # the real worker sends the notice (no CRM set: skipped)
    assert worker.wait(60) == 0
    assert "处理中 0 · 失败 0 · 已完成 2" in sales.get("/console/leads/erasures").get_data(as_text=True)
    assert console_client("marketer").get("/console/leads/erasures").status_code == 403
