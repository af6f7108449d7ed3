"""The menu editor in a real browser (headless Debian chromium via Playwright), as a marketer uses it: delete a
sub-button after the confirmation, add one with an article reply while the byte counters count, move it to
another group with the keyboard and back by dragging, then tap it in the phone preview. Screenshots at 1280 and
390 px land in test-artifacts/console/."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.browser import login, shoot

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.id || el.name)"""


def test_a_marketer_adds_moves_and_deletes_buttons(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + "/console/menu")
    group = page.get_by_test_id("group-0")
    expect(group.locator("[data-drag-group='sub-0']")).to_have_count(5)
    expect(page.get_by_test_id("add-sub-0")).to_have_count(0)                  # full: no "add" link
    assert page.evaluate(UNLABELLED) == []                  # every "move to group" select has its label

    # Delete one sub-button: a confirmation first, then it is gone.
    page.get_by_role("link", name="删除: 2021年回顾").click()
    expect(page.get_by_role("heading")).to_contain_text("删除按钮「2021年回顾」？")
    shoot(page, "menu-delete")
    page.get_by_role("button", name="确认删除").click()
    expect(page.get_by_role("status").first).to_contain_text("已从草稿删除")
    expect(group.locator("[data-drag-group='sub-0']")).to_have_count(4)
    expect(group).not_to_contain_text("2021年回顾")

    # A group's confirmation says its sub-buttons go too (and nothing is deleted by asking).
    page.get_by_role("link", name="删除: 微信营销").click()
    expect(page.get_by_test_id("delete-group")).to_contain_text("它的 5 个子按钮会一起删除")
    page.get_by_role("link", name="取消").click()
    expect(page.get_by_test_id("group-1").locator("[data-drag-group='sub-1']")).to_have_count(5)

    # Add a sub-button: names counted in bytes as they are typed, a key counter, an article as the reply.
    page.get_by_test_id("add-sub-0").click()
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("中文名称").fill("案例分享")
    expect(page.get_by_test_id("count-zh")).to_contain_text("12/60")
    page.get_by_label("英文名称").fill("Case studies")
    expect(page.get_by_test_id("count-en")).to_contain_text("12/60")
    page.get_by_label("类型", exact=True).select_option("view")                      # a view button asks for a URL only
    expect(page.get_by_label("网页地址")).to_be_visible()
    expect(page.get_by_label("按钮 KEY")).to_be_hidden()
    page.get_by_label("网页地址").fill("https://insights.example.com/" + "a" * 1000)
    expect(page.get_by_test_id("count-url")).to_contain_text("1029/1024")
    expect(page.get_by_test_id("count-url")).to_have_class(re.compile("bytes-over"))
    page.get_by_label("类型", exact=True).select_option("click")
    expect(page.get_by_label("网页地址")).to_be_hidden()
    page.get_by_label("按钮 KEY").fill("MENU_" + "X" * 124)
    expect(page.get_by_test_id("count-key")).to_contain_text("129/128")
    page.get_by_label("按钮 KEY").fill("")                               # left empty: generated on save
    expect(page.get_by_test_id("count-key")).to_contain_text("0/128")
    page.get_by_label("回复类型").select_option("article")
    expect(page.get_by_label("中文回复")).to_be_hidden()
    page.get_by_label("文章 ID").fill("weibo-2021")
    shoot(page, "menu-add")
    page.get_by_role("button", name="保存到草稿").click()
    expect(page.get_by_role("status").first).to_contain_text("按钮「案例分享」已添加到草稿")
    card = page.get_by_test_id("button-0-4")
    expect(card).to_contain_text("案例分享")
    expect(card).to_contain_text("MENU_CASE_STUDIES")
    expect(card).to_contain_text("一篇文章: weibo-2021")
    expect(page.get_by_test_id("bytes-0-4-zh")).to_have_text("zh 12/60 字节")
    expect(page.locator(".phone-menu")).to_contain_text("案例分享")

    # Keyboard only: choose the other group in "move to group" and press Enter on "move".
    page.get_by_label("移到分组: 案例分享").select_option(label="联系我们")
    page.get_by_test_id("button-0-4").get_by_role("button", name="移动").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("子按钮已移到「联系我们」")
    contact = page.get_by_test_id("group-2")
    expect(page.get_by_test_id("button-2-0")).to_contain_text("联系我们")      # its own action, first
    expect(page.get_by_test_id("button-2-1")).to_contain_text("案例分享")
    expect(page.get_by_test_id("group-0").locator("[data-drag-group='sub-0']")).to_have_count(4)
    expect(contact.locator(".group-foot")).to_contain_text("2/5 个子按钮")
    shoot(page, "menu-moved")

    # With the mouse: drag it onto the second sub-button of the first group; it lands there.
    page.get_by_test_id("button-2-1").drag_to(page.get_by_test_id("button-0-1"))
    expect(page.get_by_test_id("button-0-1")).to_contain_text("案例分享")
    expect(page.get_by_test_id("group-0").locator("[data-drag-group='sub-0']")).to_have_count(5)
    expect(page.get_by_test_id("group-2").locator("[data-drag-group='sub-2']")).to_have_count(1)
    expect(page.get_by_test_id("add-sub-0")).to_have_count(0)
    # The phone frame shows the group's new order.
    expect(page.locator(".phone-menu details").first.locator(".subs button").nth(1)).to_have_text("案例分享")

    # The phone preview runs the draft: tapping the new button sends the article.
    page.goto(console_server.url + "/console/preview")
    page.locator(".phone-menu summary", has_text="洞察").click()
    page.locator(".phone-menu button", has_text="案例分享").click()
    expect(page.get_by_test_id("news-card")).to_contain_text("2021年的微博")
    shoot(page, "menu-preview")
