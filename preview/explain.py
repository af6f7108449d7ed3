""""Which rule answers this?": the route a text (or a menu tap, subscribe, scan) takes through the real
dispatch against a draft, as a new follower would meet it, with the rule, search scores or fallback named.

It runs the message through ``preview.dispatch.Preview`` (the app's routers, no side effects) in a
throwaway session, then explains the outcome with the same matcher and search the handlers used.

Usage::

    route = explain(app_bot, draft_content, text="KOL")
    route.verdict          # "rule" | "menu" | "article" | "search" | "fallback" | "welcome" | "flow" | "other"
    route.rule             # RuleHit(name="kol", kind="exact", keyword="KOL", priority=0) or None
    explain(app_bot, draft_content, event="click", key="MENU_KOL").key             # "MENU_KOL": the button's reply
    explain(app_bot, draft_content, event="subscribe", key="qrscene_expo2026").scene   # "expo2026": its welcome
    menu_buttons(report.tree)   # the draft's click buttons, to pick one by name
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from library.compiled import Content
from library.loader import Tree
from library.search import confident
from preview.bubbles import Bubble
from preview.dispatch import Preview
from wechat.bot import Bot
from wechat.language import detect

QUERY_MAX_CHARS = 200        # what the search handler reads of a text (handlers/search.py)
SCORES_SHOWN = 3


@dataclass(frozen=True)
class RuleHit:
    name: str          # the rule's name (rules.yaml), "menu:KEY" for a menu name, "article:ID" for a keyword
    kind: str          # how it matched: exact (whole message), regex, contains
    keyword: str
    priority: int
    tier: str          # rule | menu | article


@dataclass(frozen=True)
class SearchScore:
    article: str
    score: float
    sent: bool         # confident enough to be sent


@dataclass(frozen=True)
class Route:
    verdict: str
    handler: str                                 # the handler that answered (its function name)
    rule: RuleHit | None = None
    scores: list[SearchScore] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    replies: list[Bubble] = field(default_factory=list)
    flow: str = ""
    scene: str = ""                              # a QR scene with its own welcome (empty: the default welcome)
    event: str = ""                              # click | subscribe | scan, or "" for a text
    key: str = ""                                # the menu key or the scene as sent
    menu_unknown: bool = False                   # a click whose key the draft's menu does not have


@dataclass(frozen=True)
class MenuButton:
    key: str
    name: dict[str, str]
    parent: dict[str, str] | None = None         # the top-level button it sits under


def menu_buttons(tree: Tree) -> list[MenuButton]:
    """The menu's click buttons (the ones that send WeChat a key), in menu order, from the checker's tree."""
    out = []
    for _, top in tree.menu or ():
        parent = top.name.model_dump() if top.sub_buttons else None
        for button in top.sub_buttons or [top]:
            if button.type == "click" and button.key:
                out.append(MenuButton(button.key, button.name.model_dump(), parent))
    return out


_TIERS = ("rule", "menu", "article")


def explain(live_bot: Bot, content: Content, *, text: str = "", event: str = "", key: str = "") -> Route:
    preview = Preview(live_bot, content, "explain-" + secrets.token_hex(6))
    try:
        exchange = preview.send(text=text, event=event, key=key)
    finally:
        preview.reset()
    outcome = exchange.outcome
    rule = None
    if outcome.rule:
        hit = content.intent(text).hit   # what reply_keyword just decided with, for the keyword and priority
        if hit is not None and hit.target.rule == outcome.rule:
            target = hit.target
            rule = RuleHit(target.rule, hit.kind, target.keyword, target.priority, _TIERS[min(target.tier, 2)])
        else:                            # e.g. "contact-offer": a form word inside a question, no keyword hit
            rule = RuleHit(outcome.rule, outcome.match, "", 0, "rule")
    scores: list[SearchScore] = []
    if outcome.search:
        query = text.strip()[:QUERY_MAX_CHARS]
        ranked = content.search(query, detect(query) or "zh")
        sent = set(confident(ranked))
        scores = [SearchScore(r.id, round(r.score, 3), r.id in sent) for r in ranked[:SCORES_SHOWN]]
    return Route(_verdict(outcome, rule), outcome.route, rule, scores, list(outcome.articles), exchange.replies,
                 outcome.flow, outcome.scene, event, key, outcome.menu_unknown)


def _verdict(outcome, rule: RuleHit | None) -> str:
    if rule is not None:
        return rule.tier
    if outcome.search == "hit":
        return "search"
    if outcome.route == "reply_fallback":
        return "fallback"
    if outcome.route == "reply_menu_click":
        return "menu"
    if outcome.scene or outcome.route.startswith("welcome"):     # welcome_subscriber, welcome_back
        return "welcome"
    if outcome.flow:
        return "flow"
    return "other"
