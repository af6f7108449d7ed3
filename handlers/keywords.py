"""Typed words: a digit picking from the last numbered list, then keyword rules (exact, regex, contains)."""
from __future__ import annotations

from handlers.context import Context
from handlers.respond import pick_choice, respond
from wechat.replies import Reply
from wechat.router import Router

router = Router("keywords")


@router.message("text", "voice")
def reply_numbered_choice(ctx: Context) -> Reply | None:
    """Send the article the follower picked from the list they were just offered."""
    return pick_choice(ctx)


@router.message("text", "voice")
def reply_keyword(ctx: Context) -> Reply | None:
    """Answer the best keyword rule for the text, if any (rules are compiled once per content version)."""
    hit = ctx.content.match(ctx.message.content)
    if hit is None:
        return None
    ctx.outcome.rule = hit.target.rule
    ctx.outcome.match = hit.kind
    return respond(ctx, hit.target.action, source={"kind": "keyword", "key": hit.target.rule})
