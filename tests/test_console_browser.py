"""The console in a real browser (headless Debian chromium via Playwright), as a marketer uses it.

Each test serves the real app (``/console/`` and ``/wechat``) on a free port; a simulated follower talks to
the same server, so "publish, and the follower gets it" is end to end. Screenshots of the main pages at
desktop and phone widths land in test-artifacts/console/.
"""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from devtools.simulator import Follower, HttpTransport
from tests.support.browser import login, shoot

ARTICLE = "weibo-2021"


def test_log_in_and_see_the_console(console_server, browser_page):
    page = browser_page()
    page.goto(console_server.url + "/console/")
    expect(page).to_have_url(re.compile(r"/console/login"))
    shoot(page, "login")
    page.get_by_label("用户名").fill(console_server.add_user("marketer", "mei"))
    page.get_by_label("密码").fill("wrong password!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    login(page, console_server.url, "mei")
    expect(page.get_by_role("heading", level=1)).to_contain_text("mei")
    expect(page.get_by_role("navigation").get_by_role("link", name="文章")).to_be_visible()
    shoot(page, "home")


def test_edit_zh_title_updates_the_card_preview(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + f"/console/articles/{ARTICLE}")
    card_title = page.get_by_test_id("card-title-zh")
    expect(card_title).to_contain_text("2021年的微博")
    title = page.get_by_label("标题").first
    title.fill("微博还有用吗？新的标题")
    expect(card_title).to_have_text("微博还有用吗？新的标题")
    expect(page.locator("#counter-zh-title")).to_contain_text("11/32")
    # Longer than a phone shows: the card cuts it with "…", the counter says so.
    title.fill("微博还有用吗？这是一个很长很长的标题会在手机上被截断")
    expect(card_title).to_have_text(re.compile(r"…$"))
    expect(page.locator("#counter-zh-title")).to_have_class(re.compile(r"\bcut\b"))
    shoot(page, "article-editor")


def _follower(console_server) -> Follower:
    settings = console_server.app.extensions["wxbot"].settings
    return Follower(HttpTransport(console_server.url), settings.wechat_token, openid="o_browser_follower",
                    mode="plain")


def _save_editor(page) -> None:
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()


def test_broken_field_shows_inline_error_and_publish_is_refused(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    live = console_server.app.extensions["wxbot.console"].versions.current_number()
    page.goto(console_server.url + f"/console/articles/{ARTICLE}")
    page.locator("#zh-url").fill("http://not-secure.example.com/weibo")
    _save_editor(page)
    issue = page.locator("#zh-url-issues")
    expect(issue).to_contain_text("https://")
    expect(page.locator("#zh-url")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("错误")
    shoot(page, "article-error")
    page.goto(console_server.url + "/console/publish")
    expect(page.locator("#problems")).to_contain_text(f"articles/zh/{ARTICLE}.md")
    page.get_by_label("说明（改了什么）").fill("should not go live")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("#publish-problem")).to_contain_text("不能发布")
    shoot(page, "publish-refused")
    assert console_server.app.extensions["wxbot.console"].versions.current_number() == live


def test_publish_reaches_a_follower_within_a_second_then_roll_back(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    follower = _follower(console_server)
    before = str(follower.send("微博"))
    assert "2021年的微博" in before
    page.goto(console_server.url + f"/console/articles/{ARTICLE}")
    page.locator("#zh-title").fill("微博依然重要：新标题")
    _save_editor(page)
    expect(page.get_by_role("status")).to_contain_text("已保存到草稿")
    page.get_by_role("navigation").get_by_role("link", name="草稿与发布").click()
    expect(page.locator("pre.diff")).to_contain_text("+title: 微博依然重要：新标题")
    shoot(page, "draft")
    page.get_by_role("button", name="发布草稿").click()
    expect(page.locator("pre.diff")).to_contain_text("+title: 微博依然重要：新标题")
    page.get_by_label("说明（改了什么）").fill("新标题")
    shoot(page, "publish")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已发布版本")
    published = time.monotonic()
    while "微博依然重要：新标题" not in (reply := str(follower.send("微博"))) and time.monotonic() - published < 1:
        time.sleep(0.05)
    assert "微博依然重要：新标题" in reply, reply
    assert time.monotonic() - published < 1.0
    shoot(page, "versions")
    # Roll back to the version before: the follower gets the old title again.
    page.on("dialog", lambda dialog: dialog.accept())
    live = console_server.app.extensions["wxbot.console"].versions.current_number()
    page.locator(f"#version-{live - 1}").get_by_role("button", name="回滚到此版本").click()
    expect(page.get_by_role("status")).to_contain_text(f"版本 {live - 1} 已上线")
    expect(page.locator(f"#version-{live - 1}")).to_contain_text("线上")
    rolled = time.monotonic()
    while "2021年的微博" not in (reply := str(follower.send("微博"))) and time.monotonic() - rolled < 1:
        time.sleep(0.05)
    assert "2021年的微博" in reply, reply


def test_editor_accessibility_labels_and_keyboard(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + f"/console/articles/{ARTICLE}")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.id || el.name)""")
    assert unlabelled == []
    # Keyboard only: from the zh title, Tab walks the zh fields in reading order, then the en ones.
    page.locator("#zh-title").focus()
    order: list[str] = []
    for _ in range(14):
        focused = page.evaluate("document.activeElement.id")
        if not order or order[-1] != focused:       # a date input takes a Tab per part (year, month, day)
            order.append(focused)
        page.keyboard.press("Tab")
    assert order[:8] == ["zh-title", "zh-summary", "zh-url", "zh-image", "zh-tags", "zh-date", "zh-keywords", "zh-body"]
    # Typing through the keyboard updates the preview like the mouse does.
    page.locator("#zh-title").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("键盘输入的标题")
    expect(page.get_by_test_id("card-title-zh")).to_have_text("键盘输入的标题")
    for path in ("/console/articles", "/console/draft", "/console/publish", "/console/versions", "/console/login"):
        page.goto(console_server.url + path)
        missing = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.id || el.name)""")
        assert missing == [], (path, missing)


def test_screenshots_of_the_main_pages(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("admin", "admin1"))
    for name, path in (("articles", "/console/articles"), ("audit", "/console/audit")):
        page.goto(console_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        shoot(page, name)
    page.goto(console_server.url + "/console/articles?missing=1")
    expect(page.locator("#article-list")).to_be_visible()
