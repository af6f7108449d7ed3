"""Keyword rules pages: the table, the editor (saved into the draft), "which rule answers this?", roles, CSRF."""
from __future__ import annotations

import re

import yaml

from console.services import EXTENSION
from tests.support.pages import form_rev


def _draft_rules(app):
    return yaml.safe_load(app.extensions[EXTENSION].drafts.load().bundle["rules.yaml"])["rules"]


def test_table_lists_rules_with_kind_and_priority(console_client):
    page = console_client("marketer").get("/console/rules").get_data(as_text=True)
    assert 'data-rule="contact"' in page and "包含" in page and ">10<" in page


def test_add_a_rule_then_which_rule_names_it(console_client, app):
    marketer = console_client("marketer")
    form = marketer.get("/console/rules/edit").get_data(as_text=True)
    response = marketer.post("/console/rules/edit", data={
        "rev": form_rev(form), "name": "pricing", "keywords": "rate card\n刊例", "match": "contains", "priority": "5",
        "reply_kind": "text", "text_zh": "报价请联系我们", "text_en": "Ask us for a quote", "target": ""})
    assert response.status_code == 302
    assert _draft_rules(app)[0]["name"] == "pricing"
    which = marketer.post("/console/rules/which", data={"text": "send me the rate card"}, htmx=True)
    html = which.get_data(as_text=True)
    assert which.status_code == 200 and "pricing" in html and "priority 5" not in html and "5" in html
    assert "Ask us for a quote" in html


def test_which_rule_reports_search_and_fallback(console_client):
    marketer = console_client("marketer")
    search = marketer.post("/console/rules/which", data={"text": "teenager mode on short video"}, htmx=True)
    assert "搜索找到文章" in search.get_data(as_text=True) and "douyin-youth-mode" in search.get_data(as_text=True)
    fallback = marketer.post("/console/rules/which", data={"text": "zzqx vvqq"}, htmx=True)
    assert "兜底回复" in fallback.get_data(as_text=True)


def test_stale_form_is_refused_and_nothing_is_lost(console_client, app):
    one, two = console_client("marketer"), console_client("marketer")
    rev = form_rev(one.get("/console/rules/edit").get_data(as_text=True))
    data = {"rev": rev, "name": "a1", "keywords": "aaa", "match": "exact", "priority": "0", "reply_kind": "message",
            "target": "help"}
    assert two.post("/console/rules/edit", data={**data, "name": "b2", "keywords": "bbb"}).status_code == 302
    stale = one.post("/console/rules/edit", data=data)
    assert stale.status_code == 409 and 'value="a1"' in stale.get_data(as_text=True)
    assert [r["name"] for r in _draft_rules(app)][:1] == ["b2"]


def test_bad_input_is_shown_next_to_the_field(console_client):
    marketer = console_client("marketer")
    rev = form_rev(marketer.get("/console/rules/edit").get_data(as_text=True))
    response = marketer.post("/console/rules/edit", data={"rev": rev, "name": "contact", "keywords": "x",
                                                          "match": "exact", "reply_kind": "message", "target": "help"})
    assert response.status_code == 400 and 'id="name-issues"' in response.get_data(as_text=True)


def test_unmatched_question_prefills_a_new_rule(console_client, follower):
    follower.send("zzqx qqvv widgets")
    marketer = console_client("marketer")
    page = marketer.get("/console/rules").get_data(as_text=True)
    assert "zzqx qqvv widgets" in page
    form = marketer.get("/console/rules/edit?q=zzqx+qqvv+widgets").get_data(as_text=True)
    assert ">zzqx qqvv widgets</textarea>" in form and 'value="zzqx-qqvv-widgets"' in form


def test_delete_a_rule(console_client, app):
    marketer = console_client("marketer")
    rev = form_rev(marketer.get("/console/rules").get_data(as_text=True))
    assert marketer.post("/console/rules/delete", data={"rev": rev, "name": "greeting"}).status_code == 302
    assert "greeting" not in [r["name"] for r in _draft_rules(app)]


def test_roles_and_csrf(console_client, app):
    sales, anon = console_client("sales"), console_client(None)
    for url in ("/console/rules", "/console/rules/edit"):
        assert sales.get(url).status_code == 403
        assert anon.get(url).status_code == 302
    assert sales.post("/console/rules/which", data={"text": "hi"}, htmx=True).status_code == 403
    marketer = console_client("marketer")
    before = app.extensions[EXTENSION].drafts.load().bundle["rules.yaml"]
    rev = form_rev(marketer.get("/console/rules").get_data(as_text=True))
    assert marketer.post("/console/rules/delete", data={"rev": rev, "name": "greeting"}, csrf=False).status_code == 400
    assert marketer.post("/console/rules/which", data={"text": "hi"}, csrf=False).status_code == 400
    assert app.extensions[EXTENSION].drafts.load().bundle["rules.yaml"] == before


def test_which_rule_box_offers_the_draft_menu_buttons_and_scenes(console_client):
    page = console_client("marketer").get("/console/rules").get_data(as_text=True)
    assert '<label for="which-button">' in page and '<label for="which-scene">' in page
    assert 'value="MENU_CONTACT"' in page and '<option value="expo2026">' in page


def test_which_rule_for_a_menu_tap_names_the_button_and_its_reply(console_client):
    marketer = console_client("marketer")
    html = marketer.post("/console/rules/which", data={"kind": "click", "key": "MENU_CONTACT"},
                         htmx=True).get_data(as_text=True)
    assert "（MENU_CONTACT）的回复" in html and "菜单按钮" in html and "请问怎么称呼您" in html
    gone = marketer.post("/console/rules/which", data={"kind": "click", "key": "MENU_GONE"}, htmx=True)
    assert gone.status_code == 200 and "没有按键 MENU_GONE" in gone.get_data(as_text=True)


def test_which_rule_for_a_follow_or_scan_names_the_scene_welcome(console_client):
    marketer = console_client("marketer")
    expo = marketer.post("/console/rules/which", data={"kind": "subscribe", "key": "expo2026"},
                         htmx=True).get_data(as_text=True)
    assert "二维码场景「expo2026」的欢迎语" in expo and "并开始表单「lead」" in expo and "博览会" in expo
    plain = marketer.post("/console/rules/which", data={"kind": "scan", "key": ""}, htmx=True).get_data(as_text=True)
    assert "默认欢迎语（welcome_back）" in plain
    unknown = marketer.post("/console/rules/which", data={"kind": "subscribe", "key": "nosuchscene"},
                            htmx=True).get_data(as_text=True)
    assert "默认欢迎语（welcome）" in unknown and "场景「nosuchscene」没有自己的欢迎语" in unknown


def test_which_rule_refuses_bad_kinds_and_an_empty_menu_key(console_client):
    marketer = console_client("marketer")
    assert marketer.post("/console/rules/which", data={"kind": "teleport"}, htmx=True).status_code == 400
    assert marketer.post("/console/rules/which", data={"kind": "click", "key": " "}, htmx=True).status_code == 400
    sales = console_client("sales")
    assert sales.post("/console/rules/which", data={"kind": "click", "key": "MENU_CONTACT"}, htmx=True).status_code == 403
    assert marketer.post("/console/rules/which", data={"kind": "click", "key": "MENU_CONTACT"},
                         csrf=False).status_code == 400


def _greeting_form(page):
    """The edit form's fields as a browser would post them (inputs, textareas, selected options)."""
    data = {m[0]: m[1] for m in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}
    data.update({m[0]: m[1] for m in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page)})
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(r'<option value="([^"]*)"', options)
        data[name] = chosen.group(1)
    data.pop("csrf_token", None)
    return {k: v.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&") for k, v in data.items()}


def test_random_reply_alternatives_are_edited_added_and_removed(console_client, app):
    marketer = console_client("marketer")
    page = marketer.get("/console/rules/edit?name=greeting").get_data(as_text=True)
    index = [r["name"] for r in _draft_rules(app)].index("greeting")
    prefix = f"rules.{index}.reply.random"
    assert f'name="{prefix}.0.text.zh"' in page and f'name="{prefix}.1.text.en"' in page
    assert '<option value="random" selected>' in page and 'value="text,text"' in page
    assert f'<label for="f-rules-{index}-reply-random-0-text-zh">中文 *</label>' in page   # not the key "zh"
    before = app.extensions[EXTENSION].drafts.load()
    data = _greeting_form(page)
    added = marketer.post("/console/rules/edit", data={**data, "random_op": "add", "random_add_kind": "article"})
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and f'name="{prefix}.2.article"' in html and 'value="text,text,article"' in html
    assert app.extensions[EXTENSION].drafts.load().rev == before.rev             # nothing saved yet
    data = _greeting_form(html)
    data.update({f"{prefix}.0.text.zh": "您好！有什么可以帮您？", f"{prefix}.2.article": "weibo-2021"})
    removed = marketer.post("/console/rules/edit", data={**data, "random_op": "remove:1"}).get_data(as_text=True)
    assert f'name="{prefix}.2.article"' not in removed and f'name="{prefix}.1.article"' in removed
    assert "您好！有什么可以帮您？" in removed and 'value="weibo-2021"' in removed
    saved = marketer.post("/console/rules/edit", data=_greeting_form(removed))
    assert saved.status_code == 302 and saved.location.endswith("/console/rules")
    rule = next(r for r in _draft_rules(app) if r["name"] == "greeting")
    assert rule["reply"]["random"][0]["text"]["zh"] == "您好！有什么可以帮您？"
    assert rule["reply"]["random"][1] == {"article": "weibo-2021"} and len(rule["reply"]["random"]) == 2
    text = app.extensions[EXTENSION].drafts.load().bundle["rules.yaml"]
    assert text.index("# Small talk") > text.index("weibo-2021")              # the next rule's comment stays put
    assert text.index("# Small talk") < text.index("name: good-morning")


def test_an_empty_alternative_is_saved_and_shown_with_its_problem(console_client, app):
    marketer = console_client("marketer")
    data = _greeting_form(marketer.get("/console/rules/edit?name=greeting").get_data(as_text=True))
    page = marketer.post("/console/rules/edit", data={**data, "random_op": "add", "random_add_kind": "text"})
    saved = marketer.post("/console/rules/edit", data=_greeting_form(page.get_data(as_text=True)))
    assert saved.status_code == 302 and "name=greeting" in saved.location
    index = [r["name"] for r in _draft_rules(app)].index("greeting")
    shown = marketer.get(saved.location).get_data(as_text=True)
    assert f'id="f-rules-{index}-reply-random-2-text-zh-issues"' in shown and 'aria-invalid="true"' in shown


def test_a_new_rule_can_start_random_and_bad_operations_are_refused(console_client, app):
    marketer = console_client("marketer")
    rev = form_rev(marketer.get("/console/rules/edit").get_data(as_text=True))
    new = {"rev": rev, "name": "coin", "keywords": "coin", "match": "exact", "reply_kind": "random",
           "text_zh": "正面", "text_en": "Heads"}
    assert marketer.post("/console/rules/edit", data=new).status_code == 302
    assert _draft_rules(app)[0]["reply"] == {"random": [{"text": {"zh": "正面", "en": "Heads"}}]}
    data = _greeting_form(marketer.get("/console/rules/edit?name=greeting").get_data(as_text=True))
    assert marketer.post("/console/rules/edit", data={**data, "random_op": "explode"}).status_code == 400
    bad_kind = marketer.post("/console/rules/edit", data={**data, "random_op": "add", "random_add_kind": "flow"})
    assert bad_kind.status_code == 400 and 'id="random-issues"' in bad_kind.get_data(as_text=True)
    assert marketer.post("/console/rules/edit", data={**data, "random_op": "remove:9"}).status_code == 400
    before = app.extensions[EXTENSION].drafts.load().rev
    assert marketer.post("/console/rules/edit", data={**data, "random_op": "add", "random_add_kind": "text"},
                         csrf=False).status_code == 400
    assert console_client("sales").post("/console/rules/edit", data=data).status_code == 403
    assert app.extensions[EXTENSION].drafts.load().rev == before
