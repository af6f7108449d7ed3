"""Conversation plumbing every follower relies on: language, "MORE", and events that need no words."""
from __future__ import annotations

from handlers.context import Context
from wechat.language import detect, switch_request
from wechat.replies import Reply, Success, Text
from wechat.router import Router

router = Router("system")


@router.message("text", "voice")
def remember_language(ctx: Context) -> Reply | None:
    """Follow the language the follower writes in, unless they chose one explicitly; never replies."""
    if not ctx.conversation.lang_chosen:
        lang = detect(ctx.message.content)
        if lang and lang != ctx.conversation.lang:
            ctx.lang = lang
    return None


@router.message("text", "voice")
def switch_language(ctx: Context) -> Reply | None:
    """Switch language when the follower types "English" or "中文"."""
    lang = switch_request(ctx.message.content)
    if lang is None:
        return None
    ctx.lang = lang
    ctx.conversation.lang_chosen = True
    if ctx.flows is not None and ctx.state:   # mid-form: carry on with the same question, now in `lang`
        again = ctx.flows.repeat_question(ctx, preface=ctx.text("language_switched"))
        if again is not None:
            return again
    return Text(ctx.text("language_switched"))


@router.text("more", "更多", "m")
def send_more(ctx: Context) -> Reply:
    """Send the rest of a long text that did not fit in WeChat's 2048 bytes."""
    rest, ctx.conversation.more = ctx.conversation.more, ""
    return Text(rest) if rest else Text(ctx.text("no_more"))


@router.event("unsubscribe")
def forget_unsubscriber(ctx: Context) -> Reply:
    """Drop the conversation of a follower who left; WeChat shows them nothing, so say nothing."""
    ctx.conversation.clear()
    return Success()


# Events that carry information but expect no answer (WeChat ignores any reply to most of them).
# TEMPLATESENDJOBFINISH's result is recorded by a finish hook (wechat.templates.delivery_results).
@router.event("location", "view", "view_miniprogram", "masssendjobfinish", "templatesendjobfinish",
              "scancode_push", "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select")
def acknowledge_event(ctx: Context) -> Reply:
    """Acknowledge with ``success``."""
    return Success()
