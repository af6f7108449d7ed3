"""Greetings: a new follower (optionally from a QR scene) and a follower scanning one of our QR codes again."""
from __future__ import annotations

from handlers.context import Context
from handlers.respond import respond
from wechat.replies import Reply, Text
from wechat.router import Router

router = Router("welcome")


@router.event("subscribe")
def welcome_subscriber(ctx: Context) -> Reply:
    """Greet a new follower, with their QR scene's welcome and flow when content has one."""
    return _greet(ctx, "welcome")


@router.event("scan")
def welcome_back(ctx: Context) -> Reply:
    """Greet a follower who scanned one of our QR codes again."""
    return _greet(ctx, "welcome_back")


def _greet(ctx: Context, default: str) -> Reply:
    scene_name = ctx.message.scene
    if scene_name:
        ctx.conversation.scene = scene_name    # remembered for later, e.g. as a lead's source
    scene = ctx.content.scene(scene_name) if scene_name else None
    if scene is None:
        return Text(ctx.text(default))
    ctx.outcome.scene = scene_name
    greeting = scene.welcome.get(ctx.lang) if scene.welcome else ""
    if scene.action is None:
        return Text(greeting)
    reply = respond(ctx, scene.action, source={"kind": "scene", "key": scene_name})
    # One passive reply per event: a text answer (e.g. a flow's first question) follows the scene's welcome;
    # article cards go alone.
    if greeting and isinstance(reply, Text):
        return Text(f"{greeting}\n\n{reply.content}")
    return reply
