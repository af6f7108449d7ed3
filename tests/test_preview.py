"""Preview and "which rule answers this?" against a draft: the app's real routers, no side effects."""
from __future__ import annotations

import re

import pytest

from analytics.counters import Analytics
from handlers.content_needs import CONTENT_NEEDS
from library.bundle import read_dir
from library.compiled import compile_bundle
from library.display_limits import shown_part, display_width
from preview.bubbles import bubbles
from preview.dispatch import Preview, PreviewError, preview_message
from wechat.replies import Text, render
from preview.explain import explain
from wechat.jobs import QUEUES, get_queue
from wechat.redis_conn import Keys


@pytest.fixture
def draft(settings):
    """The shipped content with one extra rule, as a marketer's draft would be (version 0: never published)."""
    bundle = read_dir(settings.content_dir)
    bundle["rules.yaml"] = bundle["rules.yaml"].replace("rules:\n", (
        "rules:\n  - name: pricing\n    keywords: [rate card, 刊例]\n    match: contains\n    priority: 5\n"
        "    reply: {text: {zh: 草稿里的报价回复, en: Draft pricing reply}}\n\n"), 1)
    return compile_bundle(bundle, version=0, needs=CONTENT_NEEDS)


def _keys_outside_preview(redis, prefix: str) -> set[bytes]:
    tag = re.sub(r"[^A-Za-z0-9_-]+", "-", prefix).strip("-")
    keys = set(redis.scan_iter(match=f"{prefix}*", count=1000)) | set(redis.scan_iter(match=f"rq:*{tag}*"))
    return {k for k in keys if not k.startswith(f"{prefix}preview:".encode())}


def test_a_draft_rule_answers_in_preview_but_not_live(bot, draft, follower):
    exchange = Preview(bot, draft, "s1").send(text="what is your rate card?")
    assert [b.text for b in exchange.replies] == ["Draft pricing reply"]
    assert exchange.outcome.rule == "pricing"
    assert "Draft pricing reply" not in follower.send("what is your rate card?").content   # the live version lacks it


def test_which_rule_names_kind_priority_and_keyword(bot, draft):
    route = explain(bot, draft, text="我想看刊例")
    assert route.verdict == "rule"
    assert (route.rule.name, route.rule.kind, route.rule.keyword, route.rule.priority) == ("pricing", "contains", "刊例", 5)
    assert explain(bot, draft, text="help").rule.kind == "command"      # help, give or take a few characters


def test_which_rule_reports_search_scores_and_fallback(bot, draft):
    route = explain(bot, draft, text="teenager mode on short video")
    assert route.verdict == "search"
    assert route.scores and route.scores[0].sent and route.articles == [route.scores[0].article]
    assert route.replies[0].kind == "news" and route.replies[0].layout == "single"
    nothing = explain(bot, draft, text="zzqx vvqq")
    assert nothing.verdict == "fallback" and nothing.handler == "reply_fallback"


def test_which_rule_for_menu_tap_and_article_keyword(bot, draft):
    tap = explain(bot, draft, event="click", key="MENU_ROUNDUP")
    assert tap.verdict == "menu"
    cards = tap.replies[0].cards
    assert tap.replies[0].layout == "list" and len(cards) == 8
    assert all(len(c.title_shown) <= len(c.title) for c in cards)


def test_lead_form_in_preview_stores_nothing_and_queues_nothing(bot, draft, redis, settings, key_prefix):
    before = _keys_outside_preview(redis, key_prefix)
    analytics = Analytics(Keys(key_prefix))
    import datetime as dt
    today = dt.date.today()
    counters_before = analytics.report(redis, today - dt.timedelta(days=1), today + dt.timedelta(days=1)).counters
    preview = Preview(bot, draft, "lead-walk")
    assert "请问怎么称呼您" in preview.send(event="click", key="MENU_CONTACT").replies[0].text
    for answer in ("张三", "示例科技", "市场总监", "13800138000", "2", "1"):
        preview.send(text=answer)
    assert preview.state() == "lead:confirm"
    done = preview.send(text="确认")
    assert done.leads_withheld == 1
    assert "leads.delivery.deliver_lead" in " ".join(done.jobs)      # shown as what live would queue...
    assert preview.state() == ""
    assert _keys_outside_preview(redis, key_prefix) == before        # ...but no lead, job, counter or session
    assert all(len(get_queue(redis, settings, name)) == 0 for name in QUEUES)
    after = analytics.report(redis, today - dt.timedelta(days=1), today + dt.timedelta(days=1)).counters
    assert after == counters_before


def test_preview_keys_expire(bot, draft, redis, key_prefix):
    preview = Preview(bot, draft, "ttl")
    preview.send(text="咨询")
    conv = f"{key_prefix}preview:conv:preview-ttl"
    assert 0 < redis.ttl(conv) <= 600
    preview.reset()
    assert not redis.exists(conv)


def test_bubbles_show_the_text_as_cut_for_wechat_with_the_more_hint():
    msg = preview_message("preview-x", text="hi")
    long_text = "很长的回复。" * 200
    bubble = bubbles(render(Text(long_text), msg, more_hint="回复MORE").body, msg)[0]
    assert bubble.kind == "text" and bubble.bytes <= 2048 and bubble.text.endswith("回复MORE")
    assert bubble.text.removesuffix("回复MORE").strip() in long_text


def test_news_card_titles_are_cut_where_a_phone_cuts_them():
    assert shown_part("短标题", "zh", 22) == "短标题"
    cut = shown_part("这是一个非常非常长的新闻卡片标题，手机上会在两行之后被截断显示", "zh", 22)
    assert cut.endswith("…") and display_width(cut, "zh") <= 22


def test_bad_session_and_event_are_refused(bot, draft):
    with pytest.raises(PreviewError):
        Preview(bot, draft, "../x")
    with pytest.raises(PreviewError):
        Preview(bot, draft, "ok").send(event="teleport")


def test_which_rule_follows_the_intent_the_handler_used(bot, draft):
    for text in ("KOL合作", "我想咨询", "谢谢", "人工", "怎么联系KOL"):
        route = explain(bot, draft, text=text)
        assert route.handler and route.replies, text
        if route.rule is not None and route.rule.keyword:
            assert draft.intent(text).hit.target.rule == route.rule.name
    assert explain(bot, draft, text="我想咨询").verdict in ("rule", "flow")
