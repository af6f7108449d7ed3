"""Menu editor pages: byte counters, reorder, button edits into the draft, publish to (the fake) WeChat with the
diff first and an audit entry; roles and CSRF."""
from __future__ import annotations

import re

import pytest
import yaml

from console.services import EXTENSION
from tests.support.pages import form_rev


@pytest.fixture
def settings(outbound_settings):
    return outbound_settings       # the app's WeChat API is the local fake


def _draft_menu(app):
    return yaml.safe_load(app.extensions[EXTENSION].drafts.load().bundle["menu.yaml"])["buttons"]


def test_page_counts_bytes_against_wechat_limits(console_client):
    page = console_client("marketer").get("/console/menu").get_data(as_text=True)
    assert re.search(r'data-testid="bytes-0-top-zh">zh 6/16 字节', page)
    assert re.search(r'data-testid="bytes-0-0-zh">zh 18/60 字节', page)      # KOL与偶像经济


def test_reorder_sub_buttons_and_top_buttons(console_client, app):
    marketer = console_client("marketer")
    keys = [s["key"] for s in _draft_menu(app)[0]["sub_buttons"]]
    rev = form_rev(marketer.get("/console/menu").get_data(as_text=True))
    assert marketer.post("/console/menu/move", data={"rev": rev, "top": 0, "sub": 1, "delta": -1}).status_code == 302
    assert [s["key"] for s in _draft_menu(app)[0]["sub_buttons"]][:2] == [keys[1], keys[0]]
    tops = [b["name"]["zh"] for b in _draft_menu(app)]
    rev = form_rev(marketer.get("/console/menu").get_data(as_text=True))
    marketer.post("/console/menu/move", data={"rev": rev, "top": 0, "delta": 1})
    assert [b["name"]["zh"] for b in _draft_menu(app)][:2] == [tops[1], tops[0]]
    assert "# The custom menu at the bottom" in app.extensions[EXTENSION].drafts.load().bundle["menu.yaml"]
    stale = marketer.post("/console/menu/move", data={"rev": rev, "top": 0, "delta": 1})
    assert stale.status_code == 302 and [b["name"]["zh"] for b in _draft_menu(app)][:2] == [tops[1], tops[0]]


def test_drag_and_drop_posts_a_new_order(console_client, app):
    marketer = console_client("marketer")
    keys = [s["key"] for s in _draft_menu(app)[0]["sub_buttons"]]
    rev = form_rev(marketer.get("/console/menu").get_data(as_text=True))
    order = ",".join(str(i) for i in [2, 0, 1, *range(3, len(keys))])
    assert marketer.post("/console/menu/reorder", data={"rev": rev, "group": "sub-0", "order": order}).status_code == 302
    assert [s["key"] for s in _draft_menu(app)[0]["sub_buttons"]] == [keys[2], keys[0], keys[1], *keys[3:]]
    tops = [b["name"]["zh"] for b in _draft_menu(app)]
    rev = form_rev(marketer.get("/console/menu").get_data(as_text=True))
    top_order = ",".join(str(i) for i in reversed(range(len(tops))))
    assert marketer.post("/console/menu/reorder", data={"rev": rev, "group": "top", "order": top_order}).status_code == 302
    assert [b["name"]["zh"] for b in _draft_menu(app)] == tops[::-1]
    # A stale form changes nothing; a broken order or group is a 400, also changing nothing.
    marketer.post("/console/menu/reorder", data={"rev": rev, "group": "top", "order": top_order})
    assert [b["name"]["zh"] for b in _draft_menu(app)] == tops[::-1]
    rev = form_rev(marketer.get("/console/menu").get_data(as_text=True))
    for bad in ({"group": "top", "order": "0,0,1"}, {"group": "top", "order": "a"}, {"group": "left", "order": "0"},
                {"group": "sub-9", "order": "0"}):
        assert marketer.post("/console/menu/reorder", data={"rev": rev, **bad}).status_code == 400, bad
    assert [b["name"]["zh"] for b in _draft_menu(app)] == tops[::-1]


def test_live_counter_and_a_too_long_name_is_flagged(console_client, app):
    marketer = console_client("marketer")
    counter = marketer.post("/console/menu/count", data={"lang": "zh", "name_zh": "洞察洞察洞察", "level": "top"},
                            htmx=True).get_data(as_text=True)
    assert "18/16" in counter and "bytes-over" in counter
    form = marketer.get("/console/menu/button?top=0").get_data(as_text=True)
    marketer.post("/console/menu/button?top=0", data={"rev": form_rev(form), "name_zh": "洞察洞察洞察", "name_en": "Insights"})
    page = marketer.get("/console/menu").get_data(as_text=True)
    assert "微信最多 16 字节" in page and "bytes-over" in page       # the checker's problem, in the zh UI


def test_edit_a_button_kind(console_client, app):
    marketer = console_client("marketer")
    form = marketer.get("/console/menu/button?top=0&sub=2").get_data(as_text=True)
    response = marketer.post("/console/menu/button?top=0&sub=2", data={
        "rev": form_rev(form), "name_zh": "微博", "name_en": "Weibo", "type": "view", "url": "https://example.com/weibo"})
    assert response.status_code == 302
    button = _draft_menu(app)[0]["sub_buttons"][2]
    assert button["type"] == "view" and button["url"] == "https://example.com/weibo" and "key" not in button


def test_publish_shows_the_diff_then_sends_through_the_cli_code(console_client, app, fake_wechat):
    marketer = console_client("marketer")
    page = marketer.get("/console/menu/publish").get_data(as_text=True)
    assert "published version 1 -&gt; WeChat" in page and 'data-testid="menu-diff"' in page
    assert not fake_wechat.requests_to("/cgi-bin/menu/create")          # showing the diff sends nothing
    assert marketer.post("/console/menu/publish").status_code == 302
    assert [b["name"] for b in fake_wechat.menu["button"]][0] == "洞察"
    entries = app.extensions[EXTENSION].audit.entries()
    assert entries[0].action == "menu.publish" and entries[0].user == marketer.name
    marketer.post("/console/menu/publish")
    assert len(fake_wechat.requests_to("/cgi-bin/menu/create")) == 1     # unchanged: nothing sent again


def test_roles_and_csrf(console_client, fake_wechat):
    sales = console_client("sales")
    for url in ("/console/menu", "/console/menu/publish", "/console/menu/button?top=0"):
        assert sales.get(url).status_code == 403
    assert sales.post("/console/menu/publish").status_code == 403
    marketer = console_client("marketer")
    assert marketer.post("/console/menu/publish", csrf=False).status_code == 400
    assert not fake_wechat.requests_to("/cgi-bin/menu/create")
    rev = form_rev(marketer.get("/console/menu").get_data(as_text=True))
    assert marketer.post("/console/menu/move", data={"rev": rev, "top": 0, "delta": 1}, csrf=False).status_code == 400
    assert marketer.post("/console/menu/move", data={"rev": rev, "top": 9, "delta": 1}).status_code == 404


def test_publish_without_wechat_credentials_explains_instead_of_failing(console_client, make_settings, redis):
    from app import create_app
    from tests.support.console import ConsoleClient, PASSWORD
    app = create_app(make_settings(wechat_appid="", wechat_secret="", wechat_aes_key=""), redis=redis)
    app.extensions[EXTENSION].users.add("m1", "marketer", PASSWORD)
    client = ConsoleClient(app.test_client())
    client.login("m1", PASSWORD)
    response = client.get("/console/menu/publish")
    assert response.status_code == 302
    assert "未配置微信接口" in client.get("/console/menu").get_data(as_text=True)
