"""Greetings: a new follower (optionally from a QR scene) and a follower scanning a QR code again."""
from __future__ import annotations

from wechat.context import Context
from wechat.replies import Reply, Text
from wechat.router import Router

router = Router("welcome")


@router.event("subscribe")
def welcome_subscriber(ctx: Context) -> Reply:
    """Greet a new follower; remember the QR scene that brought them for later (e.g. a lead's source)."""
    if ctx.message.scene:
        ctx.session["scene"] = ctx.message.scene
    return Text(ctx.text("welcome"))


@router.event("scan")
def welcome_back(ctx: Context) -> Reply:
    """Greet a follower who scanned one of our QR codes again."""
    if ctx.message.scene:
        ctx.session["scene"] = ctx.message.scene
    return Text(ctx.text("welcome_back"))
