"""The last word: what a follower gets when no other route answered."""
from __future__ import annotations

from wechat.context import Context
from wechat.replies import Reply, Success, Text
from wechat.router import Router

router = Router("fallback")

DEFAULT_TOPICS = {"zh": "KOL、B站、微博、教育、B2B", "en": "KOL, Bilibili, Weibo, education, B2B"}


@router.message("text", "voice")
def reply_fallback(ctx: Context) -> Reply:
    """Say we found nothing and suggest topics."""
    topics_of = getattr(ctx.content, "topics", None)
    topics = topics_of(ctx.lang) if callable(topics_of) else DEFAULT_TOPICS.get(ctx.lang, DEFAULT_TOPICS["zh"])
    return Text(ctx.text("fallback", topics=topics))


@router.message("image", "video", "shortvideo", "location", "link")
def reply_unsupported_media(ctx: Context) -> Reply:
    """Tell the follower we read text only."""
    return Text(ctx.text("unsupported_media"))


@router.always()
def acknowledge_anything_else(ctx: Context) -> Reply:
    """Unknown message or event types get ``success``."""
    return Success()
