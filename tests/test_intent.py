"""library/intent.py and the matcher's command kind on a small rule set: the mechanism, not one rule."""
from __future__ import annotations

import pytest

from library.intent import read_intent
from library.matcher import Matcher, Target
from library.models import ReplySpec, SynonymsFile
from library.vocabulary import Vocabulary

FORM = ReplySpec(flow="signup")
TARGETS = [
    Target("signup", FORM, "contains", "join", priority=10),
    Target("signup", FORM, "contains", "加入", priority=10),
    Target("kites", ReplySpec(article="kites"), "contains", "kite"),
    Target("boats", ReplySpec(article="boats"), "contains", "帆船"),
    Target("help", ReplySpec(message="help"), "command", "帮助"),
    Target("help", ReplySpec(message="help"), "command", "help"),
]
VOCAB = Vocabulary.build(SynonymsFile.model_validate(
    {"platforms": [{"id": "acme", "name": {"zh": "艾克米", "en": "Acme"}, "variants": ["acme", "艾克米", "akme"]}],
     "terms": []}))


@pytest.fixture(scope="module")
def matcher():
    return Matcher(TARGETS)


@pytest.mark.parametrize("text, rule, offer", [
    ("join", "signup", False),            # the trigger alone starts the flow
    ("I want to join", "signup", False),  # a little filler still does
    ("kite join", "kites", True),         # any flow trigger next to a topic: the topic, and the offer
    ("帆船加入", "boats", True),
    ("我们能不能加入你们的计划并且一起合作呢", None, True),   # a longer question, no topic: search, then the offer
    ("kite", "kites", False),
])
def test_a_flow_trigger_inside_a_longer_message_does_not_start_the_flow(matcher, text, rule, offer):
    intent = read_intent(matcher, text)
    assert (intent.hit.target.rule if intent.hit else None) == rule
    assert intent.offer_form is offer


@pytest.mark.parametrize("text, hit", [("帮助", True), ("跪求帮助", True), ("帮助!!", True), ("help please", True),
                                       ("帮助我做一个帆船的推广", False), ("helpful", False), ("please help me find kites", False)])
def test_a_command_answers_with_a_few_extra_characters_only(matcher, text, hit):
    found = matcher.match(text)
    assert (found is not None and found.target.rule == "help") is hit


def test_variants_reach_rules_and_name_platforms(matcher):
    rewritten = VOCAB.rewrite("Akme 和 艾克米 的 kite")
    assert rewritten.platforms == ("acme",) and "acme" in rewritten.text.split()
    assert VOCAB.rewrite("akmex").platforms == ()                   # Latin variants match whole words only
