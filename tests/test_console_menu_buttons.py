"""Menu buttons added, edited (kind, key, what a click sends), moved between groups and deleted in the draft:
WeChat's 3 x 5 refused past the limit, generated keys unique, the checker's problems next to their field, the
marketers' YAML comments kept; roles, CSRF and stale revisions."""
from __future__ import annotations

import re

import pytest
import yaml

from console.services import EXTENSION
from tests.support.pages import form_rev

CASE = {"name_zh": "案例", "name_en": "Case studies", "type": "click", "key": "", "reply_kind": "article",
        "target": "weibo-2021"}


def _text(app) -> str:
    return app.extensions[EXTENSION].drafts.load().bundle["menu.yaml"]


def _menu(app) -> list[dict]:
    return yaml.safe_load(_text(app))["buttons"]


def _names(buttons) -> list[str]:
    return [b["name"]["zh"] for b in buttons]


def _menu_errors(app) -> list[str]:
    svc = app.extensions[EXTENSION]
    return [i.message for i in svc.check(svc.drafts.load().bundle).errors if i.file == "menu.yaml"]


def _rev(client, url: str = "/console/menu") -> str:
    return form_rev(client.get(url).get_data(as_text=True))


def _delete(client, top: int, sub: int | None = None):
    url = f"/console/menu/delete?top={top}" + ("" if sub is None else f"&sub={sub}")
    return client.post(url, data={"rev": _rev(client, url)})


def test_add_a_sub_button_with_an_article_reply(console_client, app):
    marketer = console_client("marketer")
    form = marketer.get("/console/menu/add?top=2").get_data(as_text=True)
    assert "「联系我们」将变为子菜单" in form                      # a plain button becoming a group is said first
    response = marketer.post("/console/menu/add?top=2", data={"rev": form_rev(form), **CASE})
    assert response.status_code == 302 and response.headers["Location"].endswith("#b2-1")
    contact, case = _menu(app)[2]["sub_buttons"]
    assert contact == {"name": {"zh": "联系我们", "en": "Contact us"}, "type": "click", "key": "MENU_CONTACT",
                       "flow": "lead"}                           # what the button did is now its first sub-button
    assert case == {"name": {"zh": "案例", "en": "Case studies"}, "type": "click", "key": "MENU_CASE_STUDIES",
                    "reply": {"article": "weibo-2021"}}
    text = _text(app)
    assert '- name: {zh: "案例", en: "Case studies"}\n        type: click\n        key: MENU_CASE_STUDIES\n' \
           '        reply: {article: weibo-2021}' in text          # the file's own style
    assert "# The custom menu at the bottom" in text and "# The roundups are from 2021" in text
    assert _menu_errors(app) == []
    entry = app.extensions[EXTENSION].audit.entries()[0]
    assert (entry.user, entry.action, entry.detail) == (marketer.name, "draft.save", "menu.yaml")
    # The same English name again: the generated key stays unique.
    marketer.post("/console/menu/add?top=2", data={"rev": _rev(marketer), **CASE})
    assert [s["key"] for s in _menu(app)[2]["sub_buttons"]] == ["MENU_CONTACT", "MENU_CASE_STUDIES",
                                                                "MENU_CASE_STUDIES_2"]
    page = marketer.get("/console/menu").get_data(as_text=True)
    assert 'data-testid="answer-2-1">一篇文章: weibo-2021' in page and "3/5 个子按钮" in page


def test_a_sixth_sub_button_and_a_fourth_top_button_are_refused(console_client, app):
    marketer = console_client("marketer")
    before = _text(app)
    assert marketer.get("/console/menu/add?top=0").status_code == 302       # group 0 has 5 already
    assert "微信每组最多允许 5 个子按钮" in marketer.get("/console/menu").get_data(as_text=True)
    refused = marketer.post("/console/menu/add?top=0", data={"rev": _rev(marketer), **CASE})
    assert refused.status_code == 400 and "微信每组最多允许 5 个子按钮" in refused.get_data(as_text=True)
    page = marketer.get("/console/menu").get_data(as_text=True)
    assert 'data-testid="add-sub-0"' not in page and 'data-testid="add-sub-2"' in page
    assert "微信最多允许 3 个一级按钮" in page                          # no "add a top-level button" link
    refused = marketer.post("/console/menu/add", data={"rev": _rev(marketer), **CASE})
    assert refused.status_code == 400 and "微信最多允许 3 个一级按钮" in refused.get_data(as_text=True)
    assert _text(app) == before
    # With room again (one top-level button deleted), a new group can be added.
    assert _delete(marketer, 2).status_code == 302
    response = marketer.post("/console/menu/add", data={"rev": _rev(marketer), "name_zh": "关于", "name_en": "About",
                                                        "type": "group"})
    assert response.status_code == 302 and _menu(app)[2] == {"name": {"zh": "关于", "en": "About"},
                                                             "sub_buttons": []}
    assert _menu_errors(app)                                  # an empty group: the checker asks for sub-buttons


def test_delete_asks_first_and_names_the_sub_buttons_that_go_with_a_group(console_client, app):
    marketer = console_client("marketer")
    subs = _names(_menu(app)[0]["sub_buttons"])
    confirm = marketer.get("/console/menu/delete?top=0").get_data(as_text=True)
    assert "删除按钮「洞察」？" in confirm and "它的 5 个子按钮会一起删除" in confirm
    assert all(f"<li>{name}</li>" in confirm for name in subs) and "删除按钮及其 5 个子按钮" in confirm
    assert len(_menu(app)) == 3                                # asking changes nothing
    assert _delete(marketer, 0).status_code == 302
    assert _names(_menu(app)) == ["微信营销", "联系我们"]
    assert _delete(marketer, 0, 4).status_code == 302          # one sub-button
    assert _names(_menu(app)[0]["sub_buttons"]) == ["B2B营销", "教育行业", "小程序与小游戏", "微信功能变化"]
    assert marketer.get("/console/menu/delete?top=0&sub=9").status_code == 404


def test_move_a_sub_button_to_another_group(console_client, app):
    marketer = console_client("marketer")
    before = _text(app)
    full = marketer.post("/console/menu/transfer", data={"rev": _rev(marketer), "top": 0, "sub": 0, "to": 1})
    assert full.status_code == 400 and "微信每组最多允许 5 个子按钮" in full.get_data(as_text=True)
    assert _text(app) == before
    assert _delete(marketer, 1, 4).status_code == 302
    moved = marketer.post("/console/menu/transfer", data={"rev": _rev(marketer), "top": 0, "sub": 0, "to": 1,
                                                          "position": 1})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("#b1-top")
    assert [s["key"] for s in _menu(app)[1]["sub_buttons"]][:3] == ["MENU_B2B", "MENU_KOL", "MENU_EDUCATION"]
    assert len(_menu(app)[0]["sub_buttons"]) == 4
    # Into a plain button: it becomes a group, its own action first; no position means last.
    marketer.post("/console/menu/transfer", data={"rev": _rev(marketer), "top": 0, "sub": 0, "to": 2})
    assert [s["key"] for s in _menu(app)[2]["sub_buttons"]] == ["MENU_CONTACT", "MENU_BILIBILI"]
    assert _menu_errors(app) == []
    for bad in ({"to": 0}, {"to": 7}, {"sub": 9, "to": 1}, {"to": ""}, {"to": "x"}):
        data = {"rev": _rev(marketer), "top": 0, "sub": 0, **bad}
        assert marketer.post("/console/menu/transfer", data=data).status_code == 400, bad


def test_moving_the_last_sub_button_out_leaves_a_button_to_finish(console_client, app):
    marketer = console_client("marketer")
    for _ in range(4):
        assert _delete(marketer, 0, 0).status_code == 302
    marketer.post("/console/menu/transfer", data={"rev": _rev(marketer), "top": 0, "sub": 0, "to": 2})
    assert _menu(app)[0] == {"name": {"zh": "洞察", "en": "Insights"}}
    marketer.post("/console/lang", data={"lang": "en"})       # issues read as the checker (and CLI) words them
    edit = marketer.get("/console/menu/button?top=0").get_data(as_text=True)
    assert 'id="button-issues"' in edit and "needs a type" in edit          # the checker, on the button itself


def test_change_kind_and_what_a_click_sends(console_client, app):
    marketer = console_client("marketer")
    url = "/console/menu/button?top=0&sub=1"
    form = marketer.get(url).get_data(as_text=True)
    assert 'value="bilibili-gen-z, bilibili-luxury-brands"' in form         # the rules editor's reply fields
    assert '<option value="articles" selected>' in form and 'id="reply-list-article"' in form
    names = {"name_zh": "B站与Z世代", "name_en": "Bilibili & Gen Z"}
    marketer.post(url, data={"rev": form_rev(form), **names, "type": "click", "key": "MENU_BILIBILI"})
    assert _menu(app)[0]["sub_buttons"][1]["reply"] == {"articles": ["bilibili-gen-z", "bilibili-luxury-brands"]}
    cases = [({"reply_kind": "text", "text_zh": "你好", "text_en": "Hello"},
              {"reply": {"text": {"zh": "你好", "en": "Hello"}}}),
             ({"reply_kind": "articles", "target": "weibo-2021, wechat-b2b"},
              {"reply": {"articles": ["weibo-2021", "wechat-b2b"]}}),
             ({"reply_kind": "message", "target": "help"}, {"reply": {"message": "help"}}),
             ({"reply_kind": "flow", "target": "lead"}, {"flow": "lead"})]
    for fields, expected in cases:
        data = {"rev": _rev(marketer, url), **names, "type": "click", "key": "MENU_BILIBILI", **fields}
        assert marketer.post(url, data=data).status_code == 302
        button = _menu(app)[0]["sub_buttons"][1]
        assert {k: v for k, v in button.items() if k in ("reply", "flow")} == expected, fields
    assert _menu_errors(app) == []
    view = {"rev": _rev(marketer, url), **names, "type": "view", "url": "https://example.com/b", "key": "MENU_BILIBILI"}
    marketer.post(url, data=view)
    assert _menu(app)[0]["sub_buttons"][1] == {"name": {"zh": "B站与Z世代", "en": "Bilibili & Gen Z"},
                                                "type": "view", "url": "https://example.com/b"}
    # Back to click with the key left empty: one is generated from the English name.
    marketer.post(url, data={"rev": _rev(marketer, url), **names, "type": "click", "key": "", "reply_kind": "article",
                             "target": "bilibili-gen-z"})
    button = _menu(app)[0]["sub_buttons"][1]
    assert list(button) == ["name", "type", "key", "reply"] and button["key"] == "MENU_BILIBILI_GEN_Z"
    assert marketer.post(url, data={"rev": _rev(marketer, url), **names, "type": "miniprogram"}).status_code == 400
    assert marketer.post(url, data={"rev": _rev(marketer, url), **names, "type": "group"}).status_code == 400
    assert marketer.post(url, data={"rev": _rev(marketer, url), **names, "type": "click",
                                    "reply_kind": "nonsense"}).status_code == 400


def test_a_plain_top_level_button_becomes_a_sub_menu_keeping_what_it_did(console_client, app):
    marketer = console_client("marketer")
    url = "/console/menu/button?top=2"
    assert '<option value="group"' in marketer.get(url).get_data(as_text=True)
    marketer.post(url, data={"rev": _rev(marketer, url), "name_zh": "联系", "name_en": "Contact", "type": "group"})
    assert _menu(app)[2] == {"name": {"zh": "联系", "en": "Contact"}, "sub_buttons": [
        {"name": {"zh": "联系", "en": "Contact"}, "type": "click", "key": "MENU_CONTACT", "flow": "lead"}]}
    group_form = marketer.get(url).get_data(as_text=True)
    assert 'name="type"' not in group_form and 'name="name_zh"' in group_form      # a group: names only


def test_checker_problems_show_by_the_field(console_client, app):
    marketer = console_client("marketer")
    marketer.post("/console/lang", data={"lang": "en"})       # issues read as the checker (and CLI) words them
    url = "/console/menu/button?top=0&sub=2"
    marketer.post(url, data={"rev": _rev(marketer, url), "name_zh": "微博", "name_en": "Weibo", "type": "click",
                             "key": "MENU_KOL", "reply_kind": "article", "target": "no-such-article"})
    form = marketer.get(url).get_data(as_text=True)
    key_issues = form.split('id="button-key-issues"')[1].split("</ul>")[0]
    reply_issues = form.split('id="reply-issues"')[1].split("</ul>")[0]
    assert "MENU_KOL" in key_issues and "also used" in key_issues
    assert "no-such-article" in reply_issues and "no-such-article" not in key_issues
    assert 'aria-describedby="reply-issues"' in form
    page = marketer.get("/console/menu").get_data(as_text=True)
    card = page.split('data-testid="button-0-2"')[1].split('data-testid="button-0-3"')[0]
    assert "also used" in card and "no-such-article" in card
    nine = ", ".join(["weibo-2021"] * 9)                      # a click may send 8 article cards at most
    marketer.post(url, data={"rev": _rev(marketer, url), "name_zh": "微博", "name_en": "Weibo", "type": "click",
                             "key": "MENU_WEIBO", "reply_kind": "articles", "target": nine})
    reply_issues = marketer.get(url).get_data(as_text=True).split('id="reply-issues"')[1].split("</ul>")[0]
    assert "9 articles, but a news reply holds at most 8" in reply_issues
    draft = marketer.get("/console/draft").get_data(as_text=True)
    assert "/console/menu/button?top=0&amp;sub=2" in draft      # the draft page links the problem to its form


@pytest.mark.parametrize(("field", "value", "shown"), [("key", "MENU_" + "X" * 125, "130/128"),
                                                       ("url", "https://e.com/" + "é" * 506, "1026/1024")])
def test_live_byte_counters_for_keys_and_urls(console_client, field, value, shown):
    counter = console_client("marketer").post("/console/menu/count", data={"field": field, field: value}, htmx=True)
    html = counter.get_data(as_text=True)
    assert shown in html and "bytes-over" in html and f'id="count-{field}"' in html


def test_stale_revisions_are_refused(console_client, app):
    one, two = console_client("marketer"), console_client("marketer")
    rev = _rev(one)
    assert _delete(two, 1, 4).status_code == 302               # someone else saves first
    before = _text(app)
    stale_add = one.post("/console/menu/add?top=1", data={"rev": rev, **CASE})
    assert stale_add.status_code == 409 and 'value="Case studies"' in stale_add.get_data(as_text=True)
    assert one.post("/console/menu/delete?top=0", data={"rev": rev}).status_code == 409
    assert one.post("/console/menu/transfer", data={"rev": rev, "top": 0, "sub": 0, "to": 1}).status_code == 409
    assert one.post("/console/menu/button?top=0&sub=0", data={"rev": rev, **CASE}).status_code == 409
    assert _text(app) == before


def test_roles_and_csrf_on_the_new_routes(console_client, app):
    sales = console_client("sales")
    for url in ("/console/menu/add", "/console/menu/add?top=0", "/console/menu/delete?top=0"):
        assert sales.get(url).status_code == 403
    for url in ("/console/menu/add?top=2", "/console/menu/delete?top=0", "/console/menu/transfer"):
        assert sales.post(url, data={"rev": 1, "top": 0, "sub": 0, "to": 1, **CASE}).status_code == 403
    marketer = console_client("marketer")
    before = _text(app)
    rev = _rev(marketer)
    for url, data in (("/console/menu/add?top=2", CASE), ("/console/menu/delete?top=0", {}),
                      ("/console/menu/transfer", {"top": 0, "sub": 0, "to": 2}),
                      ("/console/menu/button?top=0&sub=0", CASE)):
        assert marketer.post(url, data={"rev": rev, **data}, csrf=False).status_code == 400, url
    assert _text(app) == before
    assert marketer.get("/console/menu/add?top=0").status_code == 302          # full: back to the menu, said why
    assert marketer.get("/console/menu/add?top=2").status_code == 200


def test_the_new_pages_speak_english_too(console_client):
    marketer = console_client("marketer")
    marketer.post("/console/lang", data={"lang": "en"})
    pages = {url: marketer.get(url).get_data(as_text=True) for url in (
        "/console/menu", "/console/menu/add", "/console/menu/add?top=2", "/console/menu/button?top=0&sub=1",
        "/console/menu/delete?top=0")}
    for url, html in pages.items():
        assert not re.search(r">\s*(menu|rules)\.[a-z_.]+", html) and "menu.delete" not in html, url
    assert "Move to group" in pages["/console/menu"] and "+ Add a sub-button" in pages["/console/menu"]
    assert "\"Contact us\" becomes a sub-menu" in pages["/console/menu/add?top=2"].replace("&#34;", '"')
    assert "Several articles" in pages["/console/menu/button?top=0&sub=1"]
    assert "Its 5 sub-buttons are deleted with it" in pages["/console/menu/delete?top=0"]
