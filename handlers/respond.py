"""Turn a content reply (``ReplySpec``) into a WeChat reply for this follower, in their language.

Shared by keyword rules, menu clicks, QR scenes and search, so every route sends articles, lists and
flows the same way: sent articles are remembered in ``ctx.conversation.read`` (the lead form reports
them), several articles answer a typed message as a numbered list (WeChat shows one card there).

Usage::

    reply = respond(ctx, content.click("MENU_KOL"), source={"kind": "menu", "key": "MENU_KOL"})
    reply = pick_choice(ctx)          # "2" after a numbered list -> that article, else None
"""
from __future__ import annotations

import logging
import random
from typing import Any, Sequence

from handlers.context import Context
from library.matcher import exact_form
from library.models import ReplySpec
from wechat.replies import Article, News, Reply, Text, TransferToAgent, article_limit

log = logging.getLogger(__name__)

READ_KEPT = 10          # last articles remembered per follower
CHOICES_MAX = 8         # a numbered list never grows past what a menu click could show as cards
_OR = {"zh": " 或 ", "en": " or "}
_COMMA = {"zh": "、", "en": ", "}


def respond(ctx: Context, spec: ReplySpec, *, source: dict[str, Any]) -> Reply:
    """The reply ``spec`` describes; ``source`` says what triggered it (handed to a flow it starts)."""
    if spec.random is not None:
        return respond(ctx, random.choice(spec.random), source=source)
    if spec.flow is not None:
        return start_flow(ctx, spec.flow, source)
    ctx.conversation.choices = []
    if spec.article is not None:
        return send_articles(ctx, [spec.article])
    if spec.articles is not None:
        if ctx.message.from_follower and len(spec.articles) > 1:
            return offer_choices(ctx, spec.articles)
        return send_articles(ctx, spec.articles)
    if spec.text is not None:
        return Text(spec.text.get(ctx.lang))
    if spec.handoff:
        return hand_to_people(ctx)
    return Text(ctx.text(spec.message or "help", **promised_figures(ctx)))


def promised_figures(ctx: Context) -> dict[str, str]:
    """What a message may say about how long things are kept ({retention}, {samples_retention}, {session}),
    worded from the settings that enforce it (``handlers.context.promised_periods``)."""
    return {"retention": retention_period(ctx.lead_retention_days, ctx.lang),
            "samples_retention": retention_period(ctx.unmatched_retention_days, ctx.lang),
            "session": f"{ctx.session_minutes} 分钟" if ctx.lang == "zh" else f"{ctx.session_minutes} minutes"}


def hand_to_people(ctx: Context) -> Reply:
    """"人工" / "human": WeChat's customer-service agents when the account has them switched on
    (``WECHAT_TRANSFER_CUSTOMER_SERVICE``), else the offer of the lead form (message ``human``)."""
    if ctx.transfer_to_agents:
        return TransferToAgent()
    return Text(ctx.text("human"))


def with_form_offer(ctx: Context, reply: Reply) -> Reply:
    """``reply`` plus one line offering the lead form (message ``contact_offer``).

    A news card has no room for another line (a phone shows about three lines of its summary), so a
    single card becomes a text with the article's link, its summary and the offer.
    """
    offer = ctx.text("contact_offer")
    if isinstance(reply, Text):
        return Text(f"{reply.content}\n\n{offer}")
    if isinstance(reply, News) and reply.articles:
        card = reply.articles[0]
        return Text(f'<a href="{card.url}">{card.title}</a>\n{card.description}\n\n{offer}')
    return reply


def send_articles(ctx: Context, article_ids: Sequence[str]) -> Reply:
    """News cards in the follower's language; WeChat shows 1 for a typed message, up to 8 otherwise."""
    docs = [doc for doc in (ctx.content.article(a, ctx.lang) for a in article_ids) if doc is not None]
    docs = docs[:article_limit(ctx.message)]
    if not docs:
        return Text(ctx.text("help"))
    remember_read(ctx, [doc.id for doc in docs])
    return News([Article(title=d.title, url=d.url, description=d.summary, image=d.image) for d in docs])


def remember_read(ctx: Context, article_ids: Sequence[str]) -> None:
    read = [a for a in ctx.conversation.read if a not in article_ids] + list(article_ids)
    ctx.conversation.read = read[-READ_KEPT:]
    ctx.outcome.articles.extend(article_ids)


def offer_choices(ctx: Context, article_ids: Sequence[str]) -> Reply:
    """A numbered list of titles; the follower's next digit is resolved by ``pick_choice``."""
    docs = [doc for doc in (ctx.content.article(a, ctx.lang) for a in article_ids) if doc is not None][:CHOICES_MAX]
    if len(docs) == 1:
        return send_articles(ctx, [docs[0].id])
    return Text(numbered_choices(ctx, [doc.id for doc in docs]))


def numbered_choices(ctx: Context, article_ids: Sequence[str]) -> str:
    """The ``choices`` text listing ``article_ids`` by number; remembers them for ``pick_choice``."""
    docs = [doc for doc in (ctx.content.article(a, ctx.lang) for a in article_ids) if doc is not None][:CHOICES_MAX]
    numbers = [str(i) for i in range(1, len(docs) + 1)]
    lang = ctx.lang if ctx.lang in _OR else "zh"
    spoken = _COMMA[lang].join(numbers[:-1]) + _OR[lang] + numbers[-1] if len(numbers) > 1 else "".join(numbers)
    items = "\n".join(f"{n}. {doc.title}" for n, doc in zip(numbers, docs, strict=True))
    ctx.conversation.choices = [doc.id for doc in docs]
    return ctx.text("choices", numbers=spoken, items=items)


def pick_choice(ctx: Context) -> Reply | None:
    """Resolve "1", "２" or "2." after a numbered list; None when the text is not a pending choice."""
    choices = ctx.conversation.choices
    if not choices:
        return None
    picked = exact_form(ctx.message.content)
    if not picked.isdigit() or not 1 <= int(picked) <= len(choices):
        return None
    ctx.conversation.choices = []
    ctx.outcome.choice = int(picked)
    return send_articles(ctx, [choices[int(picked) - 1]])


def start_flow(ctx: Context, name: str, source: dict[str, Any]) -> Reply:
    """Start a conversation flow; without a flow engine, tell the follower how to reach us instead."""
    ctx.conversation.choices = []
    ctx.outcome.flow = name
    source = {**source, "read": list(ctx.conversation.read)}
    # Content may name a flow whose wording was published before its code shipped (or, with no valid content
    # at all, no flow is worded): point to a human instead.
    if ctx.flows is None or not ctx.flows.can_start(ctx, name):
        log.warning("flow %r cannot start; sending the contact text", name)
        return Text(ctx.text("contact"))
    return ctx.start_flow(name, source=source, notice=privacy_notice(ctx, name))


def privacy_notice(ctx: Context, flow: str) -> str:
    """The flow's ``privacy_notice`` text, said before its first question (PIPL art. 17: before collecting),
    with the controller and policy link from content and the retention period from settings."""
    wording = ctx.content.flow(flow)
    if wording is None or "privacy_notice" not in wording.texts:
        return ""
    consent = ctx.content.consent(flow)
    controller = consent.controller.get(ctx.lang) if consent and consent.controller else ""
    return wording.text("privacy_notice", ctx.lang, controller=controller,
                        policy_url=(consent.policy_url if consent else "") or "",
                        retention=retention_period(ctx.lead_retention_days, ctx.lang))


def retention_period(days: int, lang: str) -> str:
    """730 -> "730 天（约 24 个月）" / "730 days (about 24 months)": the setting, as a follower reads it."""
    months = round(days / 30.44)
    if lang == "zh":
        return f"{days} 天（约 {months} 个月）" if months >= 2 else f"{days} 天"
    return f"{days} days (about {months} months)" if months >= 2 else f"{days} days"
