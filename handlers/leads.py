"""The lead flow: "Contact us" -> a few questions -> a confirmed lead for sales, stored once, delivered by the worker.

Started by menu, keyword and QR-scene routes through ``handlers.respond.start_flow``, which puts the
privacy notice before the first question; wording in ``content/flows/lead.yaml``. Transitions::

    name -> company -> role -> contact -> need -> consent --yes--> summary --"确认/confirm"--> done
                                                    \\--no--> declined (nothing kept)
    every step: "返回/back" previous step, "取消/cancel" ends; company, role, contact and need can be skipped
    summary: a line number edits that answer and comes back to the summary
"""
from __future__ import annotations

import logging
import time
from typing import Any

from handlers.context import Context
from leads import alerts_job_id, deliver_lead, delivery_job_id, send_lead_alerts
from wechat.conversation import FlowRun
from wechat.flow import Flow, Step
from wechat.flow_wording import FlowWording, StepWording
from wechat.replies import Reply, Text
from wechat.router import Router
from wechat.validators import parse_choice, parse_contact, parse_name, parse_text

log = logging.getLogger(__name__)

router = Router("leads")


@router.route(lambda ctx: ctx.flows is not None and ctx.flows.in_flow(ctx))
def answer_lead_question(ctx: Context) -> Reply | None:
    """Take typed text as the answer to the open flow's current question."""
    return ctx.flows.answer(ctx)


@router.route(lambda ctx: ctx.flows is not None and ctx.flows.may_have_expired(ctx))
def explain_expired_form(ctx: Context) -> Reply | None:
    """Tell a follower whose form timed out with their session that their answers were not kept."""
    return ctx.flows.explain_expired(ctx)


# -- the steps ----------------------------------------------------------------------------------------
def _choice(text: str, wording: StepWording) -> str:
    return parse_choice(text, wording.choices)


def _contact_shown(value: Any, wording: StepWording, lang: str) -> str:
    return " / ".join(v for v in (value or {}).values() if v)


LEAD_STEPS = (
    Step("name", lambda text, w: parse_name(text), skippable=False),
    Step("company", lambda text, w: parse_text(text, max_len=60)),
    Step("role", lambda text, w: parse_text(text, max_len=60)),
    Step("contact", lambda text, w: parse_contact(text), show=_contact_shown),
    Step("need", _choice),
    Step("consent", _choice, skippable=False, abort_on={"no": "declined"}, in_summary=False),
)


def submit_lead(ctx: Context, run: FlowRun, wording: FlowWording) -> Reply:
    """Store the confirmed lead (once per run), queue its delivery and alerts, thank the follower."""
    result = ctx.leads.capture(ctx.openid, run.run_id, lead_data(run, wording))
    log.info("lead %s %s (revision %d, source %s)", result.lead_id, result.outcome, result.revision,
             run.source.get("kind", "-"))
    # Queued even for a duplicate confirm: job ids make it idempotent, and it repairs a crash between the two.
    lead = {"lead_id": result.lead_id, "revision": result.revision}
    ctx.defer(deliver_lead, job_id=delivery_job_id(result.lead_id, result.revision), **lead)
    ctx.defer(send_lead_alerts, job_id=alerts_job_id(result.lead_id, result.revision), **lead)
    return Text(wording.text("updated" if result.revision > 1 else "done", run.lang))


def lead_data(run: FlowRun, wording: FlowWording) -> dict[str, Any]:
    """The lead as stored: answers, choice labels, language, source, and the consent given."""
    answers = run.answers
    contact = answers.get("contact") or {}
    need = answers.get("need")
    choice = next((c for c in wording.steps["need"].choices if c.id == need), None)
    return {
        "name": answers.get("name"), "company": answers.get("company"), "role": answers.get("role"),
        "phone": contact.get("phone"), "email": contact.get("email"),
        "need": need, "need_label": choice.label(run.lang) if choice else None,
        "need_labels": dict(choice.labels) if choice else {},
        "lang": run.lang, "source": run.source, "run": run.run_id,
        "consent": {"version": wording.consent_version, "given_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "language": run.lang},
    }


LEAD_FLOW = Flow("lead", LEAD_STEPS, on_confirm=submit_lead)
