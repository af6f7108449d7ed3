"""What the lead form may do with leads: store a confirmed one durably, then name the jobs that follow it.

The lead is written to Redis inside the request (the follower is thanked only once it is stored); its CRM
delivery and sales alerts run in the worker, queued through ``ctx.defer`` with ids tied to the lead's
revision, so a confirm repeated by WeChat's retries or by the follower queues them once.

Usage::

    capture = intake.capture(openid, run_id, data)       # Capture(lead_id, revision, outcome)
    ctx.defer(deliver_lead, job_id=delivery_job_id(capture.lead_id, capture.revision), ...)
"""
from __future__ import annotations

from typing import Any

from leads.store import Capture, LeadStore
from wechat.jobs import rq_job_id


def delivery_job_id(lead_id: str, revision: int, tag: str = "") -> str:
    """One CRM delivery job per lead revision (``tag`` marks a manual or reconciler retry)."""
    return f"lead-{lead_id}-r{revision}" + (f"-{tag}" if tag else "")


def alerts_job_id(lead_id: str, revision: int) -> str:
    return f"lead-{lead_id}-r{revision}-alerts"


def erasure_job_id(lead_id: str) -> str:
    return f"lead-{lead_id}-erased"


class LeadIntake:
    def __init__(self, store: LeadStore):
        self.store = store

    def capture(self, openid: str, run_id: str, data: dict[str, Any]) -> Capture:
        """Store the submission once per flow run; remember which job delivers it (the reconciler checks it)."""
        capture = self.store.capture(openid, run_id, data)
        self.store.set_job(capture.lead_id, rq_job_id(self.store.keys.prefix,
                                                      delivery_job_id(capture.lead_id, capture.revision)))
        return capture
