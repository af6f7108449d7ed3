"""The lead flow as conversation scripts, in Chinese and English, against real Redis through the webhook."""
from __future__ import annotations

import itertools
import json
import logging
import time

import pytest

from tests.support.leads import cleanup, follower_for, make_app, says, session_of
from leads import LeadStore
from wechat.redis_conn import Keys
from wechat.validators import parse_phone


@pytest.fixture
def lead_app(settings, redis, key_prefix):
    app = make_app(settings, redis, lead_retry_schedule=[1])
    yield app
    cleanup(redis, key_prefix)


@pytest.fixture
def store(redis, settings) -> LeadStore:
    return LeadStore(redis, Keys(settings.key_prefix))


@pytest.fixture
def new_follower(lead_app, settings):
    return lambda openid=None: follower_for(lead_app, settings, openid)


def state(redis, settings, follower) -> str:
    return session_of(redis, settings, follower.openid).state


def leads_of(store: LeadStore, follower):
    return [store.get(lead_id) for lead_id in store.lead_ids_of(follower.openid)]


_clock = itertools.count(1)


def click_again(f, key: str):
    """Another tap on the same menu item; WeChat dedupes events by openid+CreateTime+key, so move the clock."""
    return f.post_fields({"MsgType": "event", "Event": "CLICK", "EventKey": key},
                         created_at=int(time.time()) + next(_clock))


def walk_zh(f, *, phone="138 0013 8000"):
    """The Chinese happy path up to the summary."""
    says(click_again(f, "MENU_CONTACT"), "请问怎么称呼您")
    says(f.send("张三"), "公司或品牌")
    says(f.send("示例科技"), "职位")
    says(f.send("市场总监"), "手机号或邮箱")
    says(f.send(phone), "请回复序号", "1. 中国市场进入策略", "2. 社交媒体与 KOL 营销")
    says(f.send("2"), "最后一步", "删除我的数据", "1. 同意")
    return says(f.send("1"), "请核对您的信息", "张三", "示例科技", "市场总监", parse_phone(phone), "社交媒体与 KOL 营销")


def walk_en(f, *, contact="jane.doe@Example.COM"):
    """The English happy path up to the summary."""
    says(f.send("contact"), "What's your name?")
    says(f.send("Jane Doe"), "Which company")
    says(f.send("Acme Ltd"), "What's your role?")
    says(f.send("Head of Growth"), "phone number or email")
    says(f.send(contact), "Reply with a number", "1. China market entry")
    says(f.send("market research"), "Last step", "delete my data", "1. I agree")
    return says(f.send("yes"), "Please check your details", "Jane Doe", "Acme Ltd", "jane.doe@example.com",
                "Market research")


# -- happy paths ------------------------------------------------------------------------------------
def test_happy_path_zh_from_menu(new_follower, store, redis, settings):
    f = new_follower()
    says(f.send("KOL"), "ARTICLE-KOL")                       # read an article first: it becomes the source
    walk_zh(f)
    assert state(redis, settings, f) == "lead:confirm"
    says(f.send("确认"), "已收到，谢谢")
    assert state(redis, settings, f) == ""
    [lead] = leads_of(store, f)
    assert lead.revision == 1 and lead.delivery == "pending" and lead.openid == f.openid
    assert lead.data["name"] == "张三" and lead.data["company"] == "示例科技" and lead.data["role"] == "市场总监"
    assert lead.data["phone"] == "+8613800138000" and lead.data["email"] is None
    assert lead.data["need"] == "social_kol" and lead.data["lang"] == "zh"
    assert lead.data["source"] == {"kind": "menu", "key": "MENU_CONTACT", "read": ["idol-economy-kol-koc"]}
    assert lead.data["consent"]["version"] == "2026-12-lead-v2" and lead.data["consent"]["given_at"]
    [entry] = store.log_entries()
    assert entry["kind"] == "created" and entry["lead"] == lead.lead_id


def test_happy_path_en_from_keyword(new_follower, store, redis, settings):
    f = new_follower()
    walk_en(f)
    says(f.send("confirm"), "Thank you, we've got it")
    [lead] = leads_of(store, f)
    assert lead.data["email"] == "jane.doe@example.com" and lead.data["phone"] is None
    assert lead.data["need"] == "research" and lead.data["lang"] == "en"
    assert lead.data["source"]["kind"] == "keyword" and lead.data["source"]["key"] == "contact"


def test_qr_scene_is_part_of_the_source(new_follower, store):
    f = new_follower()
    f.subscribe(scene="expo2026")
    walk_zh(f)
    says(f.send("确认"), "已收到")
    [lead] = leads_of(store, f)
    assert lead.data["source"]["scene"] == "expo2026"


def test_chinese_flow_stays_chinese_when_an_answer_is_latin(new_follower):
    f = new_follower()
    says(f.send("咨询"), "请问怎么称呼您")
    says(f.send("张三"), "公司或品牌")
    says(f.send("Acme Ltd"), "您的职位是")                  # an English company name does not flip the form
    says(f.send("CMO"), "手机号或邮箱")


def test_first_answer_sets_the_language(new_follower):
    f = new_follower()
    says(f.click("MENU_CONTACT"), "请问怎么称呼您")          # unknown follower: Chinese first
    says(f.send("Jane Doe"), "Which company")              # ... and they answer in English


def test_explicit_language_switch_mid_flow(new_follower):
    f = new_follower()
    says(f.send("咨询"), "请问怎么称呼您")
    says(f.send("张三"), "公司或品牌")
    says(f.send("English"), "Which company")              # the same question again, now in English
    says(f.send("Acme"), "What's your role?")
    says(f.send("中文"), "您的职位是")


# -- cancel, back, edit, decline ----------------------------------------------------------------------
@pytest.mark.parametrize("word,expected", [("取消", "已取消"), ("cancel", "Cancelled")])
def test_cancel_mid_flow(new_follower, store, redis, settings, word, expected):
    f = new_follower()
    if word == "cancel":
        says(f.send("contact"), "What's your name?")
        says(f.send("Jane Doe"), "Which company")
    else:
        says(f.send("咨询"), "请问怎么称呼您")
        says(f.send("张三"), "公司")
    says(f.send(word), expected)
    assert state(redis, settings, f) == "" and session_of(redis, settings, f.openid).flow is None
    assert leads_of(store, f) == []
    assert f.send("张三").content != "" and state(redis, settings, f) == ""   # no longer an answer


def test_back_zh(new_follower, store, redis, settings):
    f = new_follower()
    says(f.send("咨询"), "请问怎么称呼您")
    says(f.send("返回"), "已经是第一题了", "请问怎么称呼您")
    says(f.send("张三丰"), "公司")
    says(f.send("返回"), "请问怎么称呼您")
    assert state(redis, settings, f) == "lead:name"
    says(f.send("张三"), "公司")
    says(f.send("示例科技"), "职位")
    says(f.send("市场总监"), "手机号")
    says(f.send("13800138000"), "请回复序号")
    says(f.send("1"), "最后一步")
    says(f.send("同意"), "请核对")
    says(f.send("返回"), "最后一步")                          # from the summary back to the consent question
    says(f.send("1"), "请核对", "1. 姓名：张三")
    says(f.send("确认"), "已收到")
    [lead] = leads_of(store, f)
    assert lead.data["name"] == "张三" and lead.data["need"] == "market_entry"


def test_back_en(new_follower, redis, settings):
    f = new_follower()
    says(f.send("contact"), "What's your name?")
    says(f.send("Jane"), "Which company")
    says(f.send("skip"), "What's your role?")
    says(f.send("back"), "Which company")
    says(f.send("back"), "What's your name?")
    says(f.send("back"), "already the first question")
    assert state(redis, settings, f) == "lead:name"


def test_edit_a_line_from_the_summary(new_follower, store):
    f = new_follower()
    walk_zh(f)
    says(f.send("2"), "公司或品牌")
    says(f.send("新公司"), "请核对", "2. 公司：新公司", "1. 姓名：张三")
    says(f.send("4"), "手机号或邮箱")
    says(f.send("返回"), "请核对", "+8613800138000")           # backing out of an edit keeps the old answer
    says(f.send("好吗"), "请回复「确认」提交")                   # not a confirm word: the summary again
    says(f.send("确认"), "已收到")
    [lead] = leads_of(store, f)
    assert lead.data["company"] == "新公司"


def test_declining_consent_keeps_nothing(new_follower, store, redis, settings):
    f = new_follower()
    says(f.send("contact"), "What's your name?")
    for answer in ("Jane Doe", "Acme", "CMO", "+44 20 7946 0958", "5"):
        f.send(answer)
    says(f.send("2"), "Without your consent we won't keep anything")
    assert leads_of(store, f) == [] and state(redis, settings, f) == ""


# -- invalid answers ----------------------------------------------------------------------------------
def test_invalid_phone_three_times_then_skip_zh(new_follower, store, redis, settings):
    f = new_follower()
    says(f.send("咨询"), "请问怎么称呼您")
    f.send("张三")
    f.send("示例科技")
    says(f.send("市场总监"), "手机号或邮箱")
    first = says(f.send("12345"), "没能识别这个号码或邮箱", "请留下您的手机号或邮箱")
    assert "跳过" not in first
    says(f.send("1380013800"), "没能识别", "请留下您的手机号或邮箱")   # ten digits
    says(f.send("我没有手机"), "没能识别", "回复「跳过」跳过这一题", "回复「取消」结束")
    says(f.send("abc@"), "没能识别", "跳过")                     # still offered after the third
    assert state(redis, settings, f) == "lead:contact"
    says(f.send("跳过"), "请回复序号")
    says(f.send("5"), "最后一步")
    says(f.send("1"), "请核对", "4. 联系方式：（未填写）")
    says(f.send("确认"), "已收到")
    [lead] = leads_of(store, f)
    assert lead.data["phone"] is None and lead.data["email"] is None


def test_invalid_phone_three_times_en_then_valid(new_follower, store):
    f = new_follower()
    says(f.send("contact"), "What's your name?")
    f.send("Jane Doe")
    f.send("Acme")
    says(f.send("CMO"), "phone number or email")
    says(f.send("call me"), "couldn't read that", "best phone number")
    says(f.send("+1 23"), "couldn't read that")
    says(f.send("jane at acme"), "couldn't read that", "reply \"skip\"", "\"cancel\"")
    says(f.send("+1 (415) 555-0100"), "Reply with a number")    # a valid answer still works after the offer
    f.send("1")
    f.send("1")
    says(f.send("ok"), "Thank you")
    [lead] = leads_of(store, f)
    assert lead.data["phone"] == "+14155550100"


def test_required_step_offers_only_cancel(new_follower, redis, settings):
    f = new_follower()
    says(f.send("contact"), "What's your name?")
    says(f.send("12345"), "letters only")
    says(f.send("http://spam.example"), "letters only")
    third = says(f.send("@@@"), "need an answer to this one", "\"cancel\"")
    assert "skip" not in third
    says(f.send("skip"), "can't be skipped", "What's your name?")
    assert state(redis, settings, f) == "lead:name"


def test_image_mid_flow_asks_for_text(new_follower, redis, settings):
    f = new_follower()
    says(f.send("咨询"), "请问怎么称呼您")
    says(f.message("image", {"PicUrl": "http://example.com/a.jpg", "MediaId": "m1"}), "请用文字回复", "怎么称呼")
    assert state(redis, settings, f) == "lead:name"


# -- pauses, expiry, other routes mid-flow -------------------------------------------------------------
def test_resume_after_a_pause_zh(new_follower, redis, settings):
    f = new_follower()
    says(f.click("MENU_CONTACT"), "请问怎么称呼您")
    f.send("张三")
    conv = f"{settings.key_prefix}conv:{f.openid}"
    redis.expire(conv, 5)                                    # most of the session window has passed
    says(click_again(f, "MENU_CONTACT"), "欢迎回来", "公司或品牌")    # tapping "Contact us" again resumes
    assert redis.ttl(conv) > 60                              # ... and the session window starts again
    says(f.send("示例科技"), "职位")
    assert state(redis, settings, f) == "lead:role"
    assert session_of(redis, settings, f.openid).flow.answers["name"] == "张三"


def test_resume_after_a_pause_en(new_follower, redis, settings):
    f = new_follower()
    says(f.send("contact"), "What's your name?")
    f.send("Jane Doe")
    redis.expire(f"{settings.key_prefix}conv:{f.openid}", 5)
    says(f.send("Acme"), "What's your role?")               # typing the next answer just continues
    says(click_again(f, "MENU_CONTACT"), "Welcome back", "What's your role?")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_expiry_after_the_session_ttl(make_settings, redis, key_prefix, store, lang):
    settings = make_settings(session_ttl=60)
    app = make_app(settings, redis)
    try:
        f = follower_for(app, settings)
        says(f.send("咨询" if lang == "zh" else "contact"))
        f.send("张三" if lang == "zh" else "Jane Doe")
        conv = f"{settings.key_prefix}conv:{f.openid}"
        assert 0 < redis.ttl(conv) <= 60
        marker = f"{settings.key_prefix}flowmark:{f.openid}"
        assert redis.ttl(marker) > 60                        # the marker outlives the session
        redis.pexpire(conv, 1)                               # the session TTL runs out
        time.sleep(0.05)
        assert not redis.exists(conv)
        expected = "表单因长时间未回复已过期" if lang == "zh" else "your contact form timed out"
        says(f.send("示例科技" if lang == "zh" else "Acme"), expected)
        assert session_of(redis, settings, f.openid).state == ""
        assert not redis.exists(marker)
        again = f.send("示例科技" if lang == "zh" else "Acme")   # said once only; then normal routing
        assert again.type == "text" and "过期" not in again.content and "timed out" not in again.content
        assert leads_of(store, f) == []
    finally:
        cleanup(redis, key_prefix)


def test_expired_form_then_menu_click_is_answered_normally(make_settings, redis, key_prefix):
    settings = make_settings(session_ttl=60)
    app = make_app(settings, redis)
    try:
        f = follower_for(app, settings)
        f.send("咨询")
        redis.delete(f"{settings.key_prefix}conv:{f.openid}")
        says(f.click("MENU_ABOUT"), "ABOUT-US")
        assert not redis.exists(f"{settings.key_prefix}flowmark:{f.openid}")
    finally:
        cleanup(redis, key_prefix)


def test_menu_click_mid_flow_is_answered_and_the_flow_kept(new_follower, redis, settings, store):
    f = new_follower()
    says(f.send("咨询"), "请问怎么称呼您")
    f.send("张三")
    f.send("示例科技")
    f.send("市场总监")
    before = session_of(redis, settings, f.openid)
    says(f.click("MENU_ABOUT"), "ABOUT-US")
    after = session_of(redis, settings, f.openid)
    assert after.state == "lead:contact" and after.flow == before.flow
    says(f.send("13800138000"), "请回复序号")
    f.send("1")
    f.send("1")
    says(f.send("确认"), "已收到")
    assert len(leads_of(store, f)) == 1


# -- WeChat retries ------------------------------------------------------------------------------------
def test_a_retry_of_every_step_advances_once(new_follower, redis, settings):
    f = new_follower()
    script = [("咨询", "lead:name"), ("张三", "lead:company"), ("示例科技", "lead:role"), ("市场总监", "lead:contact"),
              ("abc", "lead:contact"), ("13800138000", "lead:need"), ("返回", "lead:contact"),
              ("13800138000", "lead:need"), ("2", "lead:consent"), ("1", "lead:confirm"), ("3", "lead:role"),
              ("总监", "lead:confirm")]
    for text, expected_state in script:
        first = f.send(text)
        tries_before = session_of(redis, settings, f.openid).flow.tries
        for _ in range(2):                                   # WeChat's two retries of the same MsgId
            retry = f.resend()
            assert retry.content == first.content
        assert state(redis, settings, f) == expected_state, text
        assert session_of(redis, settings, f.openid).flow.tries == tries_before


def test_confirm_retried_stores_one_lead(new_follower, store, redis):
    f = new_follower()
    walk_zh(f)
    first = f.send("确认")
    assert f.resend().content == first.content and f.resend().content == first.content
    [lead] = leads_of(store, f)
    assert lead.revision == 1 and len(store.log_entries()) == 1


def test_a_rerun_of_the_same_confirm_is_a_duplicate(store):
    """If a try stored the lead but crashed before saving the session, the retry runs the confirm again."""
    first = store.capture("o_someone", "run1", {"name": "x"})
    again = store.capture("o_someone", "run1", {"name": "x"})
    assert (first.outcome, again.outcome) == ("created", "duplicate")
    assert again.lead_id == first.lead_id and again.revision == 1
    assert len(store.log_entries()) == 1 and store.lead_id_for("o_someone", "run1") == first.lead_id


def test_resubmission_within_24h_updates_the_lead(new_follower, store, redis, settings):
    f = new_follower()
    walk_zh(f)
    says(f.send("确认"), "已收到")
    walk_zh(f, phone="+86 139 0000 0000")
    says(f.send("确认"), "已更新您今天提交的信息")
    [lead] = leads_of(store, f)
    assert lead.revision == 2 and lead.data["phone"] == "+8613900000000" and lead.delivery == "pending"
    kinds = [(e["kind"], e["rev"]) for e in store.log_entries()]
    assert kinds == [("created", "1"), ("updated", "2")]
    assert redis.zcard(f"{settings.key_prefix}leads:index") == 1
    # a day later the window has passed: the next submission is a new lead
    redis.delete(f"{settings.key_prefix}leads:recent:{f.openid}")
    walk_zh(f)
    says(f.send("确认"), "已收到，谢谢")
    assert len(leads_of(store, f)) == 2


def test_the_update_window_is_24_hours(new_follower, redis, settings, store):
    f = new_follower()
    walk_en(f)
    f.send("confirm")
    ttl = redis.ttl(f"{settings.key_prefix}leads:recent:{f.openid}")
    assert 24 * 3600 - 60 < ttl <= 24 * 3600


# -- privacy of logs -----------------------------------------------------------------------------------
def test_no_personal_data_in_log_lines(new_follower, caplog):
    caplog.set_level(logging.DEBUG)
    f = new_follower()
    walk_zh(f, phone="13912345678")
    f.send("确认")
    f.send("删除我的数据")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "lead" in text                                    # we did log the lead's life...
    for secret in ("张三", "13912345678", "+8613912345678", "示例科技", "市场总监"):
        assert secret not in text                            # ...but none of the follower's answers


def test_stored_session_holds_the_flow_readably(new_follower, redis, settings):
    f = new_follower()
    f.send("咨询")
    f.send("张三")
    conv = session_of(redis, settings, f.openid)
    assert conv.state == "lead:company"
    assert conv.flow.name == "lead" and conv.flow.answers == {"name": "张三"}
    stored = json.loads(redis.get(f"{settings.key_prefix}conv:{f.openid}"))     # one readable representation
    assert stored["flow"]["step"] == "company" and "state" not in stored
    assert json.loads(redis.get(f"{settings.key_prefix}flowmark:{f.openid}"))["step"] == "company"
