"""Contract over the real content/ tree: a marketer's typo, a dangling reference or a broken limit fails CI."""
from __future__ import annotations

import os

import pytest

from handlers.content_needs import CONTENT_NEEDS
from library.bundle import read_dir
from library.checker import check_bundle
from library.compiled import compile_bundle
from wechat.menu import menu_from_content, validate_menu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "content")


@pytest.fixture(scope="module")
def report():
    return check_bundle(read_dir(CONTENT), CONTENT_NEEDS)


@pytest.fixture(scope="module")
def content():
    return compile_bundle(read_dir(CONTENT), version=1, needs=CONTENT_NEEDS)


def test_real_content_has_no_errors_or_warnings(report):
    assert [str(i) for i in report.issues] == []


def test_every_article_exists_in_both_languages(content):
    assert len(content.articles) >= 18
    for article_id, variants in content.articles.items():
        assert set(variants) == {"zh", "en"}, article_id
        assert variants["en"].url.endswith(f"/en/{article_id}") and variants["zh"].url.endswith(f"/zh/{article_id}")


def test_every_message_the_bot_asks_for_has_both_languages(content):
    for name in CONTENT_NEEDS.messages:
        assert content.message(name, "zh") and content.message(name, "en"), name
        assert content.message(name, "zh") != content.message(name, "en"), name


def test_menu_has_three_buttons_one_for_contact(content):
    menu = content.data["menu.yaml"]
    assert len(menu["buttons"]) == 3
    contact = [b for b in menu["buttons"] if b.get("key") == "MENU_CONTACT"]
    assert contact and contact[0]["flow"] == "lead"
    assert content.click("MENU_CONTACT").flow == "lead"


def test_menu_passes_the_menu_publishers_checks(content):
    menus = menu_from_content(content.data["menu.yaml"])
    assert validate_menu(menus) == []
    assert menus["conditionalmenu"][0]["matchrule"] == {"language": "en"}


def test_every_click_key_answers(content):
    menus = menu_from_content(content.data["menu.yaml"])
    keys = {sub["key"] for b in menus["button"] for sub in b.get("sub_button", [b]) if sub.get("type") == "click"}
    assert keys and keys == set(content.clicks)


@pytest.mark.parametrize("word", ["contact", "合作", "咨询", "联系", "我想咨询一下合作", "Contact us"])
def test_contact_words_start_the_lead_flow(content, word):
    hit = content.match(word)
    assert hit is not None and hit.target.action.flow == "lead"


@pytest.mark.parametrize("word, article", [
    ("KOL", "idol-economy-kol-koc"), ("kol营销", "idol-economy-kol-koc"), ("Bilibili", "bilibili-gen-z"),
    ("B站", "bilibili-gen-z"), ("B2B", "wechat-b2b"), ("教育", "wechat-education"), ("微博", "weibo-2021"),
    ("抖音", "douyin-youth-mode"), ("个保法", "pipl-personal-information-law"), ("跳一跳", "tiao-yi-tiao-mini-games"),
    ("数博会", "big-data-expo-guiyang-2018"), ("Ayayi", "amx-ayayi-metahuman"), ("私域流量", "meituan-private-traffic"),
])
def test_issue_keywords_reach_their_article(content, word, article):
    hit = content.match(word)
    assert hit is not None
    assert hit.target.action.article == article or article in (hit.target.action.articles or [])


def test_xiaohongshu_says_there_is_no_article_and_offers_the_closest_and_a_consultant(content):
    for word in ("小红书", "Xiaohongshu", "RED", "小红书怎么投放"):
        reply = content.match(word).target.action
        assert reply.articles is None and reply.article is None, word
        assert "还没有专门介绍小红书的文章" in reply.text.zh and "don't have an article on Xiaohongshu" in reply.text.en
        assert "「咨询」" in reply.text.zh and '"contact"' in reply.text.en
        assert content.match("安慕希").target.action.article == "amx-ayayi-metahuman"       # the pointers lead somewhere


def test_expo_scene_welcomes_and_starts_the_lead_flow(content):
    scene = content.scene("expo2026")
    assert scene.welcome.zh and scene.welcome.en and scene.flow == "lead"
    assert "lead" in content.flows


def test_fallback_topics_come_from_the_menu(content):
    assert content.topics("zh").startswith("KOL与偶像经济、B站与Z世代")
    assert content.topics("en").startswith("KOLs & idols, Bilibili & Gen Z")
    assert "{topics}" not in content.message("fallback", "en", topics=content.topics("en"))


def test_every_article_is_reachable_by_a_rule_menu_or_keyword(content):
    reached = {spec.article for spec in content.clicks.values() if spec.article}
    reached |= {a for spec in content.clicks.values() for a in (spec.articles or [])}
    for article_id in content.articles:
        keyword = content.articles[article_id]["en"].keywords[0]
        hit = content.match(keyword)
        assert article_id in reached or (hit and hit.target.action.article == article_id), article_id
