"""Every problem the checker can report has a stable code, parameters, and wording in both console languages.

The English is the checker's own (the CLI prints it unchanged); the Chinese lives in console/issue_text.py. A code
added to library/issue_codes.py without its Chinese wording fails here.
"""
from __future__ import annotations

import ast
import os
import re
import string

import pytest
from flask import g

from console.i18n import _CATALOGUE
from console.issue_text import ZH, issue_hint, issue_message
from handlers.content_needs import CONTENT_NEEDS
from library.bundle import read_dir
from library.checker import check_bundle
from library.issue_codes import ISSUES
from tests.support.pages import form_rev

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARY = os.path.join(ROOT, "library")
BROKEN = os.path.join(ROOT, "tests", "fixtures", "content_broken")
CJK = re.compile(r"[\u4e00-\u9fff]")
# The phone-width warnings also pass the width as a bare number, which the Chinese says in characters.
EXTRA_PARAMS = {"display.title": {"width"}, "display.summary": {"width"}, "display.button_top": {"width"},
                "display.button_sub": {"width"}}


def _fields(*templates: str) -> set[str]:
    return {name for text in templates for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_code_has_zh_and_en_wording_in_the_console_catalogue():
    assert set(ZH) == set(ISSUES), ("codes without Chinese wording: " + ", ".join(sorted(set(ISSUES) - set(ZH)))
                                    + "; wording for no code: " + ", ".join(sorted(set(ZH) - set(ISSUES))))
    for code, (en, en_hint) in ISSUES.items():
        message, hint = _CATALOGUE[f"issue.{code}"], _CATALOGUE[f"issue.{code}.hint"]
        assert message["en"] == en and message["zh"] and CJK.search(message["zh"]), code
        assert hint["en"] == en_hint and bool(hint["zh"]) == bool(en_hint), code


@pytest.mark.parametrize("code", sorted(ISSUES))
def test_chinese_wording_uses_only_the_parameters_the_checker_passes(code):
    zh, zh_hint = ZH[code]
    assert _fields(zh, zh_hint) <= _fields(*ISSUES[code]) | EXTRA_PARAMS.get(code, set())


def _codes_in_source() -> set[str]:
    """Every code literal the library hands to ``tree.error``/``tree.warn``, ``YamlProblem`` or returns as one."""
    found = set()
    for name in os.listdir(LIBRARY):
        if not name.endswith(".py") or name == "issue_codes.py":
            continue
        with open(os.path.join(LIBRARY, name), encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(
                    r"(file|yaml|flow|templates|messages|article|schema|reply|text|rule|menu|scene|synonym|display|"
                    r"placeholder|template|review)\.[a-z_]+", node.value):
                found.add(node.value)
    return {code for code in found if not code.endswith(".yaml")}         # file names look alike


def test_every_code_the_library_names_is_registered():
    used = _codes_in_source()
    assert len(used) > 90
    assert used <= set(ISSUES), sorted(used - set(ISSUES))


def test_every_issue_of_broken_content_has_a_code_and_reads_in_chinese(app):
    report = check_bundle(read_dir(BROKEN), CONTENT_NEEDS)
    assert len(report.issues) > 30
    with app.test_request_context():
        g.lang = "zh"
        for issue in report.issues:
            assert issue.code in ISSUES, issue
            zh = issue_message(issue)
            assert CJK.search(zh) and "{" + "where}" not in zh, (issue.code, zh)
            if issue.hint:
                assert issue_hint(issue), issue.code
        g.lang = "en"
        assert [issue_message(i) for i in report.issues] == [i.message for i in report.issues]
    duplicate = next(i for i in report.issues if i.code == "rule.duplicate_keyword")
    assert duplicate.values == {"keyword": "网红", "kind": "contains", "other": "kol", "other_line": 3}
    assert duplicate.message == "duplicate keyword '网红' (contains): also in rule 'kol' at line 3"


def test_a_zh_marketer_sees_the_problem_in_chinese_and_an_en_one_in_english(console_client):
    marketer = console_client("marketer")
    rev = form_rev(marketer.get("/console/rules/edit").get_data(as_text=True))
    assert marketer.post("/console/rules/edit", data={
        "rev": rev, "name": "dup", "keywords": "KOL", "match": "exact", "reply_kind": "message",
        "target": "no_such_message"}).status_code == 302
    page = marketer.get("/console/rules").get_data(as_text=True)
    assert "未知消息「no_such_message」" in page and "unknown message" not in page
    assert marketer.post("/console/lang", data={"lang": "en", "next": "/console/rules"}).status_code == 302
    english = marketer.get("/console/rules").get_data(as_text=True)
    assert "unknown message &#39;no_such_message&#39;" in english and "未知消息" not in english
