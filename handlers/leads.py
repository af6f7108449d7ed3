"""The lead flow: "Contact us" -> a few questions -> a confirmed lead for sales, stored once, delivered by the worker.

Started by menu, keyword and QR-scene routes (``ctx.start_flow("lead", source)``); wording in
``content/flows/lead.yaml``. Transitions::

    name -> company -> role -> contact -> need -> consent --yes--> summary --"确认/confirm"--> done
                                                    \\--no--> declined (nothing kept)
    every step: "返回/back" previous step, "取消/cancel" ends; company, role, contact and need can be skipped
    summary: a line number edits that answer and comes back to the summary
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from leads import LeadStore, enqueue_alerts, enqueue_delivery
from wechat.flow import Flow, FlowEngine, FlowRun, Step
from wechat.flow_wording import FlowWording, StepWording
from wechat.replies import Reply, Text
from wechat.router import Router
from wechat.validators import parse_choice, parse_contact, parse_name, parse_text

if TYPE_CHECKING:
    from wechat.bot import Bot
    from wechat.context import Context

log = logging.getLogger(__name__)

router = Router("leads")


@router.route(lambda ctx: ctx.bot.flows is not None and ctx.bot.flows.in_flow(ctx))
def answer_lead_question(ctx: "Context") -> Reply | None:
    """Take typed text as the answer to the open flow's current question."""
    return ctx.bot.flows.answer(ctx)


@router.route(lambda ctx: ctx.bot.flows is not None and ctx.bot.flows.may_have_expired(ctx))
def explain_expired_form(ctx: "Context") -> Reply | None:
    """Tell a follower whose form timed out with their session that their answers were not kept."""
    return ctx.bot.flows.explain_expired(ctx)


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


def submit_lead(ctx: "Context", run: FlowRun, wording: FlowWording) -> Reply:
    """Store the confirmed lead (once per run), queue its delivery and alerts, thank the follower."""
    bot = ctx.bot
    data = lead_data(run, wording)
    store = LeadStore(bot.redis, bot.keys)
    result = store.capture(ctx.openid, run.run_id, data)
    log.info("lead %s %s (revision %d, source %s)", result.lead_id, result.outcome, result.revision,
             run.source.get("kind", "-"))
    # Queued even for a duplicate confirm: job ids make it idempotent, and it repairs a crash between the two.
    schedule = bot.services.get("lead_retry_schedule")
    try:
        enqueue_delivery(bot.redis, bot.settings, result.lead_id, result.revision, schedule=schedule)
        enqueue_alerts(bot.redis, bot.settings, result.lead_id, result.revision)
    except Exception:  # the lead is stored and in the outbox; `leads reconcile` or the worker re-queues it
        log.exception("lead %s stored but its jobs could not be queued", result.lead_id)
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


def install(bot: "Bot") -> FlowEngine:
    """Build the flow engine for this account and hook it into the bot.

    Wording comes from the live content version, which the content checker guarantees words every step
    (``handlers/content_needs.py``); a typo in a flow file is refused by ``content check`` and publish.
    """
    engine = FlowEngine(redis=bot.redis, keys=bot.keys, session_ttl=bot.settings.session_ttl)
    engine.register(LEAD_FLOW)
    bot.finish_hooks.append(engine.finish_hook)
    warn_without_aof(bot)
    return engine


_aof_checked = False


def warn_without_aof(bot: "Bot") -> None:
    """Say once per process when Redis runs without an append-only file: a confirmed lead could then be lost."""
    global _aof_checked
    if _aof_checked:
        return
    _aof_checked = True
    try:
        value = bot.redis.config_get("appendonly").get("appendonly")
    except Exception:  # managed Redis often refuses CONFIG; nothing to say then
        return
    if value in ("no", b"no"):
        log.warning("Redis has appendonly=no: leads confirmed since the last snapshot are lost if Redis restarts "
                    "(set appendonly yes, appendfsync always; see README, persistence)")
