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
