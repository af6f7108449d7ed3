"""The article form's file writing: a change rewrites only its own lines; everything else stays as written."""
from __future__ import annotations

import os

from console.articles import ArticleForm, card, counters, path_of
from library.bundle import read_dir
from library.checker import check_bundle

ARTICLE = "weibo-2021"
CONTENT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "content")


def _form():
    bundle = read_dir(CONTENT)
    return bundle, ArticleForm.from_bundle(bundle, check_bundle(bundle), ARTICLE)


def test_an_untouched_form_changes_nothing():
    bundle, form = _form()
    assert form.changes(bundle) == {}


def test_a_changed_field_rewrites_only_its_line():
    bundle, form = _form()
    form.variants["zh"].values["title"] = "新标题: 含冒号"
    changes = form.changes(bundle)
    assert list(changes) == [path_of(ARTICLE, "zh")]
    old, new = bundle[path_of(ARTICLE, "zh")].splitlines(), changes[path_of(ARTICLE, "zh")].splitlines()
    differing = [(a, b) for a, b in zip(old, new) if a != b]
    assert len(old) == len(new) and differing == [(old[3], "title: '新标题: 含冒号'")]


def test_a_multi_line_value_falls_back_to_rewriting_the_front_matter():
    bundle, form = _form()
    path = path_of(ARTICLE, "en")
    text = bundle[path].replace("tags: [weibo, social-media, gen-z, influencer-marketing]",
                                "tags:\n  - weibo\n  - social-media")
    bundle = {**bundle, path: text}
    form = ArticleForm.from_bundle(bundle, check_bundle(bundle), ARTICLE)
    form.variants["en"].values["tags"] = "weibo, gen-z"
    new = form.changes(bundle)[path]
    assert "tags: [weibo, gen-z]" in new and new.startswith("---\nid: weibo-2021\nlanguage: en\n")
    assert check_bundle({**bundle, path: new}).ok


def test_counters_and_card_use_the_checker_and_display_limits():
    _, form = _form()
    zh = form.variants["zh"]
    zh.values["title"] = "一" * 33
    assert counters(zh)["title"].state == "over" and counters(zh)["title"].limit == 32
    zh.values["title"] = "一" * 23
    assert counters(zh)["title"].state == "cut" and card(zh).title.endswith("…")
    zh.values["title"] = "一" * 22
    assert counters(zh)["title"].state == "ok" and card(zh).title == "一" * 22
