"""The last word: what a follower gets when no other route answered."""
from __future__ import annotations

from handlers.context import Context
from wechat.replies import Reply, Success, Text
from wechat.router import Router

router = Router("fallback")

@router.message("voice")
def reply_unrecognised_voice(ctx: Context) -> Reply | None:
    """A voice message WeChat could not transcribe (no Recognition): ask for text, as for a picture."""
    if ctx.message.content:
        return None
    return Text(ctx.text("unsupported_media"))


@router.message("text", "voice")
def reply_fallback(ctx: Context) -> Reply:
    """Say we found nothing and suggest topics."""
    return Text(ctx.text("fallback", topics=ctx.content.topics(ctx.lang)))


@router.message("image", "video", "shortvideo", "location", "link")
def reply_unsupported_media(ctx: Context) -> Reply:
    """Tell the follower we read text only."""
    return Text(ctx.text("unsupported_media"))


@router.always()
def acknowledge_anything_else(ctx: Context) -> Reply:
    """Unknown message or event types get ``success``."""
    return Success()
