"""Search relevance: realistic follower questions in both languages find their article; chit-chat finds nothing."""
from __future__ import annotations

import os

import pytest

from library.bundle import read_dir
from library.compiled import compile_bundle
from library.search import confident, tokenize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (question, language it is asked in, the article that answers it)
QUESTIONS = [
    # English
    ("how do brands reach Gen Z on video platforms?", "en", "bilibili-gen-z"),
    ("Which video site do young Chinese people watch with bullet comments?", "en", "bilibili-gen-z"),
    ("should my brand work with celebrities or everyday consumers to promote products", "en", "idol-economy-kol-koc"),
    ("why do fans buy what their idols recommend", "en", "idol-economy-kol-koc"),
    ("is microblogging still popular in China", "en", "weibo-2021"),
    ("how many monthly active users does Sina's social network have", "en", "weibo-2021"),
    ("how can a university recruit Chinese students online", "en", "wechat-education"),
    ("which type of official account is best for a business selling to other companies", "en", "wechat-b2b"),
    ("how long can children under 14 use short video apps", "en", "douyin-youth-mode"),
    ("what does China's new data privacy law mean for targeted advertising", "en", "pipl-personal-information-law"),
    ("can I share Taobao links in WeChat chats now", "en", "wechat-external-links"),
    ("what did people spend money on during the October golden week holiday", "en", "alipay-national-day-report"),
    ("which statuses were popular on WeChat during the national holiday", "en", "wechat-national-day-status"),
    ("is there a simpler WeChat version for older people with bigger fonts", "en", "wechat-easy-mode-elderly"),
    ("how do restaurants build their own customer groups on food delivery apps", "en", "meituan-private-traffic"),
    ("are luxury fashion houses advertising on Bilibili", "en", "bilibili-luxury-brands"),
    ("what can western marketers learn from fast-growing Chinese companies like Shein", "en", "chinese-brand-strategies"),
    ("a yogurt brand partnered with a virtual human influencer", "en", "amx-ayayi-metahuman"),
    ("how did brands advertise inside the jumping mini game", "en", "tiao-yi-tiao-mini-games"),
    ("what changed for subscription accounts and mini programs in 2018", "en", "wechat-2018-updates"),
    ("what happened at the big data exhibition in Guizhou", "en", "big-data-expo-guiyang-2018"),
    ("do template messages help nurture leads for industrial companies", "en", "wechat-b2b"),
    ("which platforms do Chinese teenagers use for anime and gaming videos", "en", "bilibili-gen-z"),
    ("how to use WeChat ads to get more enrolments for an MBA programme", "en", "wechat-education"),
    # Chinese
    ("微博还有用吗", "zh", "weibo-2021"),
    ("年轻人都在哪个视频网站看弹幕", "zh", "bilibili-gen-z"),
    ("品牌应该找明星代言还是素人推荐", "zh", "idol-economy-kol-koc"),
    ("粉丝为什么愿意为偶像花钱", "zh", "idol-economy-kol-koc"),
    ("学校怎么用公众号招生", "zh", "wechat-education"),
    ("服务号和订阅号哪个适合企业客户", "zh", "wechat-b2b"),
    ("未成年人每天能刷多久短视频", "zh", "douyin-youth-mode"),
    ("个人信息保护法对精准广告有什么影响", "zh", "pipl-personal-information-law"),
    ("现在微信里能直接打开淘宝链接了吗", "zh", "wechat-external-links"),
    ("国庆假期大家都把钱花在哪了", "zh", "alipay-national-day-report"),
    ("国庆期间微信上最流行的状态是什么", "zh", "wechat-national-day-status"),
    ("微信有没有适合老年人的大字模式", "zh", "wechat-easy-mode-elderly"),
    ("外卖平台上的商家怎么做粉丝运营", "zh", "meituan-private-traffic"),
    ("奢侈品牌会去B站投放吗", "zh", "bilibili-luxury-brands"),
    ("海外营销人为什么要研究中国企业的打法", "zh", "chinese-brand-strategies"),
    ("酸奶品牌和虚拟偶像合作", "zh", "amx-ayayi-metahuman"),
    ("品牌怎么在微信小游戏里植入广告", "zh", "tiao-yi-tiao-mini-games"),
    ("2018年公众号和小程序有什么变化", "zh", "wechat-2018-updates"),
    ("贵州的大数据展会有哪些亮点", "zh", "big-data-expo-guiyang-2018"),
    ("Z世代喜欢在哪个平台看视频", "zh", "bilibili-gen-z"),
    ("教育机构怎么在朋友圈投广告获客", "zh", "wechat-education"),
    ("新浪微博的月活有多少", "zh", "weibo-2021"),
]

# Texts no article answers: the follower gets the fallback with topics, never a random article.
NOT_QUESTIONS = [
    ("随便问问", "zh"), ("qwerty asdf", "en"), ("qwerty asdf zxcv", "en"), ("hello there", "en"), ("哦哦哦哦", "zh"),
    ("嗯嗯嗯嗯", "zh"), ("天气怎么样", "zh"), ("what's the weather like today", "en"), ("我饿了", "zh"),
    ("tell me a joke", "en"), ("你是机器人吗", "zh"), ("how much does it cost", "en"), ("你们公司在哪里", "zh"),
    ("thanks a lot", "en"), ("谢谢", "zh"), ("好的", "zh"), ("where is your office", "en"), ("怎么退款", "zh"),
    ("I love pizza", "en"), ("2", "en"),
]


@pytest.fixture(scope="module")
def content():
    return compile_bundle(read_dir(os.path.join(ROOT, "content")), version=1)


def test_the_question_set_is_big_enough_in_both_languages():
    assert sum(1 for _, lang, _ in QUESTIONS if lang == "en") >= 15
    assert sum(1 for _, lang, _ in QUESTIONS if lang == "zh") >= 15
    assert len({article for _, _, article in QUESTIONS}) == 18          # every article is somebody's answer


@pytest.mark.parametrize("question, lang, article", QUESTIONS, ids=[q for q, _, _ in QUESTIONS])
def test_question_finds_its_article_first(content, question, lang, article):
    picked = confident(content.search(question, lang))
    assert picked and picked[0] == article, content.search(question, lang)[:3]


@pytest.mark.parametrize("text, lang", NOT_QUESTIONS, ids=[t for t, _ in NOT_QUESTIONS])
def test_chit_chat_finds_nothing(content, text, lang):
    assert confident(content.search(text, lang)) == []


def test_tokenizer_segments_chinese_and_stems_english():
    assert tokenize("微博还有用吗") == ["微博"]
    assert tokenize("Brands reaching Gen-Z platforms") == ["brand", "reach", "gen", "z", "genz", "platform"]
    assert "私域流量" in tokenize("怎么做私域流量")
    assert "b站" in tokenize("B站的用户")


def test_close_results_are_offered_together(content):
    assert confident(content.search("国庆", "zh")) == ["wechat-national-day-status", "alipay-national-day-report"]


def test_search_through_the_webhook_sends_the_best_article(follower, bot):
    reply = follower.send("Which video site do young Chinese people watch with bullet comments?")
    assert reply.type == "news" and reply.articles[0]["Url"] == "https://insights.example.com/en/bilibili-gen-z"
    assert bot.store.load(follower.openid).read == ["bilibili-gen-z"]


def test_chinese_question_no_rule_covers(follower):
    reply = follower.send("粉丝为什么愿意为偶像花钱")
    assert reply.type == "news" and reply.articles[0]["Url"].endswith("/zh/idol-economy-kol-koc")


def test_close_results_become_a_numbered_list_and_a_digit_picks_one(follower, bot):
    content = bot.library.current()
    listed = follower.send("国庆")
    assert listed.type == "text" and "回复 1 或 2" in listed.content
    assert listed.content.endswith(f"1. {content.article('wechat-national-day-status', 'zh').title}\n"
                                   f"2. {content.article('alipay-national-day-report', 'zh').title}")
    picked = follower.send("2")
    assert picked.type == "news" and picked.articles[0]["Url"].endswith("/zh/alipay-national-day-report")


def test_below_the_threshold_the_fallback_suggests_menu_topics(follower):
    reply = follower.send("what's the weather like today")
    assert reply.type == "text"
    assert reply.content.startswith("Sorry, I couldn't find anything")
    assert "KOLs & idols, Bilibili & Gen Z" in reply.content
    assert "抱歉" in follower.send("天气怎么样").content
