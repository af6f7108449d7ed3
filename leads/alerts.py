"""Template messages about a lead: an alert to each sales openid and a confirmation to the follower.

Sent by the worker from the stored lead (jobs carry only the lead id, so an erased lead is never
announced and no personal data sits in the queue). Configured in ``content/templates.yaml``.

Usage::

    configs = load_template_configs("content")          # validated; raises TemplateConfigError
    ctx.defer(send_lead_alerts, job_id=alerts_job_id(lead_id, revision), lead_id=lead_id, revision=revision)
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from datetime import datetime, timedelta, timezone
from string import Formatter
from typing import Any

import yaml

from config import Settings
from leads.store import Lead, LeadStore
from wechat import jobs
from wechat.language import LANGUAGES

log = logging.getLogger(__name__)

ALERT, CONFIRMATION = "lead_sales_alert", "lead_confirmation"
CHINA = timezone(timedelta(hours=8))     # sales work in China Standard Time (no DST)
PLACEHOLDERS = {"status", "name", "company", "role", "need", "source", "time", "date", "lead_id"}
SOURCE_LABELS = {"zh": {"menu": "菜单", "keyword": "关键词", "scene": "二维码", "unknown": "其他"},
                 "en": {"menu": "Menu", "keyword": "Keyword", "scene": "QR", "unknown": "Other"}}
STATUS_LABELS = {"zh": ("新线索", "线索更新"), "en": ("New lead", "Lead updated")}


class TemplateConfigError(ValueError):
    """content/templates.yaml is wrong; one line per problem."""


def load_template_configs(content_dir: str) -> dict[str, dict[str, Any]]:
    """Read and check ``templates.yaml``: placeholders known, fields within WeChat's rules for sample values."""
    from wechat.templates import check_field

    path = os.path.join(content_dir, "templates.yaml")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    problems: list[str] = []
    for name, config in raw.items():
        if not isinstance(config, dict) or not isinstance(config.get("fields"), dict) or not config["fields"]:
            problems.append(f"{path}: {name}: needs a 'fields' mapping")
            continue
        for lang in LANGUAGES:
            fields = _fields_for(config, lang)
            for key, pattern in fields.items():
                names = {f for _, f, _, _ in Formatter().parse(pattern) if f}
                unknown = names - PLACEHOLDERS
                if unknown:
                    problems.append(f"{path}: {name}.fields.{key}: unknown placeholder {', '.join(sorted(unknown))}")
                    continue
                literal = "".join(text for text, _, _, _ in Formatter().parse(pattern))
                if len(literal) > 20:
                    problems.append(f"{path}: {name}.fields.{key} ({lang}): fixed text is {len(literal)} "
                                    "characters; WeChat allows 20 per field")
                sample = _render(pattern, _sample_values(lang))
                problem = check_field(key, _fit(key, sample))
                if problem:
                    problems.append(f"{path}: {name}.fields.{problem}")
    if problems:
        raise TemplateConfigError("\n".join(problems))
    return raw


def _fields_for(config: dict[str, Any], lang: str) -> dict[str, str]:
    out = {}
    for key, pattern in (config.get("fields") or {}).items():
        if isinstance(pattern, dict):
            pattern = pattern.get(lang) or next(iter(pattern.values()), "")
        out[str(key)] = str(pattern)
    return out


def _render(pattern: str, values: dict[str, str]) -> str:
    return pattern.format_map({k: values.get(k, "") for k in PLACEHOLDERS}).strip()


def _fit(key: str, text: str) -> str:
    from wechat.templates import MAX_CHARS, field_type

    if field_type(key) in (None, "thing") and len(text) > MAX_CHARS:
        return text[:MAX_CHARS - 1] + "…"
    return text


def _sample_values(lang: str) -> dict[str, str]:
    return {"status": STATUS_LABELS[lang][0], "name": "张三" if lang == "zh" else "Jane Doe",
            "company": "示例公司", "role": "市场总监", "need": "社交媒体与 KOL 营销", "source": "菜单",
            "time": "2026-03-01 10:00", "date": "2026-03-01", "lead_id": "ld0123456789abcdef01"}


def values_for(lead: Lead, lang: str, labels: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """What a template may show about ``lead``: no phone, no email."""
    data = lead.data
    source = data.get("source") or {}
    kind = str(source.get("kind") or "unknown")
    source_text = SOURCE_LABELS[lang].get(kind, kind)
    detail = source.get("scene") if kind == "scene" else source.get("key")
    if detail:
        source_text = f"{source_text}:{detail}"
    when = datetime.fromtimestamp(lead.updated_at or time.time(), CHINA)
    need_labels = data.get("need_labels") or {}
    skipped = "-"
    return {"status": STATUS_LABELS[lang][1 if lead.revision > 1 else 0], "name": data.get("name") or skipped,
            "company": data.get("company") or skipped, "role": data.get("role") or skipped,
            "need": need_labels.get(lang) or data.get("need_label") or skipped, "source": source_text,
            "time": when.strftime("%Y-%m-%d %H:%M"), "date": when.strftime("%Y-%m-%d"), "lead_id": lead.lead_id}


def build_messages(lead: Lead, settings: Settings, configs: dict[str, dict[str, Any]]) -> list[Any]:
    """The template messages for this revision of ``lead``, each with a stable client_msg_id."""
    from wechat.templates import message_from_config

    messages = []
    alert = configs.get(ALERT) or {}
    if alert.get("template_id"):
        lang = alert.get("language") if alert.get("language") in LANGUAGES else "zh"
        config = {**alert, "fields": _fields_for(alert, lang)}
        for openid in settings.sales_openids:
            tag = hashlib.sha256(openid.encode()).hexdigest()[:8]
            messages.append(message_from_config(config, openid, values_for(lead, lang),
                                                client_msg_id=f"{lead.lead_id}-r{lead.revision}-s{tag}"))
    confirmation = configs.get(CONFIRMATION) or {}
    if confirmation.get("template_id") and lead.openid:
        lang = lead.data.get("lang") if confirmation.get("language", "follower") == "follower" else confirmation["language"]
        lang = lang if lang in LANGUAGES else "zh"
        config = {**confirmation, "fields": _fields_for(confirmation, lang)}
        messages.append(message_from_config(config, lead.openid, values_for(lead, lang),
                                            client_msg_id=f"{lead.lead_id}-r{lead.revision}-c"))
    return messages


# -- the job ----------------------------------------------------------------------------------------
@jobs.job()
def send_lead_alerts(lead_id: str, revision: int) -> dict[str, str]:
    """Send this revision's alerts and confirmation; each message at most once (send_template checks its status)."""
    from wechat.templates import TemplateRetryLater, record_status, send_template

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
    for msg in build_messages(lead, rt.settings, load_template_configs(rt.settings.content_dir)):
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
