"""Routing through the real webhook: order, keyword kinds, menu clicks, QR scenes, numbered lists, language."""
from __future__ import annotations

import os
import shutil
import uuid

import pytest

from app import build_router, create_app
from devtools.simulator import FlaskTransport, Follower

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "content")

KOL_ZH = "中国偶像经济：KOL与KOC有何不同"
KOL_EN = "China's Idol Economy: KOLs vs KOCs"
WEIBO_ZH_URL = "https://insights.example.com/zh/weibo-2021"
WEIBO_EN_URL = "https://insights.example.com/en/weibo-2021"


def test_router_order_is_the_documented_one():
    names = [route.name for route in build_router().routes()]
    order = ["remember_language", "switch_language", "send_more", "answer_lead_question", "welcome_subscriber",
             "reply_menu_click", "reply_numbered_choice", "reply_keyword", "reply_search", "reply_fallback"]
    positions = [names.index(name) for name in order]
    assert positions == sorted(positions), names


def test_keyword_replies_with_the_article_in_chinese_by_default(follower):
    reply = follower.send("KOL")
    assert reply.type == "news" and len(reply.articles) == 1
    assert reply.articles[0]["Title"] == KOL_ZH
    assert reply.articles[0]["Url"] == "https://insights.example.com/zh/idol-economy-kol-koc"


def test_full_width_and_case_do_not_matter(follower):
    assert follower.send("ｋｏｌ").articles[0]["Title"] == KOL_ZH
    assert follower.send(" B站 ").articles[0]["Url"].endswith("/zh/bilibili-gen-z")


def test_english_text_gets_the_english_article(follower, bot):
    reply = follower.send("Tell me about KOL marketing")
    assert reply.articles[0]["Title"] == KOL_EN
    assert bot.store.load(follower.openid).lang == "en"


def test_switching_language_explicitly_sticks(follower, bot):
    assert "English" in follower.send("English").content
    assert follower.send("微博").articles[0]["Url"] == WEIBO_EN_URL          # chosen: Chinese text keeps English
    assert "中文" in follower.send("中文").content
    assert follower.send("Weibo").articles[0]["Url"] == WEIBO_ZH_URL
    assert bot.store.load(follower.openid).lang == "zh"


def test_language_follows_the_text_until_chosen(follower):
    assert follower.send("what about weibo").articles[0]["Url"] == WEIBO_EN_URL
    assert follower.send("微博怎么样").articles[0]["Url"] == WEIBO_ZH_URL


def test_voice_recognition_works_like_text(follower):
    reply = follower.voice("微博。")
    assert reply.type == "news" and reply.articles[0]["Url"] == WEIBO_ZH_URL


def test_menu_click_sends_its_article(follower):
    reply = follower.click("MENU_KOL")
    assert reply.type == "news" and [a["Title"] for a in reply.articles] == [KOL_ZH]


def test_menu_click_may_send_up_to_eight_cards(follower):
    reply = follower.click("MENU_ROUNDUP")
    assert reply.type == "news" and len(reply.articles) == 8


def test_unknown_menu_key_gets_help(follower):
    reply = follower.click("MENU_RETIRED")
    assert reply.type == "text" and "KOL" in reply.content


def test_several_articles_to_a_typed_keyword_become_a_numbered_list(follower, bot):
    listed = follower.send("B站与Z世代")
    assert listed.type == "text"
    assert "1 或 2" in listed.content and "1. B站：" in listed.content and "2. " in listed.content
    picked = follower.send("２")                                      # full-width digit
    assert picked.type == "news" and picked.articles[0]["Url"].endswith("/zh/bilibili-luxury-brands")
    assert not bot.store.load(follower.openid).choices
    again = follower.send("2")                                       # the list was used up
    assert again.type != "news"


def test_a_digit_without_a_list_is_not_a_choice(follower):
    assert follower.send("1").type == "text"


def test_sent_articles_are_remembered_for_leads(follower, bot):
    follower.send("KOL")
    follower.click("MENU_WEIBO")
    follower.send("KOL")
    assert bot.store.load(follower.openid).read == ["weibo-2021", "idol-economy-kol-koc"]
    follower.click("MENU_ROUNDUP")
    read = bot.store.load(follower.openid).read
    assert len(read) == 10 and read[-1] == "bilibili-luxury-brands"


@pytest.mark.parametrize("word", ["contact", "合作", "咨询", "联系"])
def test_contact_words_start_the_lead_flow(make_follower, bot, word):
    follower = make_follower()
    follower.send("KOL")
    reply = follower.send(word)
    assert reply.type == "text"
    session = bot.store.load(follower.openid)
    assert session.state.startswith("lead:")
    assert session.flow.source["kind"] == "keyword"
    assert session.flow.source["key"] == "contact"
    assert session.flow.source["read"] == ["idol-economy-kol-koc"]


def test_contact_menu_starts_the_lead_flow(follower, bot):
    reply = follower.click("MENU_CONTACT")
    assert reply.type == "text"
    session = bot.store.load(follower.openid)
    assert session.state.startswith("lead:")
    assert session.flow.source == {"kind": "menu", "key": "MENU_CONTACT", "read": []}


def test_without_a_flow_engine_contact_gets_the_contact_text(follower, bot):
    bot.flows = None
    reply = follower.click("MENU_CONTACT")
    assert "hello@insights.example.com" in reply.content


def test_expo_qr_scene_welcomes_and_starts_the_flow(follower, bot):
    reply = follower.subscribe(scene="expo2026")
    assert reply.content.startswith("感谢您在 2026 中国国际大数据产业博览会现场扫码关注！")
    session = bot.store.load(follower.openid)
    assert session.state.startswith("lead:") and session.scene == "expo2026"
    assert session.flow.source["kind"] == "scene" and session.flow.source["key"] == "expo2026"


def test_scene_without_flow_and_unknown_scene(make_follower, bot):
    newsletter = make_follower()
    assert newsletter.subscribe(scene="newsletter").content.startswith("欢迎从我们的周报来到这里")
    assert not bot.store.load(newsletter.openid).state
    stranger = make_follower()
    assert stranger.subscribe(scene="no-such-scene").content == bot.library.current().message("welcome", "zh")
    assert make_follower().subscribe().content.startswith("欢迎关注")


def test_scan_of_a_known_scene_uses_its_welcome(follower):
    follower.send("English")
    assert follower.scan("newsletter").content.startswith("Welcome from our newsletter!")
    assert follower.scan("other").content.startswith("Welcome back!")


def test_menu_button_names_can_be_typed(follower):
    assert len(follower.send("2021年回顾").content.splitlines()) == 9    # header + 8 numbered titles
    assert follower.send("B站与Z世代").type == "text"                     # two articles: a list


def test_asking_for_the_latest_news_is_told_the_roundups_are_from_2021(follower):
    reply = follower.send("本周速览")
    assert reply.type == "text" and "2021 年" in reply.content and "「2021年回顾」" in reply.content
    follower.send("English")
    assert '"2021 roundup"' in follower.send("latest news").content


# -- rule kinds and priorities on a purpose-built tree -----------------------------------------------------
EXTRA_RULES = """
  - name: t-exact
    keywords: [alphabet]
    reply: {text: {zh: "EXACT", en: "EXACT"}}
  - name: t-regex
    keywords: ["^alpha\\\\w+"]
    match: regex
    reply: {text: {zh: "REGEX", en: "REGEX"}}
  - name: t-contains-low
    keywords: [alphabet soup]
    match: contains
    reply: {text: {zh: "CONTAINS-LOW", en: "CONTAINS-LOW"}}
  - name: t-contains-high
    keywords: [soup]
    match: contains
    priority: 3
    reply: {text: {zh: "CONTAINS-HIGH", en: "CONTAINS-HIGH"}}
  - name: t-shadow-search
    keywords: [bullet comments]
    match: contains
    reply: {text: {zh: "RULE", en: "RULE"}}
"""


@pytest.fixture
def custom_follower(make_settings, redis, tmp_path):
    directory = str(tmp_path / "content")
    shutil.copytree(CONTENT, directory)
    with open(os.path.join(directory, "rules.yaml"), "a", encoding="utf-8") as fh:
        fh.write(EXTRA_RULES)
    settings = make_settings(content_dir=directory)
    app = create_app(settings, redis=redis)
    return Follower(FlaskTransport(app.test_client()), settings.wechat_token, openid="o_" + uuid.uuid4().hex[:12],
                    mode="plain")


def test_exact_before_regex_before_contains(custom_follower):
    assert custom_follower.send("Alphabet").content == "EXACT"
    assert custom_follower.send("alphabets").content == "REGEX"            # not exact; the regex fits
    assert custom_follower.send("I like alphabet soup").content == "CONTAINS-HIGH"   # priority 3 beats 0


def test_contains_needs_whole_latin_words(custom_follower):
    assert custom_follower.send("soup, please").content == "CONTAINS-HIGH"
    assert custom_follower.send("soupy weather").content != "CONTAINS-HIGH"     # "soup" inside a word


def test_a_rule_wins_over_search(custom_follower):
    assert custom_follower.send("videos with bullet comments").content == "RULE"


def test_a_flow_the_engine_does_not_know_gets_the_contact_text(make_settings, redis, tmp_path):
    directory = str(tmp_path / "content")
    shutil.copytree(CONTENT, directory)
    shutil.copy(os.path.join(directory, "flows", "lead.yaml"), os.path.join(directory, "flows", "webinar.yaml"))
    with open(os.path.join(directory, "rules.yaml"), "a", encoding="utf-8") as fh:
        fh.write("  - name: webinar\n    keywords: [webinar]\n    flow: webinar\n")
    settings = make_settings(content_dir=directory)
    app = create_app(settings, redis=redis)
    follower = Follower(FlaskTransport(app.test_client()), settings.wechat_token, openid="o_webinar", mode="plain")
    assert "hello@insights.example.com" in follower.send("webinar").content
