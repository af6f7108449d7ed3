"""What this account's code asks of content by name, handed to the content checker (``library.needs``).

``content check``, publish, rollback and every process serving content check against it, so a version
the running code could not serve (a message it asks for, a step of the lead form, a placeholder a
template fills in) is refused with file:line instead of failing in front of a follower or salesperson.
"""
from __future__ import annotations

from handlers.leads import LEAD_FLOW
from leads.alerts import TEMPLATE_NEEDS
from library.needs import ContentNeeds, FlowNeeds

# Messages asked for by name: the engine's (busy: a handler failed; more_hint: a text was cut) and the handlers'.
MESSAGES = ("busy", "more_hint",
            "welcome", "welcome_back",              # handlers/welcome.py
            "help", "choices", "contact",            # handlers/respond.py, handlers/menu.py
            "contact_offer", "human",                # handlers/respond.py, handlers/keywords.py
            "platform_missing",                      # handlers/search.py
            "no_more", "language_switched",          # handlers/system.py
            "fallback", "unsupported_media")         # handlers/fallback.py
MESSAGE_PLACEHOLDERS = {"fallback": frozenset({"topics"}), "choices": frozenset({"numbers", "items"}),
                        "platform_missing": frozenset({"platforms"}),
                        # handlers/respond.promised_figures: the periods the settings enforce
                        "privacy": frozenset({"retention", "samples_retention", "session"})}

LEAD_NEEDS = FlowNeeds(
    steps=tuple(step.name for step in LEAD_FLOW.steps),
    # done/updated: handlers/leads.submit_lead; declined: consent refused; erased: handlers/privacy.py
    texts=("done", "updated", *sorted({text for step in LEAD_FLOW.steps for text in step.abort_on.values()}),
           "erased", "erased_none", "privacy_notice"),
    # privacy_notice: handlers/respond.privacy_notice, before the first question
    placeholders={"erased": frozenset({"count"}),
                  "privacy_notice": frozenset({"controller", "retention", "policy_url"})},
    choices={"need": (), "consent": ("yes", "no")},
)

CONTENT_NEEDS = ContentNeeds(messages=MESSAGES, placeholders=MESSAGE_PLACEHOLDERS,
                             flows={LEAD_FLOW.name: LEAD_NEEDS}, templates=TEMPLATE_NEEDS)
