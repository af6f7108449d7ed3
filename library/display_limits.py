"""Warn when a phone would cut a news card's title or summary, or a menu button's name, with "…".

WeChat accepts much longer text than it shows; what a follower sees depends on the layout:

- A menu tap sends up to 8 news cards as a list, where each title gets two lines beside a thumbnail:
  about 11 Chinese characters a line on a 360-375 pt wide phone, so 22 in all.
- A reply to a typed message is one card: title on top, and the summary (description) below it, beside
  the thumbnail, in about 3 lines of 12 Chinese characters, so 36 in all.
- A menu shows about 5 Chinese characters on a top-level button and 8 in a sub-menu (WeChat's own
  guidance was 4 and 7; wider phones show a little more).

A Latin letter or digit is about half as wide as a Chinese character, so English gets twice the count,
less about a tenth for titles and summaries, whose lines break between whole words.

A flow's choice label (the lead form's need) is also filled into template messages ({need}), whose every
field WeChat cuts at 20 characters: a longer label reaches sales and the follower as "Social media a…".

Usage::

    check_display_limits(tree)       # adds warnings to tree.issues; never an error
"""
from __future__ import annotations

import unicodedata
from typing import Any

from library.loader import FLOWS_DIR, MENU_FILE, Tree
from library.models import Button
from wechat.limits import TEMPLATE_FIELD_CHARS

# Chinese characters (a letter or digit counts half) for zh; characters for en.
TITLE_SHOWN = {"zh": 22, "en": 40}
SUMMARY_SHOWN = {"zh": 36, "en": 65}
TOP_BUTTON_SHOWN = {"zh": 5, "en": 10}
SUB_BUTTON_SHOWN = {"zh": 8, "en": 16}


def display_width(text: str, lang: str) -> float:
    """Width of ``text`` in the language's unit: Chinese characters for zh, Latin characters for en."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    narrow = len(text) - wide
    return wide + narrow / 2 if lang == "zh" else wide * 2 + narrow


def _size(width: float, lang: str) -> str:
    if lang == "zh":
        return f"{width:g} Chinese characters wide (a letter or digit counts half)"
    return f"{width:g} characters"


def check_display_limits(tree: Tree) -> None:
    _check_articles(tree)
    _check_menu(tree)
    _check_choice_labels(tree)


def _check_choice_labels(tree: Tree) -> None:
    for name, flow in tree.flows.items():
        file = tree.flow_files.get(name, f"{FLOWS_DIR}{name}.yaml")
        for step_name, step in flow.steps.items():
            for i, choice in enumerate(step.choices):
                for lang, label in choice.labels.items():
                    if len(label) > TEMPLATE_FIELD_CHARS:
                        tree.warn(file, tree.line(file, ("steps", step_name, "choices", i, lang)),
                                  "display.choice_label", label=label, length=len(label), limit=TEMPLATE_FIELD_CHARS)


def _check_articles(tree: Tree) -> None:
    for variants in tree.articles.values():
        for lang, art in variants.items():
            title = display_width(art.front.title, lang)
            if title > TITLE_SHOWN[lang]:
                tree.warn(art.file, art.doc.line(("title",)), "display.title", size=_size(title, lang),
                          width=f"{title:g}", lang=lang, shown=TITLE_SHOWN[lang])
            summary = display_width(art.front.summary, lang)
            if summary > SUMMARY_SHOWN[lang]:
                tree.warn(art.file, art.doc.line(("summary",)), "display.summary", size=_size(summary, lang),
                          width=f"{summary:g}", lang=lang, shown=SUMMARY_SHOWN[lang])


def _check_menu(tree: Tree) -> None:
    for i, button in tree.menu or ():
        _check_name(tree, button, ("buttons", i), TOP_BUTTON_SHOWN, "display.button_top")
        for j, sub in enumerate(button.sub_buttons or ()):
            _check_name(tree, sub, ("buttons", i, "sub_buttons", j), SUB_BUTTON_SHOWN, "display.button_sub")


def _check_name(tree: Tree, button: Button, path: tuple[Any, ...], shown: dict[str, int], code: str) -> None:
    for lang in ("zh", "en"):
        name = button.name.get(lang)
        width = display_width(name, lang)
        if width > shown[lang]:
            tree.warn(MENU_FILE, tree.line(MENU_FILE, path + ("name", lang)), code, name=name,
                      size=_size(width, lang), width=f"{width:g}", lang=lang, shown=shown[lang])


def shown_part(text: str, lang: str, limit: float) -> str:
    """What a phone shows of ``text`` when it fits ``limit`` (in ``display_width`` units): the whole text, or
    the longest start that fits with the "…" WeChat puts where it cuts."""
    if display_width(text, lang) <= limit:
        return text
    room = limit - display_width("…", lang)
    kept = ""
    for ch in text:
        if display_width(kept + ch, lang) > room:
            break
        kept += ch
    return kept.rstrip() + "…"
