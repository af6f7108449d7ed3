"""Free text no rule covers: the most relevant article, a short numbered list when several are close, or
nothing (the fallback then suggests topics)."""
from __future__ import annotations

from handlers.context import Context
from handlers.respond import numbered_choices, offer_choices, send_articles
from library.search import Found
from wechat.language import detect
from wechat.replies import Reply, Text
from wechat.router import Router

router = Router("search")

QUERY_MAX_CHARS = 200     # a pasted essay is not a question; bound the work per message


@router.message("text", "voice")
def reply_search(ctx: Context) -> Reply | None:
    """Send the article that best answers the follower's question."""
    return search_answer(ctx)


def no_article_on_platform(ctx: Context, found: Found) -> Reply:
    """Say honestly that no article covers the platform named; offer the closest articles and a consultant."""
    ctx.outcome.search = "platform-missing"
    ctx.conversation.choices = []
    names = ctx.content.platform_names(found.missing_platforms, ctx.lang)
    parts = [ctx.text("platform_missing", platforms=names)]
    if found.related:
        parts.append(numbered_choices(ctx, found.related))
    parts.append(ctx.text("contact_offer"))
    return Text("\n\n".join(parts))


def search_answer(ctx: Context) -> Reply | None:
    """The most relevant article (or a short numbered list) for the message, None when nothing is confident."""
    text = ctx.message.content.strip()[:QUERY_MAX_CHARS]
    if not text:
        return None
    found = ctx.content.find(text, detect(text) or ctx.lang)
    if found.missing_platforms:
        return no_article_on_platform(ctx, found)
    picked = found.articles
    if not picked:
        ctx.outcome.search = "miss"
        return None
    ctx.outcome.search = "hit"
    ctx.conversation.choices = []
    if len(picked) == 1:
        return send_articles(ctx, picked)
    return offer_choices(ctx, picked)
