"""The lead form through the app's real routes: menu, keyword rules and QR scenes from content start it."""
from __future__ import annotations

import pytest

from tests.support.leads import cleanup, says, session_of
from leads import LeadStore
from wechat.redis_conn import Keys


@pytest.fixture(autouse=True)
def _cleanup(redis, key_prefix):
    yield
    cleanup(redis, key_prefix)


def finish(f, lang="zh"):
    answers = ("张三", "示例科技", "市场总监", "13800138000", "1", "1", "确认") if lang == "zh" else \
        ("Jane Doe", "Acme", "CMO", "jane@example.com", "1", "1", "confirm")
    for answer in answers:
        reply = f.send(answer)
    return reply


def the_lead(redis, settings, f):
    store = LeadStore(redis, Keys(settings.key_prefix))
    [lead_id] = store.lead_ids_of(f.openid)
    return store.get(lead_id)


def test_menu_contact_starts_the_form_with_what_was_read(follower, redis, settings):
    article = follower.send("KOL")
    assert article.type in ("news", "text")
    read = session_of(redis, settings, follower.openid).read
    says(follower.click("MENU_CONTACT"), "请问怎么称呼您")
    assert session_of(redis, settings, follower.openid).state == "lead:name"
    says(finish(follower), "已收到")
    source = the_lead(redis, settings, follower).data["source"]
    assert source["kind"] == "menu" and source["key"] == "MENU_CONTACT" and source["read"] == read


@pytest.mark.parametrize("text,lang", [("我想咨询一下", "zh"), ("合作", "zh"), ("contact", "en")])
def test_keywords_start_the_form(follower, redis, settings, text, lang):
    says(follower.send(text), "请问怎么称呼您" if lang == "zh" else "What's your name?")
    finish(follower, lang)
    assert the_lead(redis, settings, follower).data["source"]["kind"] == "keyword"


def test_a_campaign_qr_code_starts_the_form(follower, redis, settings):
    says(follower.subscribe(scene="expo2026"), "请问怎么称呼您")
    finish(follower)
    source = the_lead(redis, settings, follower).data["source"]
    assert source["kind"] == "scene" and "expo2026" in (source.get("scene"), source.get("key"))


def test_typed_keywords_mid_form_are_answers_but_menu_clicks_are_answered(follower, redis, settings):
    says(follower.click("MENU_CONTACT"), "请问怎么称呼您")
    says(follower.send("张三"), "公司")
    says(follower.send("KOL"), "职位")                         # typed text goes to the form (company "KOL")
    before = session_of(redis, settings, follower.openid)
    reply = follower.click("MENU_KOL")                          # a menu tap is answered as usual...
    assert reply.type == "news" and reply.articles
    after = session_of(redis, settings, follower.openid)
    assert after.state == "lead:role" and after.flow == before.flow   # ...and the form waits
    says(follower.send("市场总监"), "手机号或邮箱")


def test_delete_my_data_through_the_real_routes(follower, redis, settings):
    follower.click("MENU_CONTACT")
    finish(follower)
    says(follower.send("删除我的数据"), "已删除")
    assert LeadStore(redis, Keys(settings.key_prefix)).lead_ids_of(follower.openid) == []
