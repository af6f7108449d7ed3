"""Menu clicks: each CLICK key in content/menu.yaml answers with its reply or starts its flow."""
from __future__ import annotations

from handlers.context import Context
from handlers.respond import respond
from wechat.replies import Reply, Text
from wechat.router import Router

router = Router("menu")


@router.click()
def reply_menu_click(ctx: Context) -> Reply:
    """Send what the tapped button promises; a key content no longer has gets the help text."""
    key = ctx.message.event_key
    spec = ctx.content.click(key)
    if spec is None:
        # A menu published before its content (or an old one still cached by the client): say what we can do.
        ctx.outcome.menu_unknown = True
        return Text(ctx.text("help"))
    return respond(ctx, spec, source={"kind": "menu", "key": key})
