"""Editorial checks: what a phone shows of a card or a menu name, words that risk WeChat's review, and no
promise of a topic we have no article on. Pure content checks: no Redis."""
from __future__ import annotations

import os
import re

import pytest

from library.bundle import Bundle, read_dir
from library.checker import check_bundle
from library.display_limits import (SUB_BUTTON_SHOWN, SUMMARY_SHOWN, TITLE_SHOWN, TOP_BUTTON_SHOWN,
                                    display_width)
from library.loader import parse_bundle
from library.review_terms import REVIEW_TERMS_FILE, load_review_terms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "content")


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return read_dir(CONTENT)


@pytest.fixture(scope="module")
def tree(bundle):
    return parse_bundle(bundle)


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# -- the real content ---------------------------------------------------------------------------------------
def test_display_width_counts_a_letter_as_half_a_chinese_character():
    assert display_width("B站与Z世代", "zh") == 5
    assert display_width("KOLs & idols", "en") == 12
    assert display_width("猜画小歌", "en") == 8


def test_every_article_fits_a_phones_news_card(tree):
    assert len(tree.articles) >= 18
    for article_id, variants in tree.articles.items():
        for lang, art in variants.items():
            assert display_width(art.front.title, lang) <= TITLE_SHOWN[lang], (art.file, art.front.title)
            assert display_width(art.front.summary, lang) <= SUMMARY_SHOWN[lang], (art.file, art.front.summary)


def test_every_menu_name_shows_whole(tree):
    for _, button in tree.menu:
        for lang in ("zh", "en"):
            assert display_width(button.name.get(lang), lang) <= TOP_BUTTON_SHOWN[lang], button.name
        for sub in button.sub_buttons or ():
            for lang in ("zh", "en"):
                assert display_width(sub.name.get(lang), lang) <= SUB_BUTTON_SHOWN[lang], sub.name


def test_the_review_list_holds_the_known_risky_terms(tree):
    terms = {t.term: t.instead for t in load_review_terms(tree)}
    assert not [i for i in tree.issues if i.file == REVIEW_TERMS_FILE]
    for term in ("防火长城", "网络审查", "审查环境", "加密代币", "Great Firewall", "censorship"):
        assert term in terms
    assert terms["加密代币"] == "数字藏品"


def test_no_article_uses_a_listed_risky_term(tree):
    terms = load_review_terms(tree)
    assert terms
    for variants in tree.articles.values():
        for art in variants.values():
            text = "\n".join((art.front.title, art.front.summary, art.body)).casefold()
            assert not [t.term for t in terms if t.pattern.search(text)], art.file


# What would promise Xiaohongshu: its names in any text the bot says, except the honest "we have no article".
XIAOHONGSHU = re.compile(r"小红书|xiaohongshu|redbook|little red book|\bxhs\b", re.IGNORECASE)
RED = re.compile(r"\bRED\b")


def _said_texts(tree):
    """(where, text) of every text the bot says outside articles, except replies to Xiaohongshu itself."""
    def strings(node, where):
        if isinstance(node, str):
            yield where, node
        elif isinstance(node, dict):
            for key, value in node.items():
                if key not in ("keywords", "aliases", "commands"):
                    yield from strings(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from strings(value, f"{where}[{i}]")

    for rel in ("messages.yaml", "menu.yaml", "templates.yaml", "flows/lead.yaml"):
        yield from strings(tree.data[rel], rel)
    for i, rule in enumerate(tree.data["rules.yaml"]["rules"]):
        triggers = " ".join(str(k) for k in rule["keywords"])
        if not XIAOHONGSHU.search(triggers):
            yield from strings(rule, f"rules.yaml[{i}]")


def test_nothing_the_bot_says_promises_xiaohongshu(tree):
    texts = list(_said_texts(tree))
    assert any(where.startswith("messages.yaml.help") for where, _ in texts)
    promises = [(where, text) for where, text in texts if XIAOHONGSHU.search(text) or RED.search(text)]
    assert promises == []


# -- the checker on edited content --------------------------------------------------------------------------
def test_a_long_title_and_summary_warn_with_the_limit_and_why(bundle):
    edited = dict(bundle)
    rel = "articles/en/weibo-2021.md"
    long_title = "Weibo in 2021: Still Rising with China's Gen Z and Beyond"       # 57 characters
    edited[rel] = re.sub(r'^title: ".*"$', f'title: "{long_title}"', bundle[rel], count=1, flags=re.M)
    rel_zh = "articles/zh/weibo-2021.md"
    long_summary = "2021年二季度新浪微博月活达5.66亿，同比增加4300万，用户年轻、互动活跃，品牌营销价值依然很高。"
    edited[rel_zh] = re.sub(r'^summary: ".*"$', f'summary: "{long_summary}"', bundle[rel_zh], count=1, flags=re.M)
    report = check_bundle(edited)
    assert report.ok                                                      # a warning, never blocks publishing
    title = [i for i in report.warnings if i.file == rel]
    assert [(i.line, i.message) for i in title] == [
        (_line(edited[rel], "title:"),
         "title is 57 characters; a phone shows about 40 (two lines of a news card) before cutting it")]
    assert "two lines beside a thumbnail" in title[0].hint
    summary = [i for i in report.warnings if i.file == rel_zh]
    assert len(summary) == 1 and summary[0].line == _line(edited[rel_zh], "summary:")
    assert summary[0].message.startswith("summary is 46 Chinese characters wide (a letter or digit counts half); "
                                         "a phone shows about 36")


def test_a_menu_name_a_phone_cuts_warns(bundle):
    edited = dict(bundle)
    edited["menu.yaml"] = bundle["menu.yaml"].replace('en: "Mini programs"', 'en: "Mini programs & games"', 1)
    report = check_bundle(edited)
    found = [i for i in report.warnings if i.file == "menu.yaml"]
    assert [(i.line, i.message) for i in found] == [
        (_line(edited["menu.yaml"], "Mini programs & games"),
         "button name 'Mini programs & games' is 21 characters; a phone shows about 16 in a sub-menu "
         "before cutting it with …")]


def test_a_risky_term_warns_where_it_is_used_with_the_suggested_wording(bundle):
    edited = dict(bundle)
    rel = "articles/zh/amx-ayayi-metahuman.md"
    edited[rel] = bundle[rel].replace("代表一项数字资产。", "代表一项数字资产，本质上是一种加密代币。", 1)
    edited["messages.yaml"] = bundle["messages.yaml"].replace(
        "We're a little busy right now.", "We're a little busy right now (no, it's not the Great Firewall).", 1)
    report = check_bundle(edited)
    assert report.ok
    risky = sorted((i.file, i.line, i.message, i.hint) for i in report.warnings if "content review" in i.message)
    terms_text = bundle[REVIEW_TERMS_FILE]
    assert risky == [
        (rel, _line(edited[rel], "加密代币"), "'加密代币' may not pass WeChat's content review",
         f"suggestion: 数字藏品 (list: review_terms.yaml:{_line(terms_text, '加密代币')})"),
        ("messages.yaml", _line(edited["messages.yaml"], "Great Firewall"),
         "'Great Firewall' may not pass WeChat's content review",
         f"suggestion: leave it out; if needed, state the fact: 'not available in China' "
         f"(list: review_terms.yaml:{_line(terms_text, 'Great Firewall')})"),
    ]


def test_an_english_term_matches_case_insensitively_and_at_word_starts_only(bundle):
    edited = dict(bundle)
    rel = "articles/en/idol-economy-kol-koc.md"
    edited[rel] = bundle[rel].replace("cancelled or pulled at short notice",
                                      "CENSORED or pulled at short notice; see also uncensored", 1)
    found = [i for i in check_bundle(edited).warnings if i.file == rel and "content review" in i.message]
    assert [i.message for i in found] == ["'censored' may not pass WeChat's content review"]


def test_what_followers_type_is_not_checked(bundle):
    edited = dict(bundle)
    edited["rules.yaml"] = bundle["rules.yaml"].replace("keywords: [微博, Weibo]", "keywords: [微博, Weibo, 翻墙]", 1)
    assert not [i for i in check_bundle(edited).warnings if "content review" in i.message]


# -- a malformed review_terms.yaml: an error at its line, with a hint -------------------------------------
BAD_LISTS = [
    ("zh:\n  - term: 翻墙\n    instead: 删去\n  - term: 加密代币\n", 4, "zh[1]: '加密代币' needs 'instead'"),
    ("zh:\n  - term: 翻墙\n    instead: 删去\n    replace: x\n", 4, "zh[0]: unknown key 'replace'"),
    ("zh:\n  - 翻墙\n", 2, "zh[0]: not a term entry"),
    ("zh: 翻墙\n", 1, "zh: must be a list of terms"),
    ("fr:\n  - term: censure\n    instead: x\n", 1, "unknown key 'fr'"),
    ("en:\n  - term: VPN\n    instead: x\n  - term: vpn\n    instead: y\n", 4, "'vpn' is listed twice (also at line 2)"),
    ("en:\n  - term: \"\"\n    instead: x\n", 2, "en[0]: 'term' must be a word or phrase"),
    ("- 翻墙\n", 1, "review_terms.yaml must have a zh: list and an en: list"),
    ("zh:\n  - term: 翻墙\n    instead: 删去: 这句\n", 3, "YAML syntax error"),
]


@pytest.mark.parametrize("text, line, words", BAD_LISTS, ids=[w for _, _, w in BAD_LISTS])
def test_a_malformed_review_list_is_an_error_naming_file_and_line(bundle, text, line, words):
    report = check_bundle({**bundle, REVIEW_TERMS_FILE: text})
    errors = [i for i in report.errors if i.file == REVIEW_TERMS_FILE]
    assert [(i.line, words in i.message) for i in errors] == [(line, True)], [str(i) for i in report.issues]
    assert str(errors[0]).startswith(f"review_terms.yaml:{line}: error: ")
    assert errors[0].hint
    assert not report.ok
