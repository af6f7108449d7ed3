"""What a typed message asks for: a topic, the lead form, or both.

A keyword rule that starts a flow (the lead form's "合作", "咨询", "contact", pricing words) used to win
wherever it appeared, so "KOL合作" or "留学咨询" opened the form instead of answering. Now:

- the message is (almost) only the trigger ("咨询", "我想咨询", "contact us"): start the form;
- the message names a topic too ("KOL合作", "怎么联系KOL"): answer the topic, and offer the form in one line;
- a longer question with a trigger and no rule topic ("你们怎么收费，做过哪些案例"): no form; the handler
  tries search, then offers the form.

Usage::

    intent = read_intent(matcher, "B站合作")
    intent.hit.target.rule == "bilibili" and intent.offer_form      # -> True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from library.matcher import EDGE_PUNCT, Hit, Matcher, Target, best_contained, command_width, normalize
from library.vocabulary import Rewritten

# Characters besides the trigger that still make a message a plain request for the form:
# "我想咨询" (我想), "请联系我" (请我), "I want to contact you" (a Latin letter counts half, spaces not at all).
FILLER_MAX = 4


def starts_flow(target: Target) -> bool:
    """Whether the target's answer is a conversation flow (the lead form)."""
    return getattr(target.action, "flow", None) is not None


@dataclass(frozen=True)
class Intent:
    hit: Hit | None          # the rule to answer with: a topic's, or the form's when the message only asks for it
    offer_form: bool = False  # the message also asked to be contacted: add the one-line form offer

    @property
    def asks_contact_only(self) -> bool:
        """A longer question that asks to be contacted and names no rule topic."""
        return self.hit is None and self.offer_form


def read_intent(matcher: Matcher, text: str, rewrite: Callable[[str], Rewritten] | None = None,
                article_platforms: Mapping[str, frozenset[str]] | None = None) -> Intent:
    """Decide between topic, form, or both for ``text`` (see the module docstring).

    With ``rewrite`` (synonyms.yaml, ``library.vocabulary``), a message no rule matches is tried again with its variants read
    as their ids ("Bilbili" -> the Bilibili rule), and named platforms outweigh generic words: a rule found
    by a generic word ("奢侈品") does not answer a message naming a platform its article is not about
    (``article_platforms``: article id -> platforms its title, summary, tags or keywords name), and a
    message naming several platforms ("小红书和抖音哪个…") is left to search, which weighs them all.
    """
    hit, contained = matcher.scan(text)
    if hit is not None and hit.kind in ("exact", "command"):
        return Intent(hit)              # the whole message is the keyword: a menu name, "咨询", "KOL"
    rewritten = rewrite(text) if rewrite is not None else None
    if hit is None and rewritten is not None and rewritten.platforms + rewritten.terms:
        text = rewritten.text
        hit, contained = matcher.scan(text)
    if hit is None or hit.kind in ("exact", "command"):
        return Intent(hit)              # e.g. "Bilbili" read as "bilibili", an article's keyword
    norm = normalize(text)
    form_spans = [(start, end) for target, start, end in contained if starts_flow(target)]
    if starts_flow(hit.target) and hit.kind == "regex":
        return Intent(hit)              # a form regex is an author's deliberate pattern
    # A form hit is a contains hit (a regex topic would have come first): the topic is the best other one.
    topic = best_contained(contained, skip=starts_flow) if starts_flow(hit.target) else hit
    named = rewritten.platforms if rewritten is not None else ()
    if topic is not None and topic.kind == "contains" and named:
        if len(named) > 1:
            topic = None
        elif named[0] not in _platforms_of(topic.target, article_platforms or {}):
            topic = _platform_topic(contained, named, rewrite)
    if topic is not None:
        return Intent(topic, offer_form=bool(form_spans))
    if form_spans and not named and command_width(_remainder(norm, form_spans)) <= FILLER_MAX:
        return Intent(hit)
    return Intent(None, offer_form=bool(form_spans))


def _platforms_of(target: Target, article_platforms: Mapping[str, frozenset[str]]) -> frozenset[str]:
    spec = target.action
    ids = [spec.article] if getattr(spec, "article", None) else list(getattr(spec, "articles", None) or ())
    return frozenset().union(*(article_platforms.get(a, frozenset()) for a in ids))


def _platform_topic(contained: list[tuple[Target, int, int]], named: tuple[str, ...],
                    rewrite: Callable[[str], Rewritten] | None) -> Hit | None:
    """The best rule found by the one platform named; None (search decides) when no rule names it."""
    if rewrite is None:
        return None
    best: Target | None = None
    for target, _, _ in contained:
        if starts_flow(target) or named[0] not in rewrite(target.keyword).platforms:
            continue
        if best is None or target.rank < best.rank:
            best = target
    return Hit(best, "contains") if best is not None else None


def _remainder(norm: str, spans: list[tuple[int, int]]) -> str:
    """The text without its form triggers, spaces and punctuation: what else the follower said."""
    keep = [True] * len(norm)
    for start, end in spans:
        for i in range(start, end):
            keep[i] = False
    return "".join(ch for ch, kept in zip(norm, keep) if kept and ch not in EDGE_PUNCT)
