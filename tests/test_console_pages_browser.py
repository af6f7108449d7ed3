"""Rules, menu, preview, analytics and leads pages in a real browser (headless Debian chromium via Playwright),
as marketers and sales use them. Screenshots at 1280 and 390 px land in test-artifacts/console/."""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from devtools.simulator import Follower, HttpTransport
from leads.store import LeadStore
from tests.support.browser import login, shoot
from wechat.jobs import QUEUES, get_queue
from wechat.redis_conn import Keys


@pytest.fixture
def settings(outbound_settings):
    return outbound_settings       # menu publishing talks to the local fake WeChat API


def test_add_a_rule_and_try_it_in_the_which_rule_box(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + "/console/rules")
    page.get_by_role("button", name="新建规则").click()
    page.get_by_label("名称").fill("pricing")
    page.get_by_label("关键词").fill("刊例\nrate card")
    page.get_by_label("匹配方式").select_option("contains")
    page.get_by_label("优先级").fill("5")
    page.get_by_label("中文回复").fill("报价请联系我们的顾问")
    page.get_by_label("英文回复").fill("Ask our consultants for a quote")
    page.get_by_role("button", name="保存到草稿").click()
    expect(page.get_by_role("status").first).to_contain_text("pricing")
    expect(page.locator('tr[data-rule="pricing"]')).to_contain_text("包含")
    page.get_by_label("粉丝发送的文字").fill("能发一下刊例吗")
    page.get_by_role("button", name="试一试").click()
    verdict = page.get_by_test_id("which-verdict")
    expect(verdict).to_contain_text("关键词规则「pricing」")
    expect(page.locator("#which-result")).to_contain_text("报价请联系我们的顾问")
    expect(page.locator("#which-result")).to_contain_text("优先级：5")
    shoot(page, "rules")


def test_reorder_the_menu_and_see_the_byte_counters(console_server, browser_page):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + "/console/menu")
    first = page.get_by_test_id("button-0-0")
    expect(first).to_contain_text("KOL与偶像经济")
    expect(page.get_by_test_id("bytes-0-0-zh")).to_have_text("zh 18/60 字节")
    # Keyboard only: focus the "move down" button of the first sub-button and press Enter.
    page.get_by_role("button", name="下移: KOL与偶像经济").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("button-0-1")).to_contain_text("KOL与偶像经济")
    expect(page.get_by_test_id("button-0-0")).to_contain_text("B站与Z世代")
    expect(page.get_by_test_id("bytes-0-0-zh")).to_have_text("zh 14/60 字节")
    # With the mouse: drag the first sub-button onto the third; the column is saved in its new order.
    third = page.get_by_test_id("button-0-2").inner_text().split("/")[0].strip()
    page.get_by_test_id("button-0-0").drag_to(page.get_by_test_id("button-0-2"))
    expect(page.get_by_test_id("button-0-1")).to_contain_text(third)
    expect(page.get_by_test_id("button-0-2")).to_contain_text("B站与Z世代")
    shoot(page, "menu")
    # Live counter while typing a top-level name: 18 bytes is over WeChat's 16.
    page.goto(console_server.url + "/console/menu/button?top=0")
    page.get_by_label("中文名称").fill("洞察洞察洞察")
    expect(page.get_by_test_id("count-zh")).to_contain_text("18/16")
    expect(page.get_by_test_id("count-zh")).to_have_class(re.compile("bytes-over"))
    page.goto(console_server.url + "/console/menu/publish")
    expect(page.get_by_test_id("menu-diff").first).to_be_visible()
    shoot(page, "menu-publish")
    page.get_by_role("button", name="发布菜单到微信").click()
    expect(page.get_by_role("status").first).to_contain_text("菜单已发布到微信")


def test_walk_the_lead_form_in_preview_and_no_lead_reaches_the_crm(console_server, browser_page, redis, settings,
                                                                  key_prefix):
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + "/console/preview")
    chat = page.get_by_test_id("chat")
    page.get_by_text("联系我们", exact=True).first.click()          # the top-level "Contact us" menu button
    expect(chat).to_contain_text("请问怎么称呼您")
    box = page.get_by_label("输入消息")
    for answer, step in (("张三", "company"), ("示例科技", "role"), ("市场总监", "contact"),
                         ("13800138000", "need"), ("2", "consent"), ("1", "confirm")):
        box.fill(answer)
        box.press("Enter")
        expect(page.get_by_test_id("flow-state").last).to_contain_text(f"lead:{step}")
    expect(chat).to_contain_text("13800138000")          # the summary quotes the answers
    box.fill("确认")
    box.press("Enter")
    expect(page.get_by_test_id("lead-withheld")).to_be_visible()
    shoot(page, "preview")
    assert LeadStore(redis, Keys(key_prefix)).log_entries() == []
    assert all(len(get_queue(redis, settings, q)) == 0 for q in QUEUES)


def test_sales_exports_csv_and_a_marketer_cannot_open_leads(console_server, browser_page, redis, key_prefix):
    store = LeadStore(redis, Keys(key_prefix))
    lead = store.capture("o_browser", "run-1", {"name": "李雷", "company": "示例", "phone": "13700001111",
                                                "email": None, "source": {"kind": "menu", "key": "MENU_CONTACT"}})
    login(page := browser_page(), console_server.url, console_server.add_user("sales"))
    page.goto(console_server.url + "/console/leads")
    expect(page.get_by_role("link", name=lead.lead_id)).to_be_visible()
    shoot(page, "leads")
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == lead.lead_id and "13700001111" in rows[1]
    marketer = browser_page()
    login(marketer, console_server.url, console_server.add_user("marketer"))
    expect(marketer.get_by_role("navigation").get_by_role("link", name="销售线索")).to_have_count(0)
    response = marketer.goto(console_server.url + "/console/leads")
    assert response.status == 403
    expect(marketer.locator("body")).not_to_contain_text("13700001111")


def test_analytics_page_has_charts(console_server, browser_page, settings):
    for n, texts in enumerate((("help", "KOL", "teenager mode on short video"), ("help", "zzqx vvqq", "咨询", "张三"),
                               ("help", "zzqx qqvv widgets"))):
        follower = Follower(HttpTransport(console_server.url), settings.wechat_token, openid=f"o_chart_{n}",
                            mode="plain")
        follower.subscribe("expo2026" if n == 1 else "")
        follower.click("MENU_KOL")
        for text in texts:
            follower.send(text)
    login(page := browser_page(), console_server.url, console_server.add_user("marketer"))
    page.goto(console_server.url + "/console/analytics")
    expect(page.locator("figure.chart svg")).to_have_count(6)
    expect(page.get_by_test_id("summary")).to_contain_text("3 位粉丝互动")
    expect(page.locator("body")).to_contain_text("zzqx qqvv widgets")
    shoot(page, "analytics")
    page.goto(console_server.url + "/console/texts/lead_form")
    expect(page.get_by_label("中文").first).to_be_visible()
    shoot(page, "texts")
