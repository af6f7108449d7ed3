"""Warn when content uses a word that risks WeChat's content review, with the marketers' suggested wording.

The words live in ``review_terms.yaml`` (marketers edit it)::

    zh:
      - term: 加密代币
        instead: 数字藏品
    en:
      - term: Great Firewall
        instead: "leave it out, or write: not available in China"

A term matches regardless of case and full-width/half-width; an English term also matches longer words
that start with it ("censor" finds "censored"). Every term is looked for in every text, whatever its
language. Checked: article titles, summaries and bodies, and every text in the YAML files except what
followers type (keywords, aliases, commands). A malformed list is an error at its line.

Usage::

    check_review_terms(tree)       # warnings for uses, errors for a bad review_terms.yaml
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterator

from library.loader import Tree

REVIEW_TERMS_FILE = "review_terms.yaml"
LANGUAGES = ("zh", "en")
ENTRY_KEYS = ("term", "instead")
# Keys whose values are what followers type, not what the bot says.
INPUT_KEYS = frozenset({"keywords", "aliases", "commands"})
_FORMAT = "write each entry as '- term: <word>' with 'instead: <what to write>' on the next line"


@dataclass(frozen=True)
class ReviewTerm:
    term: str
    instead: str
    line: int
    pattern: re.Pattern[str]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _pattern(term: str) -> re.Pattern[str]:
    folded = _fold(term.strip())
    starts_a_word = folded[:1].isascii() and folded[:1].isalnum()
    return re.compile((r"(?<![a-z0-9])" if starts_a_word else "") + re.escape(folded))


def load_review_terms(tree: Tree) -> list[ReviewTerm]:
    """The terms in ``review_terms.yaml``; each problem in the file becomes an error at its line."""
    doc = tree.docs.get(REVIEW_TERMS_FILE)
    if doc is None or doc.data is None:         # no list (or a YAML error the loader already reported)
        return []
    f = REVIEW_TERMS_FILE
    if not isinstance(doc.data, dict):
        tree.error(f, doc.line(()), "review.not_mapping", format=_FORMAT)
        return []
    terms: list[ReviewTerm] = []
    seen: dict[str, int] = {}
    for lang, entries in doc.data.items():
        if lang not in LANGUAGES:
            tree.error(f, doc.line((lang,)), "review.unknown_language", lang=lang)
            continue
        if entries is None:
            continue
        if not isinstance(entries, list):
            tree.error(f, doc.line((lang,)), "review.not_list", lang=lang, format=_FORMAT)
            continue
        for k, entry in enumerate(entries):
            line = doc.line((lang, k))
            if not isinstance(entry, dict):
                tree.error(f, line, "review.not_entry", lang=lang, index=k, format=_FORMAT)
                continue
            for key in entry:
                if key not in ENTRY_KEYS:
                    tree.error(f, doc.line((lang, k, key)), "review.unknown_key", lang=lang, index=k, key=key)
            term, instead = entry.get("term"), entry.get("instead")
            if not isinstance(term, str) or not term.strip():
                tree.error(f, doc.line((lang, k, "term")), "review.bad_term", lang=lang, index=k, format=_FORMAT)
                continue
            if not isinstance(instead, str) or not instead.strip():
                tree.error(f, doc.line((lang, k, "instead")), "review.needs_instead", lang=lang, index=k, term=term)
                continue
            key = _fold(term.strip())
            if key in seen:
                tree.error(f, line, "review.duplicate", term=term, other_line=seen[key])
                continue
            seen[key] = line
            terms.append(ReviewTerm(term.strip(), instead.strip(), line, _pattern(term)))
    return terms


def check_review_terms(tree: Tree) -> None:
    terms = load_review_terms(tree)
    if not terms:
        return
    for file, line, text in _follower_texts(tree):
        folded = _fold(text)
        for term in terms:
            if term.pattern.search(folded):
                tree.warn(file, line, "review.risky_term", term=term.term, instead=term.instead,
                          file=REVIEW_TERMS_FILE, term_line=term.line)


def _follower_texts(tree: Tree) -> Iterator[tuple[str, int, str]]:
    """(file, line, text) of everything the bot may show a follower."""
    for variants in tree.articles.values():
        for art in variants.values():
            yield art.file, art.doc.line(("title",)), art.front.title
            yield art.file, art.doc.line(("summary",)), art.front.summary
            for i, body_line in enumerate(art.body.splitlines()):
                yield art.file, art.body_line + i, body_line
    for rel, data in tree.data.items():
        if rel != REVIEW_TERMS_FILE and rel in tree.docs:
            for path, text in _strings(data, ()):
                yield rel, tree.line(rel, path), text


def _strings(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in INPUT_KEYS:
                yield from _strings(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, path + (i,))
