"""The lead form's privacy notice comes first (PIPL art. 17), consent is still explicit, each lead keeps the
consent version it was given under, and a second erasure says nothing was left."""
from __future__ import annotations

import csv
import io
import time

import pytest

from app import create_app
from devtools.simulator import FlaskTransport, Follower
from leads import LeadStore
from leads.export import write_rows
from wechat.redis_conn import Keys

NOTICE_ZH = ("《个人信息说明》", "China Insights 咨询团队", "安排顾问", "姓名", "公司", "职位", "手机号或邮箱", "需求",
             "从哪里进入本表单", "读过的文章", "客户管理系统（CRM）", "销售顾问", "730 天（约 24 个月）", "「取消」",
             "「删除我的数据」", "https://insights.example.com/privacy")
NOTICE_EN = ("Privacy notice", "China Insights consulting team", "consultant contact you", "name", "company", "role",
             "phone or email", "what you need help with", "where you opened this form", "articles you read", "CRM",
             "sales consultants", "730 days (about 24 months)", '"cancel"', '"delete my data"',
             "https://insights.example.com/privacy")


@pytest.mark.parametrize("start, notice, question", [("咨询", NOTICE_ZH, "请问怎么称呼您"),
                                                     ("contact", NOTICE_EN, "What's your name?")])
def test_the_notice_comes_before_the_first_question(make_follower, start, notice, question):
    text = make_follower().send(start).content
    for part in notice:
        assert part in text, part
    assert text.index(notice[0]) < text.index(question)
    assert text.endswith(question + ("？（请输入姓名）" if question.startswith("请") else ""))
    assert len(text.encode()) <= 2048                     # one reply, no "MORE" before the follower can answer


def test_the_notice_states_the_retention_setting(make_settings, redis):
    settings = make_settings(leads_retention_days=365)
    app = create_app(settings, redis=redis)
    follower = Follower(FlaskTransport(app.test_client()), settings.wechat_token, openid="o_notice", mode="plain")
    assert "365 天（约 12 个月）" in follower.send("咨询").content


def _submit(follower) -> None:
    follower.send("咨询")
    for answer in ("张三", "示例科技", "市场总监", "13800138000", "2"):
        follower.send(answer)
    consent = follower.send("1")
    assert "请核对您的信息" in consent.content
    assert "已收到" in follower.send("确认").content


def test_consent_is_asked_before_anything_is_stored(follower, redis, settings):
    store = LeadStore(redis, Keys(settings.key_prefix))
    follower.send("咨询")
    for answer in ("张三", "示例科技", "市场总监", "13800138000"):
        follower.send(answer)
    asked = follower.send("2").content
    assert "最后一步" in asked and "个人信息说明" in asked and "1. 同意" in asked
    assert store.lead_ids_of(follower.openid) == []
    assert "不会保存" in follower.send("2").content          # declined: nothing kept
    assert store.lead_ids_of(follower.openid) == []


def test_a_lead_keeps_its_consent_version_in_the_store_and_the_csv(follower, redis, settings, bot):
    _submit(follower)
    store = LeadStore(redis, Keys(settings.key_prefix))
    [lead_id] = store.lead_ids_of(follower.openid)
    version = bot.library.current().consent("lead").version
    assert version == "2026-12-lead-v2"
    assert store.get(lead_id).data["consent"]["version"] == version
    out = io.StringIO()
    assert write_rows(store, time.time() - 60, time.time() + 60, out) >= 1
    rows = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["lead_id"] == lead_id]
    assert rows[0]["consent_version"] == version


def test_a_second_erasure_says_nothing_was_left(follower):
    _submit(follower)
    first = follower.send("删除我的数据").content
    assert "共 1 条" in first and "通知对方删除" in first
    second = follower.send("删除我的数据").content
    assert "没有需要删除的内容" in second
    assert "共 0 条" not in second and "通知" not in second
    assert "nothing left to erase" in follower.send("delete my data").content.casefold()


# -- leftover: need labels fit WeChat's 20-character template fields ------------------------------------
def test_need_labels_fit_template_fields_and_the_checker_warns_on_long_ones():
    import os

    from handlers.content_needs import CONTENT_NEEDS
    from library.bundle import read_dir
    from library.checker import check_bundle
    from wechat.limits import TEMPLATE_FIELD_CHARS

    bundle = read_dir(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "content"))
    report = check_bundle(bundle, CONTENT_NEEDS)
    [need] = [step for name, step in report.tree.flows["lead"].steps.items() if name == "need"]
    assert all(len(label) <= TEMPLATE_FIELD_CHARS for c in need.choices for label in c.labels.values())
    assert not [i for i in report.issues if "choice label" in i.message]
    bundle["flows/lead.yaml"] = bundle["flows/lead.yaml"].replace('"Market research"', '"Market research and consumer insight"')
    [warning] = [i for i in check_bundle(bundle, CONTENT_NEEDS).issues if "choice label" in i.message]
    assert not warning.is_error and "36 characters" in warning.message and "at most 20" in warning.message
    assert bundle["flows/lead.yaml"].splitlines()[warning.line - 1].count("Market research and consumer insight")
