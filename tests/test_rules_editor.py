"""The keyword rules table: rows read from rules.yaml, one rule saved or removed with the rest of the file kept."""
from __future__ import annotations

import pytest
import yaml

from handlers.content_needs import CONTENT_NEEDS
from library.bundle import read_dir
from library.checker import check_bundle
from library.compiled import compile_bundle
from library.rules_editor import RuleEdit, RuleEditError, delete_rule, rule_from_question, rule_rows, save_rule


@pytest.fixture(scope="module")
def bundle():
    return read_dir("content")


def test_rows_show_keywords_kind_priority_and_reply(bundle):
    rows = {r.name: r for r in rule_rows(bundle["rules.yaml"])}
    contact = rows["contact"]
    assert (contact.match, contact.priority, contact.reply_kind, contact.summary) == ("contains", 10, "flow", "lead")
    assert "合作" in contact.keywords
    assert rows["help"].reply_kind == "message" and rows["greeting"].reply_kind == "random"


def test_a_new_rule_answers_and_the_file_keeps_its_comments(bundle):
    edit = RuleEdit("pricing", ["rate card", "刊例", "regex:^cost"], "contains", 5, "text", "报价请联系我们", "Ask us for a quote")
    text = save_rule(bundle["rules.yaml"], edit)
    assert "# Keyword rules: what a follower types" in text
    assert text.count("- name:") == bundle["rules.yaml"].count("- name:") + 1
    draft = {**bundle, "rules.yaml": text}
    assert check_bundle(draft, CONTENT_NEEDS).ok
    content = compile_bundle(draft, 0, CONTENT_NEEDS)
    hit = content.match("what is your rate card")
    assert (hit.target.rule, hit.kind, hit.target.priority) == ("pricing", "contains", 5)
    assert content.match("cost of a campaign").kind == "regex"


def test_editing_and_renaming_keeps_other_rules(bundle):
    text = save_rule(bundle["rules.yaml"], RuleEdit("helpme", ["help"], "exact", 0, "message", target="help"),
                     original="help")
    rows = {r.name: r for r in rule_rows(text)}
    assert "help" not in rows and rows["helpme"].keywords == ["help"]
    assert yaml.safe_load(text)["rules"][0]["name"] == "contact"
    with pytest.raises(RuleEditError) as exc:
        save_rule(text, RuleEdit("contact", ["x"]), original="helpme")
    assert exc.value.field == "name"
    assert "helpme" not in {r.name for r in rule_rows(delete_rule(text, "helpme"))}


def test_a_broken_regex_is_refused_by_the_checker_with_its_line(bundle):
    text = save_rule(bundle["rules.yaml"], RuleEdit("broken", ["(unclosed"], "regex", 0, "text", "a", "b"))
    report = check_bundle({**bundle, "rules.yaml": text}, CONTENT_NEEDS)
    assert not report.ok and any(i.file == "rules.yaml" for i in report.issues if i.severity == "error")


def test_make_a_rule_from_an_unmatched_question():
    edit = rule_from_question("  do you do tmall campaigns ")
    assert edit.keywords == ["do you do tmall campaigns"] and edit.match == "contains"
    assert edit.name == "do-you-do-tmall-campaign"
    assert rule_from_question("抖音").name == "new-rule"
