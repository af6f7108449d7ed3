"""Conversation flows driven by the follower's replies: one question per step, readable states (``lead:phone``).

WeChat lets an account push only a few customer-service messages, so a form is a chain of passive
replies: each message from the follower answers the current step and gets the next question back.
The run lives in the follower's conversation (``ctx.conversation.flow``), so it expires with the session TTL
and every retry of a message is answered from the dedupe cache without advancing twice.

Usage::

    engine = FlowEngine(redis=redis, keys=keys, session_ttl=1800)      # wording: ctx.content.flow(name)
    engine.register(Flow("lead", steps=(Step("name", parse_name_step), ...), on_confirm=submit_lead))
    Bot(..., flows=engine, finish_hooks=[engine.keep_expiry_marker, ...])
    engine.start(ctx, "lead", {"kind": "menu", "key": "MENU_CONTACT"})   # first question
    engine.answer(ctx)          # a handler's route while ``engine.in_flow(ctx)``

Transitions, the same for every flow::

    start -> step 1 -> step 2 -> ... -> step n -> confirm (summary) -> on_confirm -> done
      "back": previous step (from confirm: the last step)      "cancel": ended, nothing kept
      invalid answer: hint + question; the 3rd in a row also offers "skip" (or only "cancel" if required)
      confirm + a line number: edit that step, then back to the summary
      session expired mid-flow: the next message gets the flow's "expired" text
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

import redis as redis_lib

from wechat.conversation import Conversation, FlowRun
from wechat.flow_wording import FlowWording, StepWording
from wechat.language import detect
from wechat.replies import Reply, Text
from wechat.validators import Invalid, normalize, numbered

if TYPE_CHECKING:
    from wechat.context import Context
    from wechat.redis_conn import Keys

log = logging.getLogger(__name__)

CONFIRM = "confirm"
MAX_TRIES = 3                      # invalid answers in a row before we offer skip / cancel
EXPIRED_NOTICE_S = 24 * 3600      # how long after the session expired we still explain what happened
MAX_ANSWER_CHARS = 500

# -- flows ----------------------------------------------------------------------------------------------
Parser = Callable[[str, StepWording], Any]


@dataclass(frozen=True)
class Step:
    """One question: ``parse(text, wording)`` returns a JSON-able value or raises ``Invalid``.

    ``abort_on`` maps values that end the flow (e.g. consent refused) to the text to answer with.
    """

    name: str
    parse: Parser
    skippable: bool = True
    abort_on: Mapping[str, str] = field(default_factory=dict)
    in_summary: bool = True
    show: Callable[[Any, StepWording, str], str] | None = None


OnConfirm = Callable[["Context", FlowRun, FlowWording], Reply]


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[Step, ...]
    on_confirm: OnConfirm

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def next_step(self, after: str) -> str:
        names = [s.name for s in self.steps]
        index = names.index(after) + 1
        return names[index] if index < len(names) else CONFIRM


class FlowEngine:
    """Runs registered flows over the follower's session; see the module docstring for transitions."""

    def __init__(self, *, redis: redis_lib.Redis, keys: "Keys", session_ttl: int,
                 clock: Callable[[], float] = time.time):
        self.flows: dict[str, Flow] = {}
        self.redis = redis
        self.keys = keys
        self.session_ttl = session_ttl
        self.clock = clock

    def register(self, flow: Flow) -> Flow:
        """Run ``flow``; its wording comes from each content version, which the content checker guarantees."""
        self.flows[flow.name] = flow
        return flow

    def wording_for(self, ctx: "Context", name: str) -> FlowWording:
        """The flow's wording in the live content version (built once per version, switched by a publish).

        Raises KeyError when the version has none (only the emergency content served when no valid
        content exists at all).
        """
        wording = ctx.content.flow(name)
        if wording is None:
            raise KeyError(f"content version {ctx.content.version} has no wording for flow {name!r}")
        return wording

    def can_start(self, ctx: "Context", name: str) -> bool:
        """Whether flow ``name`` is registered and the live content version words it."""
        return name in self.flows and ctx.content.flow(name) is not None

    def marker_key(self, openid: str) -> str:
        return self.keys("flowmark", openid)

    # -- starting -------------------------------------------------------------------------------
    def start(self, ctx: "Context", name: str, source: Mapping[str, Any] | None = None, *, notice: str = "") -> Reply:
        """Ask the first question of flow ``name``, or continue an unfinished run of it.

        ``notice`` goes between the start text and the first question of a new run (e.g. a privacy notice,
        which must come before the follower types anything).
        """
        flow = self.flows[name]
        wording = self.wording_for(ctx, name)
        current = ctx.conversation.flow
        if current is not None and current.name == name:
            ctx.lang = current.lang
            return Text(wording.text("resume", current.lang) + "\n\n" +
                        self._prompt(flow, current, wording, current.step))
        first = flow.steps[0].name
        run = FlowRun(name, first, secrets.token_hex(8), source=_clean_source(source or {}, ctx.conversation),
                      lang=ctx.lang, started_at=self.clock())
        self._save(ctx, run, first)
        ctx.outcome.step = run.state
        log.info("flow %s started (run %s, source %s)", name, run.run_id, run.source.get("kind", "-"))
        parts = (wording.text("start", run.lang), notice, self._question(wording, first, run.lang))
        return Text("\n\n".join(part for part in parts if part))

    def repeat_question(self, ctx: "Context", preface: str = "") -> Reply | None:
        """The current question again, in the follower's (possibly just switched) language; None outside a flow."""
        run = ctx.conversation.flow
        flow = self._flow_of(run)
        if run is None or flow is None:
            return None
        run.lang = ctx.lang
        body = self._prompt(flow, run, self.wording_for(ctx, run.name), run.step)
        return self._reply(ctx, run, run.step, f"{preface}\n\n{body}" if preface else body)

    # -- answering ------------------------------------------------------------------------------
    def in_flow(self, ctx: "Context") -> bool:
        run = ctx.conversation.flow
        return ctx.message.from_follower and run is not None and run.name in self.flows

    def answer(self, ctx: "Context") -> Reply | None:
        """Take the follower's message as the answer to the current step."""
        run = ctx.conversation.flow
        flow = self._flow_of(run)
        if run is None or flow is None:
            log.warning("dropping unreadable flow state %r", ctx.state)
            self._end(ctx)
            return None
        name, step_name = run.name, run.step
        wording = self.wording_for(ctx, name)
        self._settle_language(ctx, run)
        lang = run.lang
        text = ctx.message.content.strip()[:MAX_ANSWER_CHARS] if ctx.message.type in ("text", "voice") else ""
        if not text:
            return self._reply(ctx, run, step_name, wording.text("text_only", lang) + "\n\n" +
                               self._prompt(flow, run, wording, step_name))
        command = wording.command(text)
        if command == "cancel":
            self._end(ctx)
            log.info("flow %s cancelled at %s (run %s)", name, step_name, run.run_id)
            return Text(wording.text("cancelled", lang))
        if command == "back":
            return self._back(ctx, flow, run, wording, step_name)
        if step_name == CONFIRM:
            return self._confirm(ctx, flow, run, wording, text)
        step = flow.step(step_name)
        assert step is not None
        if command == "skip":
            if not step.skippable:
                return self._reply(ctx, run, step_name, wording.text("not_skippable", lang) + "\n\n" +
                                   self._question(wording, step_name, lang))
            value: Any = None
        else:
            try:
                value = step.parse(text, wording.steps[step_name])
            except Invalid as exc:
                return self._invalid(ctx, flow, run, wording, step, exc)
        if value is not None and str(value) in step.abort_on:
            self._end(ctx)
            log.info("flow %s ended by %s at %s (run %s)", name, value, step_name, run.run_id)
            return Text(wording.text(step.abort_on[str(value)], lang))
        run.answers[step_name] = value
        if step_name not in run.path:
            run.path.append(step_name)
        next_step = CONFIRM if run.edit else flow.next_step(step_name)
        if not run.edit:        # an edit from the summary goes back to it: no new step reached
            ctx.outcome.step = f"{name}:{next_step}"
        run.tries, run.edit = 0, False
        self._save(ctx, run, next_step)
        return Text(self._prompt(flow, run, wording, next_step))

    def _invalid(self, ctx: "Context", flow: Flow, run: FlowRun, wording: FlowWording, step: Step,
                 exc: Invalid) -> Reply:
        run.tries += 1
        lang = run.lang
        log.info("flow %s step %s: invalid answer (%s, try %d)", flow.name, step.name, exc.reason, run.tries)
        hint = wording.steps[step.name].invalid[lang]
        if run.tries >= MAX_TRIES:
            offer = wording.text("stuck" if step.skippable else "stuck_required", lang)
            body = f"{hint}\n\n{offer}"
        else:
            body = f"{hint}\n\n{self._question(wording, step.name, lang)}"
        return self._reply(ctx, run, step.name, body)

    def _back(self, ctx: "Context", flow: Flow, run: FlowRun, wording: FlowWording, step_name: str) -> Reply:
        lang = run.lang
        if run.edit and step_name != CONFIRM:          # backing out of an edit returns to the summary
            run.edit, run.tries = False, 0
            self._save(ctx, run, CONFIRM)
            return Text(self._prompt(flow, run, wording, CONFIRM))
        if step_name in run.path:
            run.path = run.path[:run.path.index(step_name)]
        if not run.path:
            self._save(ctx, run, step_name)
            return Text(wording.text("back_at_start", lang) + "\n\n" + self._question(wording, step_name, lang))
        previous = run.path.pop()
        run.tries = 0
        self._save(ctx, run, previous)
        return Text(self._question(wording, previous, lang))

    def _confirm(self, ctx: "Context", flow: Flow, run: FlowRun, wording: FlowWording, text: str) -> Reply:
        lang = run.lang
        editable = [s for s in flow.steps if s.in_summary]
        key = normalize(text).strip(" .。")
        if key.isdigit() and 1 <= int(key) <= len(editable):
            step = editable[int(key) - 1]
            run.edit, run.tries = True, 0
            self._save(ctx, run, step.name)
            return Text(self._question(wording, step.name, lang))
        if not wording.is_confirm(text):
            return self._reply(ctx, run, CONFIRM, wording.text("confirm_invalid", lang) + "\n\n" +
                               self._summary(flow, run, wording))
        reply = flow.on_confirm(ctx, run, wording)   # must be idempotent per run: a crash here is retried
        self._end(ctx)
        ctx.outcome.step = f"{flow.name}:done"
        log.info("flow %s confirmed (run %s)", flow.name, run.run_id)
        return reply

    # -- expiry ---------------------------------------------------------------------------------
    def may_have_expired(self, ctx: "Context") -> bool:
        # Only the first message of a fresh session can follow an expired flow; later ones skip the lookup.
        return (ctx.conversation.flow is None and not ctx.conversation.flows_checked and ctx.redis_ok
                and (ctx.message.from_follower or ctx.message.event in ("click", "scan", "subscribe")))

    def explain_expired(self, ctx: "Context") -> Reply | None:
        """Tell a follower whose flow expired with their session why their answer went nowhere."""
        ctx.conversation.flows_checked = True
        try:
            raw = self.redis.getdel(self.marker_key(ctx.openid))
        except redis_lib.RedisError:
            return None
        if not raw or not ctx.message.from_follower:   # events are answered normally; the notice is dropped
            return None
        try:
            mark = json.loads(raw)
            wording = self.wording_for(ctx, mark["name"])
        except (ValueError, KeyError, TypeError):
            return None
        log.info("flow %s expired (run %s)", mark.get("name"), mark.get("run", "-"))
        return Text(wording.text("expired", mark.get("lang") or ctx.lang))

    def keep_expiry_marker(self, ctx: "Context", rendered: Any, pipe: "redis_lib.client.Pipeline") -> None:
        """Finish hook: while a flow is open keep a marker that outlives the session, so a follower whose form
        expired is told why (rides the finish round trip); drop it when the flow ends."""
        run = ctx.conversation.flow
        if run is not None and run.name in self.flows and not ctx.outcome.erased:
            mark = {"name": run.name, "step": run.step, "lang": run.lang, "run": run.run_id}
            pipe.set(self.marker_key(ctx.openid), json.dumps(mark), ex=self.session_ttl + EXPIRED_NOTICE_S)
        elif ctx.outcome.flow_ended:
            pipe.delete(self.marker_key(ctx.openid))

    # -- helpers --------------------------------------------------------------------------------
    def _flow_of(self, run: FlowRun | None) -> Flow | None:
        """The registered flow of ``run`` when its step still exists (content may have changed under it)."""
        flow = self.flows.get(run.name) if run is not None else None
        if flow is None or run is None or (run.step != CONFIRM and not flow.step(run.step)):
            return None
        return flow

    def _save(self, ctx: "Context", run: FlowRun, step: str) -> None:
        run.step = step
        ctx.conversation.flow = run
        ctx.conversation.flows_checked = True

    def _reply(self, ctx: "Context", run: FlowRun, step: str, body: str) -> Reply:
        self._save(ctx, run, step)
        return Text(body)

    def _end(self, ctx: "Context") -> None:
        ctx.conversation.flow = None
        ctx.outcome.flow_ended = True

    def _settle_language(self, ctx: "Context", run: FlowRun) -> None:
        """The first answer (or an explicit "English"/"中文") sets the flow's language; later answers do not.

        A Chinese follower typing an English company name must not flip the rest of the form to English.
        """
        if ctx.conversation.lang_chosen and ctx.lang != run.lang:
            run.lang = ctx.lang
        elif not run.answers and not run.path and detect(ctx.message.content or ""):
            run.lang = ctx.lang
        else:
            ctx.lang = run.lang

    def _question(self, wording: FlowWording, step: str, lang: str) -> str:
        sw = wording.steps[step]
        text = sw.ask[lang].format(consent_text=wording.consent_text.get(lang, ""))
        return f"{text}\n{numbered(sw.choices, lang)}" if sw.choices else text

    def _prompt(self, flow: Flow, run: FlowRun, wording: FlowWording, step: str) -> str:
        return self._summary(flow, run, wording) if step == CONFIRM else self._question(wording, step, run.lang)

    def _summary(self, flow: Flow, run: FlowRun, wording: FlowWording) -> str:
        lang = run.lang
        lines = []
        colon = "：" if lang == "zh" else ": "
        for i, step in enumerate((s for s in flow.steps if s.in_summary), 1):
            sw = wording.steps[step.name]
            lines.append(f"{i}. {sw.label[lang]}{colon}{self.show(step, run.answers.get(step.name), sw, wording, lang)}")
        return wording.text("summary", lang, summary="\n".join(lines))

    @staticmethod
    def show(step: Step, value: Any, sw: StepWording, wording: FlowWording, lang: str) -> str:
        if value is None or value == "":
            return wording.text("skipped", lang)
        if step.show is not None:
            return step.show(value, sw, lang)
        if sw.choices:
            return next((c.label(lang) for c in sw.choices if c.id == value), str(value))
        if isinstance(value, dict):
            return " / ".join(str(v) for v in value.values())
        return str(value)


def _clean_source(source: Mapping[str, Any], conversation: Conversation) -> dict[str, Any]:
    """What started the flow, JSON-safe and small: kind, key, articles read before, the QR scene that brought them."""
    clean: dict[str, Any] = {"kind": str(source.get("kind") or "unknown")[:32]}
    if source.get("key"):
        clean["key"] = str(source["key"])[:128]
    read = source.get("read")
    if read is None:
        read = conversation.read
    clean["read"] = [str(a)[:128] for a in list(read)[:10]] if isinstance(read, (list, tuple)) else []
    if conversation.scene and "scene" not in clean:
        clean["scene"] = conversation.scene[:64]
    return clean
