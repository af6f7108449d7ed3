"""Erasure asked for outside WeChat (a follower wrote to sales): the same ``Erasure`` as "delete my data",
started from one of the follower's leads, then the same follow-up jobs (the CRM's notice per lead, the cached
replies overwritten). The audit entry says ``console``; it keeps ids and counts only.

A request is carried out at once, whoever asks (the follower in WeChat, sales here, or the retention job): there
is no queue of requests waiting for approval. What can still be outstanding is the follow-up, the CRM's erasure
notice per lead (a job with retries), so ``erasure_requests`` lists each erasure from the leads audit log with
the state of those notices: ``pending`` (queued or retrying), ``failed`` (gave up: see ``jobs dead-letters``) or
``done``. Ids and counts only.

Usage::

    erased = erase_on_request(redis, settings, lead_id)     # -> the follower's erased lead ids; [] if none
    for request in erasure_requests(redis, settings): request.channel, request.count, request.state
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import redis as redis_lib

from config import Settings
from leads.browse import erasure_entries
from leads.delivery import enqueue_erasure
from leads.intake import erasure_job_id
from leads.store import LeadStore
from privacy.aof import settle_seconds
from privacy.erasure import Erasure
from wechat.jobs import enqueue, job_status, rq_job_id
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


PENDING_JOB_STATES = ("queued", "started", "scheduled", "deferred")
FAILED_JOB_STATES = ("failed", "stopped", "canceled")
REQUEST_STATES = ("pending", "failed", "done")


@dataclass(frozen=True)
class ErasureRequest:
    at: float
    channel: str                 # wechat (the follower), console (sales, on request), retention
    lead_ids: tuple[str, ...]
    state: str                   # pending | failed | done: the CRM notices of its leads

    @property
    def count(self) -> int:
        return len(self.lead_ids)


def _notice_state(redis: redis_lib.Redis, settings: Settings, lead_id: str) -> str:
    status = job_status(redis, rq_job_id(settings.key_prefix, erasure_job_id(lead_id)))
    status = status.rsplit(".", 1)[-1].lower() if status else ""
    if status in PENDING_JOB_STATES:
        return "pending"
    # Gone means finished and cleaned up after its result TTL (or never needed: no CRM configured).
    return "failed" if status in FAILED_JOB_STATES else "done"


def erasure_requests(redis: redis_lib.Redis, settings: Settings, count: int = 200) -> list[ErasureRequest]:
    """The latest erasures, newest first, each with where its CRM notices stand (one job lookup per lead)."""
    store = LeadStore(redis, Keys(settings.key_prefix))
    out = []
    for entry in erasure_entries(store, count):
        ids = tuple(i for i in (entry.get("lead_ids") or "").split(",") if i)
        states = {_notice_state(redis, settings, lead_id) for lead_id in ids}
        state = next((s for s in ("failed", "pending") if s in states), "done")
        out.append(ErasureRequest(float(entry.get("at") or 0), entry.get("channel") or "", ids, state))
    return out


def request_counts(requests: list[ErasureRequest]) -> dict[str, int]:
    """How many requests are in each state (every state listed, 0 included)."""
    counted = Counter(r.state for r in requests)
    return {state: counted.get(state, 0) for state in REQUEST_STATES}
