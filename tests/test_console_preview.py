"""Preview page: the draft through the real dispatch, with no lead stored, no job queued, no counter moved."""
from __future__ import annotations

import datetime as dt

from analytics.counters import Analytics, today
from leads.store import LeadStore
from wechat.jobs import QUEUES, get_queue
from wechat.redis_conn import Keys


def _say(client, **data):
    response = client.post("/console/preview/send", data=data, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def test_page_shows_the_phone_and_the_draft_menu(console_client):
    page = console_client("marketer").get("/console/preview").get_data(as_text=True)
    assert 'data-testid="chat"' in page and "MENU_CONTACT" in page and "expo2026" in page


def test_lead_form_in_preview_reaches_no_crm_queue_or_analytics(console_client, redis, settings, key_prefix):
    marketer = console_client("marketer")
    day = today()
    counters = Analytics(Keys(key_prefix)).report(redis, day - dt.timedelta(days=1), day).counters
    assert "请问怎么称呼您" in _say(marketer, kind="click", key="MENU_CONTACT")
    for answer in ("张三", "示例科技", "市场总监", "13800138000", "2", "1"):
        html = _say(marketer, kind="text", text=answer)
    assert "lead:confirm" in html and "13800138000" in html
    done = _say(marketer, kind="text", text="确认")
    assert 'data-testid="lead-withheld"' in done
    assert LeadStore(redis, Keys(key_prefix)).log_entries() == []
    assert all(len(get_queue(redis, settings, q)) == 0 for q in QUEUES)
    assert Analytics(Keys(key_prefix)).report(redis, day - dt.timedelta(days=1), day).counters == counters


def test_subscribe_with_scene_and_news_cards(console_client):
    marketer = console_client("marketer")
    assert "2026 中国国际大数据产业博览会" in _say(marketer, kind="subscribe", key="expo2026")
    marketer.post("/console/preview/reset", htmx=True)
    cards = _say(marketer, kind="click", key="MENU_ROUNDUP")
    assert cards.count('class="item') == 8 and 'data-testid="news-list"' in cards
    single = _say(marketer, kind="text", text="KOL")
    assert 'data-testid="news-card"' in single


def test_roles_and_csrf(console_client):
    sales = console_client("sales")
    assert sales.get("/console/preview").status_code == 403
    assert sales.post("/console/preview/send", data={"kind": "text", "text": "hi"}, htmx=True).status_code == 403
    marketer = console_client("marketer")
    assert marketer.post("/console/preview/send", data={"kind": "text", "text": "hi"}, csrf=False).status_code == 400
    assert marketer.post("/console/preview/send", data={"kind": "teleport"}, htmx=True).status_code == 400
    assert console_client(None).get("/console/preview").status_code == 302
