"""What followers hear: topic questions that mention contact, small talk, a human hand-off, voice without text.

Conversation scripts through the app with the simulator's Follower (signed like WeChat), against the
real content in content/.
"""
from __future__ import annotations

import pytest

from app import create_app
from devtools.simulator import FlaskTransport, Follower

OFFER_ZH = "想请顾问联系您？回复「咨询」"
OFFER_EN = 'Want a consultant to contact you? Reply "contact"'
FORM_START_ZH = "请问怎么称呼您"


def _url(reply) -> str:
    if reply.type == "news":
        return reply.articles[0]["Url"]
    return reply.content


# -- 1. intent: a contact word inside a topic question answers the topic --------------------------------
@pytest.mark.parametrize("text, article", [
    ("KOL合作", "idol-economy-kol-koc"),
    ("B站合作", "bilibili-gen-z"),
    ("留学咨询", "wechat-education"),
    ("怎么联系KOL", "idol-economy-kol-koc"),
    ("微博报价", "weibo-2021"),
])
def test_topic_with_a_contact_word_answers_the_topic_and_offers_the_form(follower, bot, text, article):
    reply = follower.send(text)
    assert reply.type == "text", reply
    assert f"/zh/{article}" in reply.content and reply.content.endswith(OFFER_ZH)
    assert FORM_START_ZH not in reply.content
    conversation = bot.store.load(follower.openid)
    assert conversation.flow is None and conversation.read == [article]
    assert follower.send("咨询").content.endswith(FORM_START_ZH + "？（请输入姓名）")   # the offer works


def test_english_topic_with_pricing_words_answers_in_english(make_follower):
    follower = make_follower()
    reply = follower.send("KOL pricing")
    assert "/en/idol-economy-kol-koc" in reply.content and reply.content.endswith(OFFER_EN)


@pytest.mark.parametrize("text", ["咨询", "我想咨询", "合作", "价格", "报价", "收费", "contact us", "get a quote", "pricing",
                                  "quote"])
def test_the_contact_word_alone_still_starts_the_form(make_follower, text):
    reply = make_follower().send(text)
    assert reply.type == "text" and ("称呼" in reply.content or "What's your name?" in reply.content), reply


def test_a_longer_contact_question_without_a_topic_offers_the_form(follower, bot):
    reply = follower.send("你们的服务怎么收费，流程是怎样的")
    assert reply.type == "text" and reply.content == OFFER_ZH
    assert bot.store.load(follower.openid).flow is None


# -- 3. small talk, people, voice ---------------------------------------------------------------------
@pytest.mark.parametrize("text, replies", [
    ("thanks", ("You're welcome", "My pleasure")), ("Thank you!", ("You're welcome", "My pleasure")),
    ("谢谢", ("不客气", "不用谢")), ("谢谢你们！", ("不客气", "不用谢")),
    ("早上好", ("您好！今天想了解",)), ("Good morning", ("Hello, and a good day",)),
    ("Hi there", ("Hello!", "Hi there!")), ("好的", ("好的！还有问题",)), ("OK", ("好的！还有问题",)),
    ("收到", ("好的！还有问题",)),
])
def test_small_talk_gets_a_short_natural_reply(make_follower, text, replies):
    reply = make_follower().send(text)
    assert reply.type == "text" and reply.content.startswith(replies), reply.content
    assert len(reply.content) < 120                     # short, not a menu of topics


@pytest.mark.parametrize("text", ["人工", "客服", "转人工", "我要转人工", "human", "agent"])
def test_asking_for_a_person_offers_the_form_when_agents_are_off(make_follower, text):
    reply = make_follower().send(text)
    assert reply.type == "text" and ("回复「咨询」" in reply.content or 'Reply "contact"' in reply.content)


@pytest.mark.parametrize("text", ["人工", "客服", "转人工", "human", "agent"])
def test_asking_for_a_person_transfers_to_customer_service_when_enabled(make_settings, redis, text):
    settings = make_settings(transfer_customer_service=True)
    app = create_app(settings, redis=redis)
    follower = Follower(FlaskTransport(app.test_client()), settings.wechat_token, openid="o_handoff", mode="plain")
    reply = follower.send(text)
    assert reply.type == "transfer_customer_service", reply
    assert "<MsgType><![CDATA[transfer_customer_service]]></MsgType>" in reply.raw.decode()


def test_transfer_setting_reads_from_the_environment(make_settings):
    from config import load_settings
    assert load_settings({"WECHAT_TOKEN": "abc", "WECHAT_TRANSFER_CUSTOMER_SERVICE": "true"}).transfer_customer_service
    assert make_settings().transfer_customer_service is False


def test_voice_without_recognition_asks_for_text(follower):
    reply = follower.voice("")
    assert reply.type == "text" and reply.content.startswith("收到！目前我只能读懂文字消息")


def test_voice_with_recognition_works_like_text(follower):
    reply = follower.voice("KOL合作")
    assert "idol-economy-kol-koc" in reply.content and reply.content.endswith(OFFER_ZH)


@pytest.mark.parametrize("text", ["跪求帮助", "帮助!", "菜单呢？", "help please", "menu pls"])
def test_a_command_word_with_a_few_extra_characters_gets_that_command(make_follower, text):
    reply = make_follower().send(text)
    assert reply.type == "text" and ("回复关键词获取洞察文章" in reply.content or "Type a keyword" in reply.content)
