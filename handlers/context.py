"""The context this account's handlers get: the engine's (message, conversation, flows, outcome, defer) with
the live content typed, and the account's services for leads and erasure.

Handlers never see the ``Bot``, Redis or key names; everything they may do is an attribute here.
"""
from __future__ import annotations

from dataclasses import dataclass

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
