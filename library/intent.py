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

from library.matcher import _EDGE_PUNCT, Hit, Matcher, Target, normalize

# Characters besides the trigger that still make a message a plain request for the form:
# "我想咨询" (我想), "请联系我" (请我), "contact me" (me).
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


def read_intent(matcher: Matcher, text: str) -> Intent:
    """Decide between topic, form, or both for ``text`` (see the module docstring)."""
    hit = matcher.match(text)
    if hit is None or hit.kind in ("exact", "command"):
        return Intent(hit)              # the whole message is the keyword: a menu name, "咨询", "KOL"
    norm = normalize(text)
    form_spans = [(start, end) for target, start, end in matcher.contained(norm) if starts_flow(target)]
    if not starts_flow(hit.target):
        return Intent(hit, offer_form=bool(form_spans))
    if hit.kind == "regex":
        return Intent(hit)              # a form regex is an author's deliberate pattern
    topic = matcher.match(text, skip=starts_flow)
    if topic is not None:
        return Intent(topic, offer_form=True)
    if len(_remainder(norm, form_spans)) <= FILLER_MAX:
        return Intent(hit)
    return Intent(None, offer_form=True)


def _remainder(norm: str, spans: list[tuple[int, int]]) -> str:
    """The text without its form triggers, spaces and punctuation: what else the follower said."""
    keep = [True] * len(norm)
    for start, end in spans:
        for i in range(start, end):
            keep[i] = False
    return "".join(ch for ch, kept in zip(norm, keep) if kept and ch not in _EDGE_PUNCT)
