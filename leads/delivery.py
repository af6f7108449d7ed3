"""Deliver leads to the CRM webhook from the worker: signed JSON, idempotency key, retries for over 24 h.

The receiver gets ``POST LEADS_WEBHOOK_URL`` with a JSON body and these headers::

    X-Signature-Timestamp: Unix seconds when this attempt was signed (every attempt is signed afresh)
    X-Signature-SHA256:    hex HMAC-SHA256 of "{timestamp}.{raw body}" under LEADS_WEBHOOK_SECRET
    Idempotency-Key:       {lead_id}-r{revision}   (the same on every attempt of one revision)
    X-Lead-Id, X-Lead-Revision

Signing the timestamp with the body (as Stripe does) lets a receiver refuse a captured delivery replayed
later: it checks the signature and that the timestamp is within a few minutes of its clock (README shows
the check). Deliveries signed over the body alone are no longer sent (see README for receivers).

Any 2xx means delivered; anything else (or no answer) is retried with exponential backoff
(``DELIVERY_SCHEDULE``: 30 s doubling to 1 h, about 26 h in all), then the lead is a dead letter that
``flask leads retry`` sends again.

Usage::

    ctx.defer(deliver_lead, job_id=delivery_job_id(lead_id, rev), lead_id=lead_id, revision=rev)   # a handler
    enqueue_delivery(redis, settings, lead_id, rev, schedule=[1, 1, 1])    # CLI and reconciler; tests: a short window
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import redis as redis_lib
import requests
from rq import Retry

from config import Settings
from leads.intake import delivery_job_id, erasure_job_id
from leads.store import Lead, LeadStore
from wechat import jobs
from wechat.redis_conn import Keys, connect

log = logging.getLogger(__name__)

DELIVERY_WINDOW_S = 26 * 3600     # retries span at least 24 h (the promise), with two hours to spare
TIMEOUT = (5.0, 20.0)             # (connect, read) seconds for the CRM
STALE_OUTBOX_S = 15 * 60          # a lead pending this long without a live job gets a fresh one


def default_schedule() -> list[int]:
    """30 s, 60 s, ... capped at 1 h, until the retries cover ``DELIVERY_WINDOW_S``."""
    return list(jobs.retry_for(DELIVERY_WINDOW_S, first=30, factor=2, cap=3600).intervals)


def _retry(schedule: Sequence[float] | None) -> Retry:
    intervals = list(schedule) if schedule is not None else default_schedule()
    return Retry(max=len(intervals), interval=intervals)


class DeliveryFailed(RuntimeError):
    """This attempt failed; RQ retries on the schedule. The message holds a status, never the lead."""


# -- the request ----------------------------------------------------------------------------------
def payload(lead: Lead) -> dict[str, Any]:
    """The JSON the CRM receives: the lead's fields, source, consent and ids."""
    data = lead.data
    return {
        "event": "lead.updated" if lead.revision > 1 else "lead.created",
        "lead_id": lead.lead_id,
        "revision": lead.revision,
        "created_at": _iso(lead.created_at),
        "updated_at": _iso(lead.updated_at),
        "openid": lead.openid,
        "name": data.get("name"),
        "company": data.get("company"),
        "role": data.get("role"),
        "phone": data.get("phone"),
        "email": data.get("email"),
        "need": data.get("need"),
        "need_label": data.get("need_label"),
        "language": data.get("lang"),
        "source": data.get("source") or {},
        "consent": data.get("consent") or {},
    }


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``{timestamp}.{body}``; receivers compare it with ``hmac.compare_digest``."""
    return hmac.new(secret.encode("utf-8"), b"%d.%s" % (timestamp, body), hashlib.sha256).hexdigest()


def signed_request(settings: Settings, lead_id: str, revision: int, body_obj: dict[str, Any], *,
                   now: float | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt, signed at ``now`` (default: the current time)."""
    body = json.dumps(body_obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    timestamp = int(time.time() if now is None else now)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Signature-Timestamp": str(timestamp),
        "X-Signature-SHA256": sign(settings.leads_webhook_secret, timestamp, body),
        "Idempotency-Key": f"{lead_id}-r{revision}",
        "X-Lead-Id": lead_id,
        "X-Lead-Revision": str(revision),
        "User-Agent": "wxbot-leads/1",
    }
    return body, headers


def _iso(ts: float) -> str | None:
    if not ts:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _post(settings: Settings, body: bytes, headers: dict[str, str]) -> str | None:
    """POST once; None on success, else a short error (status code or exception name)."""
    try:
        resp = requests.post(settings.leads_webhook_url, data=body, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        return type(exc).__name__
    if 200 <= resp.status_code < 300:
        return None
    return f"HTTP {resp.status_code}"


def _config_problem(settings: Settings) -> str | None:
    if not settings.leads_webhook_url:
        return "LEADS_WEBHOOK_URL not set"
    if not settings.leads_webhook_secret:
        return "LEADS_WEBHOOK_SECRET not set"
    return None


# -- jobs (run in the worker) ---------------------------------------------------------------------
@jobs.job(retry=_retry(None), timeout=60)
def deliver_lead(lead_id: str, revision: int) -> str:
    """Send the lead's current revision to the CRM; idempotent, so a re-run after a crash is harmless."""
    rt = jobs.runtime()
    store = LeadStore(rt.redis, rt.keys)
    try:
        lead = store.get(lead_id)
        if lead is None or lead.state != "active":
            return "erased"
        if lead.delivered_rev >= lead.revision:
            return "delivered"
        problem = _config_problem(rt.settings)
        if problem:
            # Retrying cannot fix configuration: dead-letter now; `flask leads retry --all` once it is set.
            log.error("lead %s not delivered: %s", lead_id, problem)
            store.mark_dead(lead_id, problem)
            return "not_configured"
        body, headers = signed_request(rt.settings, lead.lead_id, lead.revision, payload(lead))
        error = _post(rt.settings, body, headers)
        if error is None:
            store.mark_delivered(lead_id, lead.revision)
            log.info("lead %s revision %d delivered", lead_id, lead.revision)
            return "delivered"
        store.record_failure(lead_id, error)
        if jobs.is_final_attempt():
            store.mark_dead(lead_id, error)
            log.error("lead %s dead-lettered after retries (%s)", lead_id, error)
        else:
            log.warning("lead %s delivery failed (%s); will retry", lead_id, error)
        raise DeliveryFailed(error)
    finally:
        requeue_stale(rt.redis, rt.settings)


@jobs.job(retry=_retry(None), timeout=60)
def deliver_erasure(lead_id: str) -> str:
    """Tell the CRM a follower erased their data (body: event and lead id only)."""
    rt = jobs.runtime()
    problem = _config_problem(rt.settings)
    if problem:
        return "not_configured"
    body, headers = signed_request(rt.settings, lead_id, 0, {"event": "lead.erased", "lead_id": lead_id})
    headers["Idempotency-Key"] = f"{lead_id}-erased"
    error = _post(rt.settings, body, headers)
    if error is not None:
        raise DeliveryFailed(error)
    return "delivered"


# -- enqueueing (request side and CLI) ------------------------------------------------------------
def enqueue_delivery(redis: redis_lib.Redis, settings: Settings, lead_id: str, revision: int, *,
                     schedule: Sequence[float] | None = None, tag: str = "") -> str:
    """Queue delivery of ``revision`` outside a message (manual retry, reconciler); idempotent per
    (lead, revision, tag). Returns the RQ job id."""
    rq_id = jobs.enqueue(redis, settings, deliver_lead, {"lead_id": lead_id, "revision": revision},
                         job_id=delivery_job_id(lead_id, revision, tag), retry=_retry(schedule))
    LeadStore(redis, Keys(settings.key_prefix)).set_job(lead_id, rq_id)
    return rq_id


def enqueue_erasure(redis: redis_lib.Redis, settings: Settings, lead_id: str) -> str:
    """Queue the CRM's erasure notice for ``lead_id`` outside a message (retention, console); idempotent."""
    return jobs.enqueue(redis, settings, deliver_erasure, {"lead_id": lead_id}, job_id=erasure_job_id(lead_id))


def retry_lead(redis: redis_lib.Redis, settings: Settings, lead_id: str, *,
               schedule: Sequence[float] | None = None) -> str | None:
    """Manual retry of a lead (dead letter or stuck): a fresh job with a fresh schedule; None if unknown/erased."""
    store = LeadStore(redis, Keys(settings.key_prefix))
    lead = store.get(lead_id)
    if lead is None or lead.state != "active":
        return None
    if lead.job:   # the new job replaces it: the generic dead-letter list must not show it twice
        jobs.forget_dead_letter(redis, settings, lead.job)
    store.mark_pending(lead_id, "retried")
    return enqueue_delivery(redis, settings, lead_id, lead.revision, schedule=schedule, tag=f"m{int(time.time() * 1000)}")


def reconcile(redis: redis_lib.Redis, settings: Settings, *, older_than: float = STALE_OUTBOX_S,
              schedule: Sequence[float] | None = None) -> dict[str, list[str]]:
    """Check every pending lead against its job: re-queue leads whose job vanished, dead-letter those whose
    job failed without saying so (e.g. its worker was killed on the last attempt). Returns what it did."""
    store = LeadStore(redis, Keys(settings.key_prefix))
    done: dict[str, list[str]] = {"requeued": [], "dead": []}
    for lead_id in store.outbox(older_than=time.time() - older_than):
        lead = store.get(lead_id)
        if lead is None or lead.state != "active":
            redis.zrem(store.k("outbox"), lead_id)
            continue
        status = _job_state(redis, lead.job)
        if status in ("queued", "started", "scheduled", "deferred"):
            continue
        if status in ("failed", "stopped", "canceled"):
            store.mark_dead(lead_id, lead.last_error or f"job {status}")
            done["dead"].append(lead_id)
        elif lead.delivered_rev < lead.revision:       # job missing or finished without delivering this revision
            enqueue_delivery(redis, settings, lead_id, lead.revision, schedule=schedule,
                             tag=f"s{int(time.time() * 1000)}")
            done["requeued"].append(lead_id)
    return done


def _job_state(redis: redis_lib.Redis, rq_id: str) -> str | None:
    """``queued``, ``failed``, ... or None when the job is gone (``jobs.job_status`` gives the enum's str)."""
    status = jobs.job_status(redis, rq_id) if rq_id else None
    return status.rsplit(".", 1)[-1].lower() if status else None


def requeue_stale(redis: redis_lib.Redis, settings: Settings) -> None:
    """Self-healing run after every delivery attempt, at most once a minute across all workers."""
    try:
        store = LeadStore(redis, Keys(settings.key_prefix))
        if not store.outbox(older_than=time.time() - STALE_OUTBOX_S, limit=1):
            return
        if redis.set(store.k("reconcile-lock"), "1", nx=True, ex=60):
            reconcile(redis, settings)
    except Exception:  # noqa: BLE001 - housekeeping must never fail the delivery itself
        log.exception("outbox reconcile failed")


def start_reconciler(settings: Settings, interval: float = 60.0,
                     older_than: float = STALE_OUTBOX_S) -> jobs.Periodic:
    """Run ``reconcile`` every ``interval`` seconds in a thread of the worker process; ``stop()`` ends it.

    A lead whose job vanished (e.g. Redis lost the queue but kept the lead) is re-queued without an
    operator. A Redis lock lets only one of several workers reconcile per interval.
    """
    redis = connect(settings)

    def run() -> None:
        done = reconcile(redis, settings, older_than=older_than)
        if done["requeued"] or done["dead"]:
            log.info("reconciled leads: %d re-queued, %d dead-lettered", len(done["requeued"]), len(done["dead"]))

    return jobs.Periodic("lead-reconciler", interval, run, redis=redis,
                         lock_key=Keys(settings.key_prefix)("leads", "reconciling")).start()
