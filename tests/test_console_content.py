"""Console content pages through the Flask test client: articles, draft, publish, versions, rollback, audit."""
from __future__ import annotations

import re

import pytest

from console.services import EXTENSION

ARTICLE = "weibo-2021"
ZH = f"articles/zh/{ARTICLE}.md"
MARKETER_PAGES = ("/console/articles", f"/console/articles/{ARTICLE}", "/console/articles/new", "/console/draft",
                  "/console/publish", "/console/versions")


def _svc(app):
    return app.extensions[EXTENSION]


def _editor_form(client, article_id: str = ARTICLE) -> dict[str, str]:
    """The editor's fields as the browser would submit them (values scraped from the page)."""
    html = client.get(f"/console/articles/{article_id}").get_data(as_text=True)
    form = {m[0]: m[1] for m in re.findall(r'<input id="[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', html)}
    for name, value in re.findall(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        form[name] = value
    form["rev"] = re.search(r'name="rev" value="(\d+)"', html).group(1)
    import html as html_lib
    return {k: html_lib.unescape(v) for k, v in form.items()}


def _save(client, **fields: str):
    """Open the editor, change ``fields`` (``zh_title="..."`` is the zh-title input) and save, as a browser does."""
    form = _editor_form(client)
    form.update({name.replace("_", "-"): value for name, value in fields.items()})
    return client.post(f"/console/articles/{ARTICLE}", data=form)


@pytest.mark.parametrize("url", MARKETER_PAGES)
def test_marketer_pages_by_role(console_client, url):
    assert console_client("marketer").get(url).status_code == 200
    assert console_client("admin").get(url).status_code == 200
    assert console_client("sales").get(url).status_code == 403
    anonymous = console_client(None).get(url)
    assert anonymous.status_code == 302 and "/console/login" in anonymous.location


def test_article_list_filters(console_client, app):
    marketer = console_client("marketer")
    page = marketer.get("/console/articles").get_data(as_text=True)
    assert ARTICLE in page and "wechat-education" in page
    found = marketer.get("/console/articles?q=微博").get_data(as_text=True)
    assert ARTICLE in found and "wechat-education" not in found
    tagged = marketer.get("/console/articles?tag=weibo").get_data(as_text=True)
    assert ARTICLE in tagged and "wechat-education" not in tagged
    # Remove the English variant in the draft: the "missing translation" filter finds it, and only it.
    svc = _svc(app)
    svc.drafts.save({f"articles/en/{ARTICLE}.md": None}, rev=svc.drafts.load().rev, author="t")
    missing = marketer.get("/console/articles?missing=1").get_data(as_text=True)
    assert f'data-article="{ARTICLE}"' in missing and 'data-article="wechat-education"' not in missing
    only_en = marketer.get("/console/articles?lang=en").get_data(as_text=True)
    assert f'data-article="{ARTICLE}"' not in only_en and 'data-article="wechat-education"' in only_en


def test_save_article_goes_to_the_draft_not_live(console_client, app, follower):
    marketer = console_client("marketer")
    svc = _svc(app)
    live_before = svc.versions.current_number()
    response = _save(marketer, zh_title="微博的新标题")
    assert response.status_code == 303
    draft = svc.drafts.load()
    assert 'title: 微博的新标题' in draft.bundle[ZH] and draft.author == marketer.name
    assert svc.versions.current_number() == live_before           # nothing live yet
    assert "微博的新标题" not in str(follower.send("微博"))
    page = marketer.get(f"/console/articles/{ARTICLE}").get_data(as_text=True)
    assert 'value="微博的新标题"' in page and "已保存到草稿" in page
    assert [e.action for e in svc.audit.entries()][:1] == ["draft.save"]


def test_broken_field_shows_its_error_next_to_it(console_client, app):
    marketer = console_client("marketer")
    _save(marketer, zh_url="http://insecure.example.com/x")
    page = marketer.get(f"/console/articles/{ARTICLE}").get_data(as_text=True)
    url_issues = re.search(r'id="zh-url-issues">(.*?)</ul>', page, re.S).group(1)
    assert "https://" in url_issues
    assert 'id="en-url-issues"' not in page and 'id="zh-title-issues"' not in page   # only the broken field
    assert re.search(r'id="zh-url"[^>]*aria-invalid="true"', page, re.S)
    _save(marketer, zh_url="https://insights.example.com/zh/weibo-2021", zh_title="题" * 40)
    page = marketer.get(f"/console/articles/{ARTICLE}").get_data(as_text=True)
    title_issues = re.search(r'id="zh-title-issues">(.*?)</ul>', page, re.S).group(1)
    assert "标题有 40 个字符" in title_issues and 'id="zh-url-issues"' not in page


def test_stale_draft_save_is_refused_and_keeps_the_form(console_client, app):
    first, second = console_client("marketer"), console_client("marketer")
    form_a, form_b = _editor_form(first), _editor_form(second)
    form_a["zh-title"] = "甲的标题"
    assert first.post(f"/console/articles/{ARTICLE}", data=form_a).status_code == 303
    form_b["zh-summary"] = "乙写的摘要，不能丢"
    refused = second.post(f"/console/articles/{ARTICLE}", data=form_b)
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert first.name in page and "乙写的摘要，不能丢" in page            # who saved; nothing lost on screen
    assert f'name="rev" value="{form_b["rev"]}"' in page               # saving again is refused again
    draft = _svc(app).drafts.load()
    assert "甲的标题" in draft.bundle[ZH] and "乙写的摘要" not in draft.bundle[ZH]


def test_preview_renders_card_and_counters_without_saving(console_client, app):
    marketer = console_client("marketer")
    rev = _svc(app).drafts.load().rev
    form = _editor_form(marketer)
    form["zh-title"] = "一二三四五六七八九十一二三四五六七八九十一二三四五"   # 25 wide: a phone shows 22
    response = marketer.post(f"/console/articles/{ARTICLE}/preview", data=form, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'data-testid="card-title-zh">一二三四五六七八九十一二三四五六七八九十一…<', html)
    assert 'id="counter-zh-title" class="counter cut"' in html and "25/32" in html
    assert _svc(app).drafts.load().rev == rev


def test_markdown_preview_runs_no_html(console_client):
    marketer = console_client("marketer")
    form = _editor_form(marketer)
    form["zh-body"] = "## 小标题\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    html = marketer.post(f"/console/articles/{ARTICLE}/preview", data=form, htmx=True).get_data(as_text=True)
    assert "<h2>小标题</h2>" in html and "<script>" not in html and 'href="javascript' not in html


def test_new_article(console_client, app):
    marketer = console_client("marketer")
    assert marketer.post("/console/articles/new", data={"id": "Bad Id"}).status_code == 400
    assert marketer.post("/console/articles/new", data={"id": ARTICLE}).status_code == 400
    created = marketer.post("/console/articles/new", data={"id": "new-thing"})
    assert created.status_code == 302 and created.location.endswith("/console/articles/new-thing?new=1")
    assert marketer.get("/console/articles/no-such-article").status_code == 404
    form = {f"{lang}-{name}": "" for lang in ("zh", "en") for name in ("title", "summary", "url", "image", "tags",
                                                                          "date", "keywords", "body")}
    form.update({"rev": str(_svc(app).drafts.load().rev), "zh-title": "新文章", "zh-body": "正文"})
    assert marketer.post("/console/articles/new-thing", data=form).status_code == 303
    bundle = _svc(app).drafts.load().bundle
    assert "articles/zh/new-thing.md" in bundle and "articles/en/new-thing.md" not in bundle


def test_publish_needs_a_note_refuses_errors_and_goes_live(console_client, app, follower):
    marketer = console_client("marketer")
    svc = _svc(app)
    _save(marketer, zh_url="http://broken")
    rev = svc.drafts.load().rev
    live = svc.versions.current_number()
    refused = marketer.post("/console/publish", data={"rev": rev, "note": "try"})
    assert refused.status_code == 409 and "不能发布" in refused.get_data(as_text=True)
    # Each problem links to the field where it can be fixed.
    assert f'href="/console/articles/{ARTICLE}#zh-url"' in refused.get_data(as_text=True)
    assert svc.versions.current_number() == live
    _save(marketer, zh_url="https://insights.example.com/zh/weibo-2021", zh_title="微博在2021年依然增长")
    rev = svc.drafts.load().rev
    page = marketer.get("/console/publish").get_data(as_text=True)
    assert "+title: 微博在2021年依然增长" in page                       # the diff is shown first
    assert marketer.post("/console/publish", data={"rev": rev, "note": ""}).status_code == 400
    assert marketer.post("/console/publish", data={"rev": rev - 1, "note": "x"}).status_code == 409
    done = marketer.post("/console/publish", data={"rev": rev, "note": "新标题"})
    assert done.status_code == 302
    number = svc.versions.current_number()
    assert number == live + 1
    info = svc.versions.info(number)
    assert info.author == marketer.name and info.summary.startswith("新标题")
    assert "微博在2021年依然增长" in str(follower.send("微博"))
    assert svc.drafts.load().base == number                            # the draft follows the new live version
    assert svc.audit.entries()[0].action == "publish"


def test_versions_diff_and_rollback(console_client, app, follower):
    marketer = console_client("marketer")
    svc = _svc(app)
    first = svc.versions.current_number()
    _save(marketer, zh_title="回滚前的标题")
    marketer.post("/console/publish", data={"rev": svc.drafts.load().rev, "note": "v2"})
    second = svc.versions.current_number()
    listing = marketer.get("/console/versions").get_data(as_text=True)
    assert f'id="version-{first}"' in listing and f'id="version-{second}"' in listing and marketer.name in listing
    diff = marketer.get(f"/console/versions/diff?a={first}&b={second}").get_data(as_text=True)
    assert "+title: 回滚前的标题" in diff
    assert marketer.get("/console/versions/diff?a=1&b=999").status_code == 404
    assert "回滚前的标题" in str(follower.send("微博"))
    assert marketer.post(f"/console/versions/{first}/rollback").status_code == 302
    assert svc.versions.current_number() == first
    assert "回滚前的标题" not in str(follower.send("微博"))
    assert marketer.post("/console/versions/999/rollback").status_code == 404
    assert svc.audit.entries()[0].action == "rollback"
    assert console_client("sales").post(f"/console/versions/{second}/rollback").status_code == 403


def test_discard_draft(console_client, app):
    marketer = console_client("marketer")
    svc = _svc(app)
    _save(marketer, zh_title="不要了")
    assert "不要了" in marketer.get("/console/draft").get_data(as_text=True)
    stale = marketer.post("/console/draft/discard", data={"rev": 1})
    assert "不要了" in svc.drafts.load().bundle[ZH]
    assert stale.status_code == 302
    marketer.post("/console/draft/discard", data={"rev": svc.drafts.load().rev})
    assert "不要了" not in svc.drafts.load().bundle[ZH]


def test_audit_page_is_for_admins(console_client, app):
    _svc(app).audit.record("mei", "publish", "version 9: spring campaign")
    admin = console_client("admin")
    page = admin.get("/console/audit").get_data(as_text=True)
    assert "version 9: spring campaign" in page and "mei" in page
    filtered = admin.get("/console/audit?action=rollback").get_data(as_text=True)
    assert "spring campaign" not in filtered
    assert console_client("marketer").get("/console/audit").status_code == 403
