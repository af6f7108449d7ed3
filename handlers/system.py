"""Conversation plumbing every follower relies on: language, "MORE", and events that need no words."""
from __future__ import annotations

import logging

from redis import RedisError

from wechat.context import Context
from wechat.language import detect, switch_request
from wechat.replies import Reply, Success, Text
from wechat.router import Router
from wechat.templates import record_delivery

log = logging.getLogger(__name__)

router = Router("system")


@router.message("text", "voice")
def remember_language(ctx: Context) -> Reply | None:
    """Follow the language the follower writes in, unless they chose one explicitly; never replies."""
    if not ctx.session.get("lang_chosen"):
        lang = detect(ctx.message.content)
        if lang and lang != ctx.session.get("lang"):
            ctx.lang = lang
    return None


@router.message("text", "voice")
def switch_language(ctx: Context) -> Reply | None:
    """Switch language when the follower types "English" or "中文"."""
    lang = switch_request(ctx.message.content)
    if lang is None:
        return None
    ctx.lang = lang
    ctx.session["lang_chosen"] = True
    if ctx.bot.flows is not None and ctx.state:   # mid-form: carry on with the same question, now in `lang`
        again = ctx.bot.flows.repeat_question(ctx, preface=ctx.text("language_switched"))
        if again is not None:
            return again
    return Text(ctx.text("language_switched"))


@router.text("more", "更多", "m")
def send_more(ctx: Context) -> Reply:
    """Send the rest of a long text that did not fit in WeChat's 2048 bytes."""
    rest = ctx.session.pop("more", "")
    return Text(rest) if rest else Text(ctx.text("no_more"))


@router.event("unsubscribe")
def forget_unsubscriber(ctx: Context) -> Reply:
    """Drop the conversation of a follower who left; WeChat shows them nothing, so say nothing."""
    ctx.session.clear()
    return Success()


@router.event("templatesendjobfinish")
def record_template_delivery(ctx: Context) -> Reply:
    """Record whether a template message reached the follower (WeChat reports it with this event)."""
    try:
        record_delivery(ctx.bot.redis, ctx.bot.keys, ctx.message.msg_id, ctx.message.get("Status"))
    except RedisError:
        log.warning("could not record a template delivery result (redis down)")
    return Success()


# Events that carry information but expect no answer (WeChat ignores any reply to most of them).
@router.event("location", "view", "view_miniprogram", "masssendjobfinish",
              "scancode_push", "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select")
def acknowledge_event(ctx: Context) -> Reply:
    """Acknowledge with ``success``."""
    return Success()
