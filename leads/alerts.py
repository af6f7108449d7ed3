"""Template messages about a lead: an alert to each sales openid and a confirmation to the follower.

Sent by the worker from the stored lead (jobs carry only the lead id, so an erased lead is never
announced and no personal data sits in the queue). Worded in ``templates.yaml`` of the live content
version, the same version the webhook serves: an unpublished edit never reaches anyone, and a rollback
restores the wording of the next alert. ``content check`` validates the file against ``TEMPLATE_NEEDS``.

Usage::

    ctx.defer(send_lead_alerts, job_id=alerts_job_id(lead_id, revision), lead_id=lead_id, revision=revision)
"""
from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import redis as redis_lib

from config import Settings
from leads.store import Lead, LeadStore
from library.compiled import Content
from library.live import ContentLibrary
from library.models import TemplateSpec
from library.needs import ContentNeeds, TemplateNeeds
from wechat import jobs
from wechat.language import LANGUAGES
from wechat.redis_conn import Keys
from wechat.templates import TemplateMessage, TemplateRetryLater, message_from_config, record_status, send_template

log = logging.getLogger(__name__)

ALERT, CONFIRMATION = "lead_sales_alert", "lead_confirmation"
CHINA = timezone(timedelta(hours=8))     # sales work in China Standard Time (no DST)
SOURCE_LABELS = {"zh": {"menu": "菜单", "keyword": "关键词", "scene": "二维码", "unknown": "其他"},
                 "en": {"menu": "Menu", "keyword": "Keyword", "scene": "QR", "unknown": "Other"}}
STATUS_LABELS = {"zh": ("新线索", "线索更新"), "en": ("New lead", "Lead updated")}


def _sample_values(lang: str) -> dict[str, str]:
    """Typical values of every placeholder (see ``values_for``), for the checker to try each field with."""
    return {"status": STATUS_LABELS[lang][0], "name": "张三" if lang == "zh" else "Jane Doe",
            "company": "示例公司", "role": "市场总监", "need": "社交媒体与 KOL 营销", "source": "菜单",
            "time": "2026-03-01 10:00", "date": "2026-03-01", "lead_id": "ld0123456789abcdef01"}


# What the templates may use: no phone, no email (those reach sales only through the CRM and the CSV export).
TEMPLATE_NEEDS = {name: TemplateNeeds(samples={lang: _sample_values(lang) for lang in LANGUAGES})
                  for name in (ALERT, CONFIRMATION)}


def values_for(lead: Lead, lang: str, content: Content | None = None) -> dict[str, str]:
    """What a template may show about ``lead``: no phone, no email.

    The source names what the follower tapped or typed as ``content`` words it (the button's name, the
    rule's label), not our internal keys; a button or rule the version no longer has shows its key.
    """
    data = lead.data
    source = data.get("source") or {}
    kind = str(source.get("kind") or "unknown")
    source_text = SOURCE_LABELS[lang].get(kind, kind)
    detail = source.get("scene") if kind == "scene" else source.get("key")
    if detail:
        named = content.source_name(kind, str(detail), lang) if content is not None else None
        source_text = f"{source_text}:{named or detail}"
    when = datetime.fromtimestamp(lead.updated_at or time.time(), CHINA)
    need_labels = data.get("need_labels") or {}
    skipped = "-"
    return {"status": STATUS_LABELS[lang][1 if lead.revision > 1 else 0], "name": data.get("name") or skipped,
            "company": data.get("company") or skipped, "role": data.get("role") or skipped,
            "need": need_labels.get(lang) or data.get("need_label") or skipped, "source": source_text,
            "time": when.strftime("%Y-%m-%d %H:%M"), "date": when.strftime("%Y-%m-%d"), "lead_id": lead.lead_id}


def build_messages(lead: Lead, settings: Settings, content: Content) -> list[TemplateMessage]:
    """The template messages for this revision of ``lead`` as ``content`` words them, each with a stable
    client_msg_id. A template whose id is empty in content takes it from ``WECHAT_TEMPLATE_IDS``."""
    messages = []
    alert = content.templates.get(ALERT)
    alert_id = _template_id(alert, ALERT, settings)
    if alert is not None and alert_id:
        lang = alert.language if alert.language in LANGUAGES else "zh"
        for openid in settings.sales_openids:
            tag = hashlib.sha256(openid.encode()).hexdigest()[:8]
            messages.append(message_from_config(_config(alert, alert_id, lang), openid, values_for(lead, lang, content),
                                                client_msg_id=f"{lead.lead_id}-r{lead.revision}-s{tag}"))
    confirmation = content.templates.get(CONFIRMATION)
    confirmation_id = _template_id(confirmation, CONFIRMATION, settings)
    if confirmation is not None and confirmation_id and lead.openid:
        lang = lead.data.get("lang") if confirmation.language == "follower" else confirmation.language
        lang = lang if lang in LANGUAGES else "zh"
        messages.append(message_from_config(_config(confirmation, confirmation_id, lang), lead.openid,
                                            values_for(lead, lang, content),
                                            client_msg_id=f"{lead.lead_id}-r{lead.revision}-c"))
    return messages


def _template_id(spec: TemplateSpec | None, name: str, settings: Settings) -> str:
    """Content's id, else the deployment's (``WECHAT_TEMPLATE_IDS``): the demo and staging fill ids in there."""
    return (spec.template_id if spec is not None else "") or settings.template_ids.get(name, "")


def _config(spec: TemplateSpec, template_id: str, lang: str) -> dict[str, Any]:
    """A template's settings in ``lang``, the shape ``message_from_config`` fills in."""
    return {"template_id": template_id, "fields": spec.fields_for(lang), "url": spec.url,
            "miniprogram": spec.miniprogram.model_dump() if spec.miniprogram else None}


# -- the live content version in the worker ----------------------------------------------------------------
_libraries: dict[tuple[str, ...], ContentLibrary] = {}


def live_content(settings: Settings, redis: redis_lib.Redis) -> Content:
    """The live content version: one GET per call, a newly published version loaded once."""
    return open_live_content(settings, redis).latest()


def open_live_content(settings: Settings, redis: redis_lib.Redis) -> ContentLibrary:
    """This process's view of the published content (``worker`` opens it before forking work horses).

    Versions are checked against what the alerts need; publish and rollback already checked each version
    against everything the account's code needs.
    """
    key = (settings.redis_url, settings.embedded_redis_dir, settings.key_prefix, settings.content_dir)
    library = _libraries.get(key)
    if library is None:
        if len(_libraries) >= 8:            # a worker opens one; tests open one per key prefix
            _libraries.clear()
        library = _libraries[key] = ContentLibrary.open(redis, Keys(settings.key_prefix), settings.content_dir,
                                                        ContentNeeds(templates=TEMPLATE_NEEDS), search=False)
    return library


# -- the job ----------------------------------------------------------------------------------------
@jobs.job()
def send_lead_alerts(lead_id: str, revision: int) -> dict[str, str]:
    """Send this revision's alerts and confirmation; each message at most once (send_template checks its status)."""
    rt = jobs.runtime()
    lead = LeadStore(rt.redis, rt.keys).get(lead_id)
    if lead is None or lead.state != "active" or lead.revision != revision:
        return {"skipped": "erased" if lead is None or lead.state != "active" else "superseded"}
    if not rt.settings.outbound_enabled:
        log.info("lead %s: WeChat API not configured; no template messages", lead_id)
        return {"skipped": "not_configured"}
    results: dict[str, str] = {}
    retry_later: TemplateRetryLater | None = None
    final = jobs.is_final_attempt()
    for msg in build_messages(lead, rt.settings, live_content(rt.settings, rt.redis)):
        rt.limiter.wait("template")
        try:
            results[msg.client_msg_id] = send_template(rt.client, rt.redis, rt.keys, msg)
        except TemplateRetryLater as exc:
            retry_later = exc
            results[msg.client_msg_id] = "retrying"
            if final:
                record_status(rt.redis, rt.keys, msg.message_id(), "failed", errcode=exc.errcode)
    log.info("lead %s revision %d: template messages %s", lead_id, revision, sorted(results.values()))
    if retry_later is not None:
        raise retry_later          # RQ retries; messages already sent are skipped next time
    return results
