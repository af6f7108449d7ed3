"""Keyword rules compiled once per content version: exact (dict), command (exact give or take a few
characters), regex (precompiled), contains (Aho-Corasick).

Matching ignores case and full-width/half-width differences (NFKC + casefold), so "ＫＯＬ", "kol" and
"KOL" are the same keyword. Order: exact, then command, then regex, then contains; within a kind the best-ranked
target wins (explicit rules before menu names before article keywords, then priority, then file order).

Usage::

    matcher = Matcher([Target("kol", action, kind="exact", keyword="KOL")])
    hit = matcher.match("kol")        # -> Hit(target, kind="exact") or None
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import ahocorasick

from library.regex_safety import sre_constants, sre_parse

# Punctuation a follower adds around a keyword ("KOL?", "「B站」", "教育。") that should not defeat an exact match.
EDGE_PUNCT = " \t\r\n.,!?;:'\"()[]{}<>~…-—_·。，！？；：、“”‘’（）【】《》「」『』"


def normalize(text: str) -> str:
    """Case-, width- and whitespace-insensitive form used on both sides of every comparison."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def exact_form(text: str) -> str:
    return normalize(text).strip(EDGE_PUNCT)


def command_width(text: str) -> float:
    """Extra characters around a command or form word, in Chinese characters: a Latin one counts half."""
    return sum(0.5 if ch.isascii() else 1 for ch in text)


def word_char(ch: str) -> bool:
    """A Latin letter or digit: Latin keywords must not start or end inside a word ("AMX" in "examx")."""
    return ch.isascii() and ch.isalnum()


def whole_word(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` neither starts nor ends inside a Latin word."""
    if word_char(text[start]) and start > 0 and word_char(text[start - 1]):
        return False
    return not (word_char(text[end - 1]) and end < len(text) and word_char(text[end]))


@dataclass(frozen=True)
class Target:
    """One keyword of one rule. ``tier``: 0 explicit rule, 1 menu name, 2 article keyword."""

    rule: str
    action: Any
    kind: str
    keyword: str
    tier: int = 0
    priority: int = 0
    order: int = 0

    @property
    def rank(self) -> tuple[int, int, int]:
        return (self.tier, -self.priority, self.order)


@dataclass(frozen=True)
class Hit:
    target: Target
    kind: str


# A "command" keyword (帮助, help, 菜单, menu) also answers when the message adds a few characters around it
# ("跪求帮助", "help please"), but not inside a longer question ("帮助我做小红书投放" is a question).
# Measured in Chinese characters; a Latin letter, digit or space counts half (English words are longer).
COMMAND_SLACK = 4


class AhoCorasick:
    """Every keyword occurring in a text in one pass, however many keywords there are.

    pyahocorasick's automaton (C): a message is scanned several times (the rules, the synonyms, again after
    a rewrite), and the pure-Python automaton this replaced cost more than the rest of keyword routing.
    """

    def __init__(self, words: Iterable[str]):
        self.words: list[str] = list(words)
        self._automaton: Any = None
        if self.words:
            automaton = ahocorasick.Automaton()
            for index, word in enumerate(self.words):
                automaton.add_word(word, index)
            automaton.make_automaton()
            self._automaton = automaton

    def find(self, text: str) -> list[tuple[int, int]]:
        """(word index, end position) for every occurrence, by end position, the longest word first."""
        if self._automaton is None or not text:
            return []
        words = self.words
        found = [(index, last + 1) for last, index in self._automaton.iter(text)]
        found.sort(key=lambda hit: (hit[1], -len(words[hit[0]])))
        return found


class Matcher:
    """All keyword targets of one content version, compiled for constant-ish time per message."""

    def __init__(self, targets: Iterable[Target]):
        self.exact: dict[str, Target] = {}
        commands: dict[str, Target] = {}
        regexes: list[tuple[Target, re.Pattern[str]]] = []
        contains: dict[str, Target] = {}
        for target in targets:
            if target.kind == "exact":
                key = exact_form(target.keyword)
                if key and (key not in self.exact or target.rank < self.exact[key].rank):
                    self.exact[key] = target
            elif target.kind == "command":
                key = exact_form(target.keyword)
                if key and (key not in commands or target.rank < commands[key].rank):
                    commands[key] = target
            elif target.kind == "regex":
                regexes.append((target, re.compile(target.keyword, re.IGNORECASE)))
            elif target.kind == "contains":
                key = normalize(target.keyword)
                if key and (key not in contains or target.rank < contains[key].rank):
                    contains[key] = target
            else:
                raise ValueError(f"unknown match kind {target.kind!r}")
        self.regexes = sorted(regexes, key=lambda pair: pair[0].rank)
        self.commands = sorted(commands.items(), key=lambda pair: (pair[1].rank, -len(pair[0])))
        self._command_text_max = 2 * COMMAND_SLACK + max((len(key) for key in commands), default=0)
        self._regex_gate = _gate([p for _, p in self.regexes])
        self._contains_targets = list(contains.values())
        self._automaton = AhoCorasick(contains)

    def match(self, text: str, *, skip: Callable[[Target], bool] | None = None) -> Hit | None:
        """The best hit for ``text``; ``skip`` leaves out targets (e.g. the lead form's, to find the topic)."""
        return self.scan(text, skip=skip)[0]

    def scan(self, text: str, *, skip: Callable[[Target], bool] | None = None
             ) -> tuple[Hit | None, list[tuple[Target, int, int]]]:
        """The best hit and, when it came to that, every ``contains`` keyword found (see ``contained``)."""
        norm = normalize(text)
        if not norm:
            return None, []
        whole = norm.strip(EDGE_PUNCT)
        target = self.exact.get(whole)
        if target is not None and not (skip and skip(target)):
            return Hit(target, "exact"), []
        target = self._command(whole)
        if target is not None and not (skip and skip(target)):
            return Hit(target, "command"), []
        contained = self.contained(norm)
        if self.regexes and (self._regex_gate is None or self._regex_gate(norm)):
            for target, pattern in self.regexes:
                if not (skip and skip(target)) and pattern.search(norm):
                    return Hit(target, "regex"), contained
        return best_contained(contained, skip), contained

    def _command(self, whole: str) -> Target | None:
        """A command keyword with at most ``COMMAND_SLACK`` other characters around it ("跪求帮助" -> help)."""
        if not self.commands or len(whole) > self._command_text_max:
            return None
        for key, target in self.commands:
            start = whole.find(key)
            if start < 0:
                continue
            end = start + len(key)
            if command_width(whole[:start]) + command_width(whole[end:]) > COMMAND_SLACK:
                continue
            if whole_word(whole, start, end):
                return target
        return None

    def contained(self, norm: str) -> list[tuple[Target, int, int]]:
        """(target, start, end) of every ``contains`` keyword in the normalized text, whole Latin words only."""
        found = []
        for index, end in self._automaton.find(norm):
            word = self._automaton.words[index]
            start = end - len(word)
            if whole_word(norm, start, end):      # "AMX" must not fire inside "examx"
                found.append((self._contains_targets[index], start, end))
        return found


def best_contained(contained: list[tuple[Target, int, int]],
                   skip: Callable[[Target], bool] | None = None) -> Hit | None:
    """The best-ranked of ``Matcher.contained``'s targets that ``skip`` keeps."""
    best: Target | None = None
    for candidate, _, _ in contained:
        if skip and skip(candidate):
            continue
        if best is None or candidate.rank < best.rank:
            best = candidate
    return Hit(best, "contains") if best is not None else None


def _gate(patterns: list[re.Pattern[str]]) -> Callable[[str], bool] | None:
    """A quick "could any of these match?" so most texts cost one or two regex runs, not one per rule.

    Patterns anchored at the start are tried once, at position 0; the rest scan. None: check each pattern.
    """
    checks = []
    for group, anchored in (([p for p in patterns if _anchored(p)], True),
                            ([p for p in patterns if not _anchored(p)], False)):
        if not group:
            continue
        union = group[0] if len(group) == 1 else _union(group)
        if union is None:
            return None
        checks.append(union.match if anchored else union.search)
    return lambda norm: any(check(norm) for check in checks)


def _anchored(pattern: re.Pattern[str]) -> bool:
    """Matches only at the start of the text: begins with "^" outside any alternation, no MULTILINE."""
    if pattern.flags & re.MULTILINE:
        return False
    parsed = list(sre_parse.parse(pattern.pattern))
    return bool(parsed) and parsed[0] == (sre_constants.AT, sre_constants.AT_BEGINNING)


def _union(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern matching wherever any of ``patterns`` does: most texts then cost one regex scan, not one per rule.

    None when the patterns cannot be combined (numbered backreferences would shift, inline global flags).
    """
    if any(re.search(r"\\[1-9]|\(\?[aiLmsux]+\)|\(\?P=", p.pattern) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)
    except re.error:
        return None
