"""Issue #11's console gaps in a real browser (headless Debian chromium via Playwright): "which rule answers
this?" for a menu tap and a QR follow, by keyboard; a random reply's alternatives edited in the rule editor; the
leads list paged with its filters kept; checker problems in Chinese; erasure requests with their state."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from leads.store import LeadStore
from tests.support.browser import login, shoot
from wechat.redis_conn import Keys


def test_which_rule_for_a_menu_tap_and_a_qr_follow_by_keyboard(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + "/console/rules")
    button = page.get_by_label("菜单按钮", exact=True)
    button.focus()
    button.select_option("MENU_CONTACT")
    page.keyboard.press("Tab")                                   # to its "try it" button
    page.keyboard.press("Enter")
    verdict = page.get_by_test_id("which-verdict")
    expect(verdict).to_contain_text("（MENU_CONTACT）的回复")
    expect(page.locator("#which-result")).to_contain_text("请问怎么称呼您")
    page.get_by_label("二维码场景值（可留空）").fill("expo2026")
    page.keyboard.press("Tab")                                   # to "follow (new follower)"
    page.keyboard.press("Enter")
    expect(verdict).to_contain_text("二维码场景「expo2026」的欢迎语")
    expect(page.locator("#which-result")).to_contain_text("博览会")
    shoot(page, "rules-which-event")


def test_edit_a_random_replys_alternatives(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + "/console/rules/edit?name=greeting")
    expect(page.get_by_label("回复类型")).to_have_value("random")
    page.get_by_label("新备选项的类型").select_option("message")
    page.get_by_role("button", name="增加备选项").click()
    third = page.get_by_test_id("alternative-2")
    expect(third).to_contain_text("备选 3 · 消息模板")
    third.get_by_label("消息名").fill("help")
    page.get_by_test_id("alternative-0").get_by_label("中文").fill("您好！想了解哪个话题？")
    page.get_by_role("button", name="删除备选 2").click()
    expect(page.get_by_test_id("alternative-2")).to_have_count(0)
    expect(page.get_by_test_id("alternative-1")).to_contain_text("消息模板")
    expect(page.get_by_test_id("alternative-0").get_by_label("中文")).to_have_value("您好！想了解哪个话题？")
    page.get_by_role("button", name="保存到草稿").last.click()
    expect(page.get_by_role("status").first).to_contain_text("greeting")
    expect(page.locator('tr[data-rule="greeting"]')).to_contain_text("2 replies")
    page.goto(console_server.url + "/console/rules/edit?name=greeting")
    expect(page.get_by_test_id("alternative-1").get_by_label("消息名")).to_have_value("help")
    shoot(page, "rule-random")


def test_leads_pages_keep_their_filters(console_server, browser_page, redis, key_prefix):
    store = LeadStore(redis, Keys(key_prefix))
    for i in range(60):
        store.capture(f"o_{i}", f"r{i}", {"name": f"客户{i}", "phone": "13800138000",
                                          "source": {"kind": ("menu", "scene")[i % 6 == 0], "key": "MENU_CONTACT"},
                                          "lang": "zh"})
    login(page := browser_page(), console_server.url, console_server.add_user("sales"))
    page.goto(console_server.url + "/console/leads")
    page.get_by_label("来源").select_option("menu")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("leads-total")).to_contain_text("共 50 条")
    expect(page.get_by_role("link", name="下一页")).to_have_count(0)        # 50 fit one page
    page.get_by_label("来源").select_option("")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("leads-total")).to_contain_text("共 60 条")
    expect(page.locator("table.leads tbody tr")).to_have_count(50)
    page.get_by_role("link", name="下一页").click()
    expect(page.locator("table.leads tbody tr")).to_have_count(10)
    expect(page.get_by_text("第 2 / 2 页")).to_be_visible()
    page.get_by_role("link", name="上一页").click()
    expect(page.locator("table.leads tbody tr")).to_have_count(50)
    assert re.search(r"from=\d{4}-\d\d-\d\d", page.url) and "page=1" in page.url
    shoot(page, "leads-paged")


def test_checker_problem_in_chinese_next_to_the_rule(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + "/console/rules/edit")
    page.get_by_label("名称").fill("broken")
    page.get_by_label("关键词").fill("zzqx")
    page.get_by_label("回复类型").select_option("article")
    page.get_by_label("文章 ID / 消息名 / 流程名（多篇文章用逗号分隔）").fill("no-such-article")
    page.get_by_role("button", name="保存到草稿").last.click()
    expect(page.get_by_role("alert")).to_contain_text("有错误需要修正")       # saved, and back on its editor
    expect(page.get_by_test_id("rule-issues")).to_contain_text("未知文章「no-such-article」")
    expect(page.get_by_test_id("rule-issues")).to_contain_text("是不是想写")
    page.goto(console_server.url + "/console/rules")
    expect(page.locator('tr[data-rule="broken"]')).to_contain_text("未知文章「no-such-article」")


def test_erasure_requests_with_their_state(console_server, browser_page, redis, key_prefix):
    store = LeadStore(redis, Keys(key_prefix))
    lead = store.capture("o_erase", "r1", {"name": "张三", "phone": "13800138000", "lang": "zh",
                                           "source": {"kind": "menu", "key": "MENU_CONTACT"}})
    login(page := browser_page(), console_server.url, console_server.add_user("sales"))
    page.goto(console_server.url + f"/console/leads/{lead.lead_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="按请求删除此粉丝的全部数据").click()
    expect(page.get_by_test_id("erasure-counts")).to_contain_text("处理中 1 · 失败 0 · 已完成 0")
    row = page.get_by_test_id("erasure-requests").locator("tbody tr").first
    expect(row).to_contain_text("销售代为提出")
    expect(row).to_contain_text(lead.lead_id)
    expect(page.locator("main")).not_to_contain_text("13800138000")
    shoot(page, "erasures")
