"""Erasure asked for outside WeChat (a follower wrote to sales): the same ``Erasure`` as "delete my data",
started from one of the follower's leads, then the same follow-up jobs (the CRM's notice per lead, the cached
replies overwritten). The audit entry says ``console``; it keeps ids and counts only.

Usage::

    erased = erase_on_request(redis, settings, lead_id)     # -> the follower's erased lead ids; [] if none
"""
from __future__ import annotations

import redis as redis_lib

from config import Settings
from leads.delivery import enqueue_erasure
from leads.store import LeadStore
from privacy.aof import settle_seconds
from privacy.erasure import Erasure
from wechat.jobs import enqueue
from wechat.redis_conn import Keys
from wechat.reply_cache import forget_cached_replies


class UnknownLead(LookupError):
    """No active lead with that id (never existed, or already erased)."""


def erase_on_request(redis: redis_lib.Redis, settings: Settings, lead_id: str) -> list[str]:
    """Erase everything held about the follower behind ``lead_id``: their leads, conversation and windows."""
    keys = Keys(settings.key_prefix)
    store = LeadStore(redis, keys)
    lead = store.get(lead_id)
    if lead is None or lead.state != "active" or not lead.openid:
        raise UnknownLead(lead_id)
    openid = lead.openid
    erased = Erasure(redis, keys, store, aof_settle=settle_seconds(settings)).erase(openid, channel="console")
    redis.delete(keys.conv(openid), keys("flowmark", openid))    # an open form's answers and its expiry note
    for one in erased:
        enqueue_erasure(redis, settings, one)
    enqueue(redis, settings, forget_cached_replies, {"openid": openid, "keep": ""},
            job_id=f"console-erase-{lead_id}:forget-replies")
    return erased
