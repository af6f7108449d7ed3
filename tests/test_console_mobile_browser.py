"""The console in WeChat's in-app browser on a 375 px phone: marketers and sales open console links from WeChat
chats, so every main page must fit the screen (no sideways scrolling), the nav must wrap into reach and the forms
must be fillable and sendable by touch. Headless Debian chromium with WeChat's own user agent and a mobile
viewport; screenshots land in test-artifacts/console/wechat-*.png."""
from __future__ import annotations

import os
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from leads.store import LeadStore
from tests.support.browser import ARTIFACTS, login
from wechat.redis_conn import Keys

WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")
WIDTH, HEIGHT = 375, 667

# Where each element sits, and whether the document scrolls sideways. Elements inside a scroll box of their own
# (a wide table in .table-wrap, the preview chat) may extend past the screen: the box scrolls, not the page.
_LAYOUT = """() => {
  const vw = window.innerWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p); if (['auto', 'scroll'].includes(s.overflowX) && p.scrollWidth > p.clientWidth) return true; }
    return false; };
  const shown = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && r.left > -1000; };
  const outside = [];
  for (const el of document.querySelectorAll('nav a, nav button, main input, main select, main textarea, main button, main a[role=button]')) {
    if (!shown(el) || scrolls(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.left < -1 || r.right > vw + 1) outside.push(el.outerHTML.slice(0, 120));
  }
  const unlabelled = [];
  for (const el of document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')) {
    if (!shown(el)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) unlabelled.push(el.outerHTML.slice(0, 120));
  }
  return {vw, doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, outside, unlabelled};
}"""


@pytest.fixture
def wechat_page(chromium: Any) -> Iterator[Any]:
    """A page as WeChat's in-app browser on an iPhone opens it: its user agent, 375 px, touch, zh-CN."""
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT}, user_agent=WECHAT_UA,
                                   is_mobile=True, has_touch=True, device_scale_factor=2, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _fits(page: Any, name: str) -> None:
    layout = page.evaluate(_LAYOUT)
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"wechat-{name}.png"), full_page=True)
    assert layout["vw"] == WIDTH
    assert layout["doc"] <= WIDTH and layout["body"] <= WIDTH, f"{name} scrolls sideways: {layout}"
    assert not layout["outside"], f"{name}: off screen: {layout['outside']}"
    assert not layout["unlabelled"], f"{name}: inputs without a label: {layout['unlabelled']}"


MARKETER_PAGES = [("home", "/console/"), ("articles", "/console/articles"),
                  ("article", "/console/articles/weibo-2021"), ("rules", "/console/rules"),
                  ("rule-edit", "/console/rules/edit?name=greeting"), ("texts", "/console/texts/messages"),
                  ("lead-form-texts", "/console/texts/lead_form"), ("menu", "/console/menu"),
                  ("preview", "/console/preview"), ("analytics", "/console/analytics"), ("draft", "/console/draft"),
                  ("versions", "/console/versions")]


def test_the_wechat_browser_sends_its_user_agent(console_server, wechat_page):
    wechat_page.goto(console_server.url + "/console/login")
    assert "MicroMessenger/8.0.47" in wechat_page.evaluate("navigator.userAgent")
    _fits(wechat_page, "login")


@pytest.mark.parametrize("name, path", MARKETER_PAGES, ids=[n for n, _ in MARKETER_PAGES])
def test_marketer_pages_fit_a_375px_wechat_screen(console_server, wechat_page, name, path):
    login(wechat_page, console_server.url, console_server.add_user("marketer"))
    wechat_page.goto(console_server.url + path)
    expect(wechat_page.locator("main h1").first).to_be_visible()
    _fits(wechat_page, name)


def test_sales_pages_fit_and_filter_by_touch(console_server, wechat_page, redis, key_prefix):
    store = LeadStore(redis, Keys(key_prefix))
    lead = store.capture("o_phone", "r1", {"name": "欧阳娜娜娜娜", "company": "上海某某某某数字营销咨询有限公司",
                                           "phone": "13800138000", "email": "a.very.long.address@example-company.com",
                                           "need": "social", "need_label": "社交媒体营销与 KOL 合作",
                                           "source": {"kind": "menu", "key": "MENU_CONTACT"}, "lang": "zh"})
    login(wechat_page, console_server.url, console_server.add_user("sales"))
    for name, path in (("leads", "/console/leads"), ("lead", f"/console/leads/{lead.lead_id}"),
                       ("erasures", "/console/leads/erasures")):
        wechat_page.goto(console_server.url + path)
        _fits(wechat_page, name)
    wechat_page.goto(console_server.url + "/console/leads")
    wechat_page.get_by_label("来源").select_option("scene")
    wechat_page.get_by_role("button", name="筛选").tap()
    expect(wechat_page.get_by_test_id("leads-total")).to_contain_text("共 0 条")
    assert "source=scene" in wechat_page.url
    _fits(wechat_page, "leads-filtered")


def test_nav_wraps_into_reach_and_works_by_touch(console_server, wechat_page):
    login(wechat_page, console_server.url, console_server.add_user("admin"))
    wechat_page.goto(console_server.url + "/console/")
    links = wechat_page.locator("header nav a")
    assert links.count() >= 12                      # admins see every page
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH and box["height"] >= 16
    _fits(wechat_page, "nav-admin")
    wechat_page.locator("header nav").get_by_role("link", name="关键词规则").tap()
    expect(wechat_page).to_have_url(console_server.url + "/console/rules")
    for name, path in (("users", "/console/users"), ("audit", "/console/audit")):
        wechat_page.goto(console_server.url + path)
        _fits(wechat_page, name)


def test_forms_are_fillable_and_sendable_by_touch(console_server, wechat_page):
    login(wechat_page, console_server.url, console_server.add_user("marketer"))
    wechat_page.goto(console_server.url + "/console/rules")
    wechat_page.get_by_label("粉丝发送的文字").fill("KOL")
    wechat_page.get_by_role("button", name="试一试").first.tap()
    expect(wechat_page.get_by_test_id("which-verdict")).to_be_visible()
    _fits(wechat_page, "rules-which")
    wechat_page.goto(console_server.url + "/console/rules/edit?name=greeting")
    wechat_page.get_by_role("button", name="增加备选项").tap()
    expect(wechat_page.get_by_test_id("alternative-2")).to_be_visible()
    _fits(wechat_page, "rule-edit-alternatives")
    wechat_page.goto(console_server.url + "/console/preview")
    wechat_page.get_by_label("输入消息").fill("你好")
    wechat_page.get_by_role("button", name="发送").tap()
    expect(wechat_page.get_by_test_id("chat")).to_contain_text("你好")
    _fits(wechat_page, "preview-chat")
