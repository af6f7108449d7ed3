"""The context this account's handlers get: the engine's (message, conversation, flows, outcome, defer) with
the live content typed, and the account's services for leads and erasure.

Handlers never see the ``Bot``, Redis or key names; everything they may do is an attribute here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leads.intake import LeadIntake
from library.compiled import Content
from privacy.erasure import Erasure
from wechat.context import Context as EngineContext


@dataclass(kw_only=True)
class Context(EngineContext):
    content: Content       # the live content version (library.compiled.Content)
    leads: LeadIntake      # store a confirmed lead durably, before the follower is thanked
    privacy: Erasure       # erase what we hold about a follower ("delete my data")
    transfer_to_agents: bool = False   # WECHAT_TRANSFER_CUSTOMER_SERVICE: "人工" goes to WeChat's agents
    lead_retention_days: int = 730     # LEADS_RETENTION_DAYS, as the lead form's privacy notice states it
    unmatched_retention_days: int = 30  # UNMATCHED_RETENTION_DAYS, as the privacy message states it
    session_minutes: int = 30          # SESSION_TTL_SECONDS / 60, as the privacy message states it


def promised_periods(settings: Any) -> dict[str, int]:
    """The periods the privacy texts promise, from the settings that enforce them (``Context`` fields), so
    a follower is never told a figure the code does not keep."""
    return {"lead_retention_days": settings.leads_retention_days,
            "unmatched_retention_days": settings.unmatched_retention_days,
            "session_minutes": max(1, settings.session_ttl // 60)}
