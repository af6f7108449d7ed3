""""删除我的数据" / "delete my data": erase what we hold about the follower, as China's PIPL expects.

Erases the conversation (session and any open form), customer-service windows and unsent messages,
and every lead of that openid (log entries replaced by tombstones); tells the CRM which lead ids to
forget; records an audit entry with lead ids and counts only. Analytics keeps no per-follower record:
openids only enter HyperLogLog counters (hashed registers that cannot be read back) and unmatched
texts are sampled without openids.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from wechat.custom_messages import forget_follower
from leads import LeadStore, enqueue_erasure
from wechat.replies import Reply, Text
from wechat.router import Router

if TYPE_CHECKING:
    from wechat.context import Context

log = logging.getLogger(__name__)

router = Router("privacy")

ERASE_WORDS = ("删除我的数据", "删除我的信息", "删除数据", "delete my data", "erase my data", "delete my info")


@router.text(*ERASE_WORDS)
def erase_my_data(ctx: "Context") -> Reply:
    """Erase the follower's session, analytics identity and leads; confirm what was erased."""
    bot = ctx.bot
    lang = ctx.lang
    lead_ids = LeadStore(bot.redis, bot.keys).erase(ctx.openid)
    for lead_id in lead_ids:
        try:
            enqueue_erasure(bot.redis, bot.settings, lead_id)
        except Exception:  # the erasure itself is done; the CRM notice can be re-sent from the audit log
            log.exception("could not queue the CRM erasure notice for lead %s", lead_id)
    forget_follower(bot.redis, bot.keys, ctx.openid)   # customer-service windows and unsent messages
    if bot.flows is not None:
        bot.redis.delete(bot.flows.marker_key(ctx.openid))
    ctx.session.clear()                    # the bot deletes the stored conversation when it saves
    ctx.notes["flow_ended"] = True
    ctx.notes["erased"] = True             # finish hooks must not write this follower back in
    log.info("follower data erased (%d lead(s))", len(lead_ids))
    wording = ctx.content.flow("lead")
    text = wording.text("erased", lang, count=len(lead_ids)) if wording else "OK"
    return Text(text)
