"""The checker on broken content: every mistake is reported at once, each with its file, line and a hint."""
from __future__ import annotations

import os
import shutil

import pytest

from app import create_app
from handlers.content_needs import CONTENT_NEEDS
from library.bundle import read_dir
from library.checker import check_bundle
from library.regex_safety import backtracking_risk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROKEN = os.path.join(ROOT, "tests", "fixtures", "content_broken")
CONTENT = os.path.join(ROOT, "content")

# (file, line, severity, words the message contains)
EXPECTED = [
    ("rules.yaml", 8, "error", "unknown article 'no-such-article'"),
    ("rules.yaml", 10, "error", "duplicate keyword '网红' (contains): also in rule 'kol' at line 3"),
    ("rules.yaml", 14, "error", "regex '^(unclosed' does not compile"),
    ("rules.yaml", 18, "error", "could backtrack catastrophically: nested quantifier"),
    ("rules.yaml", 21, "error", "rules[5]: missing required key 'keywords'"),
    ("rules.yaml", 22, "error", "rules[5].keyword: unknown key 'keyword'"),
    ("rules.yaml", 24, "error", "rules[6]: a rule needs exactly one of reply or flow"),
    ("rules.yaml", 29, "error", "9 articles, but a news reply holds at most 8"),
    ("rules.yaml", 32, "error", "unknown message 'no_such_message'"),
    ("rules.yaml", 36, "error", "rules[9].reply.text: missing language variant 'en'"),
    ("rules.yaml", 37, "error", "rule name 'kol' is also used at line 2"),
    ("rules.yaml", 39, "error", "unknown flow 'signup'"),
    ("menu.yaml", 2, "error", "is 36 bytes; WeChat allows 16"),
    ("menu.yaml", 6, "error", "key 'MENU_ONE' is also used at line 4"),
    ("menu.yaml", 7, "error", "click button 'MENU_FOUR' has no reply or flow"),
    ("menu.yaml", 9, "error", "6 sub-buttons; WeChat allows 5"),
    ("menu.yaml", 12, "error", "is 69 bytes; WeChat allows 60"),
    ("menu.yaml", 18, "error", "key is 132 bytes; WeChat allows 128"),
    ("menu.yaml", 24, "error", "4 top-level buttons; WeChat allows 3"),
    ("messages.yaml", 1, "error", "missing message 'contact'"),
    ("messages.yaml", 8, "error", "unknown placeholder {topic}"),
    ("messages.yaml", 8, "warning", "does not use {topics}"),
    ("messages.yaml", 11, "error", "text is 2100 bytes; WeChat shows at most 2048"),
    ("messages.yaml", 13, "error", "busy: missing language variant 'en'"),
    ("messages.yaml", 35, "error", "unknown flow 'signup'"),
    ("flows/broken.yaml", 4, "error", "YAML syntax error"),
    ("flows/lead.yaml", 4, "error", "duplicate key 'start'"),
    ("flows/lead.yaml", 1, "error", "missing required key 'expired'"),
    ("templates.yaml", 6, "error", "lead_sales_alert.fields.thing2: unknown placeholder {nonsense}"),
    ("articles/en/only-english.md", 1, "error", "missing language variant: no articles/zh/only-english.md"),
    ("articles/en/only-english.md", 10, "error", "keyword 'FIRST' is also used by article 'alpha' (articles/en/alpha.md:10)"),
    ("articles/en/wrong-name.md", 2, "error", "id 'right-name' does not match the file name 'wrong-name'"),
    ("articles/en/misplaced.md", 6, "error", "url: must start with https://"),
    ("articles/zh/misplaced.md", 3, "error", "language 'en' but the file is in articles/zh/"),
    ("articles/en/lonely.md", 4, "error", "title is 76 characters; at most 64 for en"),
    ("articles/en/lonely.md", 1, "warning", "article 'lonely' is not reached by any rule, menu button or keyword"),
]


@pytest.fixture(scope="module")
def report():
    return check_bundle(read_dir(BROKEN), CONTENT_NEEDS)


@pytest.mark.parametrize("file, line, severity, words", EXPECTED, ids=[f"{f}:{n}" for f, n, _, _ in EXPECTED])
def test_each_mistake_is_reported_at_its_line(report, file, line, severity, words):
    found = [i for i in report.issues if i.file == file and words in i.message]
    assert found, f"no issue containing {words!r} in {file}; got:\n" + "\n".join(map(str, report.issues))
    assert [(i.line, i.severity) for i in found] == [(line, severity)]


def test_every_error_is_expected_and_reported_in_one_run(report):
    expected_errors = sorted((f, n) for f, n, sev, _ in EXPECTED if sev == "error")
    assert sorted((i.file, i.line) for i in report.errors) == expected_errors
    assert not report.ok


def test_errors_come_with_hints(report):
    hinted = {(i.file, i.line) for i in report.errors if i.hint}
    for must in [("rules.yaml", 10), ("rules.yaml", 18), ("menu.yaml", 2), ("messages.yaml", 11), ("rules.yaml", 39),
                 ("flows/lead.yaml", 1), ("templates.yaml", 6)]:
        assert must in hinted


def _copy_content(tmp_path) -> str:
    target = str(tmp_path / "content")
    shutil.copytree(CONTENT, target)
    return target


def _edit(path: str, old: str, new: str) -> None:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert old in text
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text.replace(old, new, 1))


def _line_of(path: str, needle: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return next(n for n, line in enumerate(fh, 1) if needle in line)


def test_a_marketers_typo_in_the_real_tree_is_caught_with_its_line(tmp_path):
    directory = _copy_content(tmp_path)
    rules = os.path.join(directory, "rules.yaml")
    _edit(rules, "reply: {article: weibo-2021}", "reply: {article: weibo-2012}")
    report = check_bundle(read_dir(directory), CONTENT_NEEDS)
    assert [(i.file, i.line, i.message) for i in report.errors] == [
        ("rules.yaml", _line_of(rules, "weibo-2012"), "unknown article 'weibo-2012'")]
    assert "weibo-2021" in report.errors[0].hint


def test_yaml_syntax_error_names_its_line(tmp_path):
    directory = _copy_content(tmp_path)
    menu = os.path.join(directory, "menu.yaml")
    _edit(menu, 'name: {zh: "微博", en: "Weibo"}', 'name: {zh: "微博", en: "Weibo"')
    report = check_bundle(read_dir(directory), CONTENT_NEEDS)
    syntax = [i for i in report.errors if i.file == "menu.yaml"]
    assert len(syntax) == 1 and "YAML syntax error" in syntax[0].message
    assert syntax[0].line in (_line_of(menu, '"Weibo"'), _line_of(menu, '"Weibo"') + 1)


def test_front_matter_errors_point_into_the_markdown_file(tmp_path):
    directory = _copy_content(tmp_path)
    article = os.path.join(directory, "articles", "zh", "weibo-2021.md")
    _edit(article, "date: 2021-09-17", "date: 17.09.2021")
    report = check_bundle(read_dir(directory), CONTENT_NEEDS)
    errors = [i for i in report.errors if i.file == "articles/zh/weibo-2021.md"]
    assert errors and errors[0].line == _line_of(article, "date:")
    assert errors[0].message.startswith("date:")


def test_missing_front_matter(tmp_path):
    directory = _copy_content(tmp_path)
    with open(os.path.join(directory, "articles", "en", "weibo-2021.md"), "w", encoding="utf-8") as fh:
        fh.write("Just a body.\n")
    report = check_bundle(read_dir(directory), CONTENT_NEEDS)
    assert [(i.file, i.line, i.message) for i in report.errors] == [
        ("articles/en/weibo-2021.md", 1, "missing front matter")]      # the zh file is fine: no follow-on error


# -- one mistake, one error: what depends on a broken file is not reported again ---------------------------------
def _errors(directory: str) -> list[tuple[str, int, str, str]]:
    return [(i.file, i.line, i.message, i.hint) for i in check_bundle(read_dir(directory), CONTENT_NEEDS).errors]


def test_a_yaml_error_in_messages_is_reported_once_with_its_hint(tmp_path):
    directory = _copy_content(tmp_path)
    messages = os.path.join(directory, "messages.yaml")
    _edit(messages, "welcome:", "welcome: [")
    errors = _errors(directory)
    assert len(errors) == 1, errors
    file, _, message, hint = errors[0]
    assert file == "messages.yaml" and "YAML syntax error" in message and hint      # no "unknown message 'help'"


def test_a_missing_title_is_reported_once_not_as_a_missing_language(tmp_path):
    directory = _copy_content(tmp_path)
    article = os.path.join(directory, "articles", "zh", "weibo-2021.md")
    with open(article, encoding="utf-8") as fh:
        text = fh.read()
    with open(article, "w", encoding="utf-8") as fh:
        fh.write("".join(line for line in text.splitlines(keepends=True) if not line.startswith("title:")))
    [(file, _, message, hint)] = _errors(directory)
    assert (file, message) == ("articles/zh/weibo-2021.md", "missing required key 'title'") and "headline" in hint


def test_a_yaml_error_in_one_language_does_not_blame_the_other_or_the_rules(tmp_path):
    directory = _copy_content(tmp_path)
    for lang in ("en", "zh"):                           # both variants broken: rules pointing at it stay quiet
        _edit(os.path.join(directory, "articles", lang, "weibo-2021.md"), "date:", "date: [")
    errors = _errors(directory)
    assert {f for f, _, _, _ in errors} == {"articles/en/weibo-2021.md", "articles/zh/weibo-2021.md"}, errors
    assert all("YAML syntax error" in m and h for _, _, m, h in errors)


@pytest.mark.parametrize("regex", [r"(a+)+$", r"(\w*)*", r"(.*,)*x", r"(?:a|ab)*c", r"([a-z]+\s?)+$", r"(x+x+)+y"])
def test_backtracking_shapes_are_flagged(regex):
    assert backtracking_risk(regex)


@pytest.mark.parametrize("regex", [r"^(价格|报价|多少钱)", r"kol\s*(营销|推广)?", r"^(hi|hello|hey)\b", r"(ab|cd)+", r"\d{3,}",
                                   r"^(wechat|微信)\s*(20)?18", r"(what'?s new|新功能).*(wechat|微信)"])
def test_ordinary_regexes_pass(regex):
    assert backtracking_risk(regex) is None


def test_check_command_lists_errors_and_fails(settings, redis):
    runner = create_app(settings, redis=redis).test_cli_runner()
    result = runner.invoke(args=["content", "check", "--dir", BROKEN])
    assert result.exit_code == 1
    assert "rules.yaml:18: error: regex" in result.output
    assert "menu.yaml:24: error: 4 top-level buttons" in result.output
    assert "flows/lead.yaml:1: error: missing required key 'expired'" in result.output
    assert "templates.yaml:6: error: lead_sales_alert.fields.thing2: unknown placeholder {nonsense}" in result.output
    assert f"{len([e for e in EXPECTED if e[2] == 'error'])} error(s)" in result.output


def test_check_command_passes_on_real_content(settings, redis):
    runner = create_app(settings, redis=redis).test_cli_runner()
    result = runner.invoke(args=["content", "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s), 18 articles" in result.output
