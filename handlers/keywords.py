"""Typed words: a digit picking from the last numbered list, then keyword rules (exact, regex, contains).

A lead-form word inside a longer question does not start the form (``library.intent``): the topic is
answered with a one-line offer of the form, and a question with no rule topic goes to search first.
"""
from __future__ import annotations

from handlers.context import Context
from handlers.respond import pick_choice, respond, with_form_offer
from handlers.search import search_answer
from wechat.replies import Reply, Text
from wechat.router import Router

router = Router("keywords")


@router.message("text", "voice")
def reply_numbered_choice(ctx: Context) -> Reply | None:
    """Send the article the follower picked from the list they were just offered."""
    return pick_choice(ctx)


@router.message("text", "voice")
def reply_keyword(ctx: Context) -> Reply | None:
    """Answer the best keyword rule for the text, if any (rules are compiled once per content version)."""
    intent = ctx.content.intent(ctx.message.content)
    if intent.asks_contact_only:
        ctx.outcome.rule = "contact-offer"
        found = search_answer(ctx)
        return with_form_offer(ctx, found) if found is not None else Text(ctx.text("contact_offer"))
    hit = intent.hit
    if hit is None:
        return None
    ctx.outcome.rule = hit.target.rule
    ctx.outcome.match = hit.kind
    reply = respond(ctx, hit.target.action, source={"kind": "keyword", "key": hit.target.rule})
    return with_form_offer(ctx, reply) if intent.offer_form else reply
