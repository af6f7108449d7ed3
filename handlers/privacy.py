""""删除我的数据" / "delete my data": erase what we hold about the follower, as China's PIPL expects.

Erases the conversation (and any open form), customer-service windows and unsent messages, and every
lead of that openid (log entries replaced by tombstones); tells the CRM which lead ids to forget; the
lead store records an audit entry with lead ids and counts only. The worker then overwrites the
follower's cached replies (a form's summary quotes them) and rewrites Redis's append-only file.
"""
from __future__ import annotations

import logging

from handlers.context import Context
from leads import deliver_erasure, erasure_job_id
from wechat.replies import Reply, Text
from wechat.reply_cache import forget_cached_replies
from wechat.router import Router

log = logging.getLogger(__name__)

router = Router("privacy")

ERASE_WORDS = ("删除我的数据", "删除我的信息", "删除数据", "delete my data", "erase my data", "delete my info")


@router.text(*ERASE_WORDS)
def erase_my_data(ctx: Context) -> Reply:
    """Erase the follower's conversation, leads and message windows; confirm what was erased."""
    lang = ctx.lang
    lead_ids = ctx.privacy.erase(ctx.openid)
    for lead_id in lead_ids:           # the CRM is told which leads to forget (ids only)
        ctx.defer(deliver_erasure, job_id=erasure_job_id(lead_id), lead_id=lead_id)
    # The retry cache may quote the follower for another minute: the worker overwrites it (a SCAN, which
    # no webhook request should do), keeping this answer, which names no one.
    ctx.defer(forget_cached_replies, openid=ctx.openid, keep=ctx.message.dedupe_key)
    ctx.conversation.clear()           # the bot deletes the stored conversation when it saves
    ctx.outcome.flow_ended = True
    ctx.outcome.erased = True          # finish hooks must not write this follower back in
    log.info("follower data erased (%d lead(s))", len(lead_ids))
    wording = ctx.content.flow("lead")          # the live version's, checked to word "erased"
    if wording is None:
        return Text("OK")
    # A second erasure finds nothing: say so, rather than "0 erased... we told the consultants to delete them".
    return Text(wording.text("erased", lang, count=len(lead_ids)) if lead_ids else wording.text("erased_none", lang))
