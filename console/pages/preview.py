"""Preview: a phone-like chat with the draft through the real dispatch path (``preview.dispatch``).

Typing, menu taps, subscribe/scan with a QR scene and the lead form all run the app's own routers and flows
against the compiled draft; conversations live under the preview key namespace for 10 minutes, and nothing
reaches live followers, analytics, the CRM or the job queue.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, render_template, request, session

from console.auth import role_required
from console.draft_content import draft_content, live_bot
from console.i18n import add_messages
from console.nav import add_nav
from console.services import console_services
from preview.dispatch import Preview, PreviewError

bp = Blueprint("preview", __name__)
add_nav("nav.preview", "console.preview.index", roles=("marketer",), order=40)
SESSION_KEY = "preview_session"
TEXT_MAX = 500

add_messages({
    "nav.preview": ("手机预览", "Preview"),
    "phone.title": ("手机预览（草稿）", "Phone preview (draft)"),
    "phone.intro": ("像粉丝一样与草稿版本对话：输入文字、点击菜单、模拟扫码关注、填写咨询表单。预览不会影响真实粉丝、统计数据或 CRM。",
                      "Talk to the draft as a follower would: type, tap the menu, simulate a QR-code follow, walk "
                      "through the contact form. Nothing reaches live followers, analytics or the CRM."),
    "phone.text": ("输入消息", "Message"), "phone.send": ("发送", "Send"),
    "phone.scene": ("二维码场景", "QR scene"), "phone.subscribe": ("模拟关注", "Simulate follow"),
    "phone.scan": ("模拟扫码（已关注）", "Simulate scan (already following)"),
    "phone.reset": ("重新开始", "Start over"),
    "phone.no_reply": ("（不回复）", "(no reply)"),
    "phone.other_reply": ("（{kind} 消息）", "({kind} message)"),
    "phone.tapped": ("点击菜单：{name}", "Tapped: {name}"),
    "phone.subscribed": ("关注了公众号{scene}", "Followed the account{scene}"),
    "phone.scanned": ("扫描二维码 {scene}", "Scanned QR code {scene}"),
    "phone.view": ("打开网页：{url}", "Opens {url}"),
    "phone.withheld": ("预览不保存：正式环境会保存 {n} 条线索并发送给 CRM", "Preview keeps nothing: live, {n} lead(s) would be stored and sent to the CRM"),
    "phone.jobs": ("正式环境会排队的任务（预览中未执行）：{jobs}", "Jobs live would queue (not run in preview): {jobs}"),
    "phone.state": ("表单进度：{state}", "Form step: {state}"),
    "phone.unavailable": ("草稿有错误，修正后才能预览：", "The draft has errors; fix them to preview it:"),
    "phone.reset_done": ("已重新开始：您现在是一位新粉丝。", "Started over: you are a new follower now."),
})


def _session_id() -> str:
    if not session.get(SESSION_KEY):
        session[SESSION_KEY] = secrets.token_hex(8)
    return session[SESSION_KEY]


def _menu(content) -> list[dict]:
    return list((content.data.get("menu.yaml") or {}).get("buttons") or []) if content is not None else []


@bp.get("/preview")
@role_required("marketer")
def index():
    content, report = draft_content(console_services())
    scenes = sorted(content.scenes) if content is not None else []
    return render_template("console/pages/preview.html", menu=_menu(content), errors=report.errors,
                           scenes=scenes, available=content is not None)


@bp.post("/preview/send")
@role_required("marketer")
def send():
    """htmx: one message or event; returns the bubbles to append to the chat."""
    content, report = draft_content(console_services())
    if content is None:
        return render_template("console/pages/_preview_errors.html", errors=report.errors), 409
    kind = request.form.get("kind", "text")
    text = (request.form.get("text") or "")[:TEXT_MAX]
    key = (request.form.get("key") or "")[:128]
    preview = Preview(live_bot(), content, _session_id())
    try:
        if kind == "text":
            if not text.strip():
                return "", 204
            exchange = preview.send(text=text)
        elif kind == "click":
            exchange = preview.send(event="click", key=key)
        elif kind in ("subscribe", "scan"):
            scene = key.strip()
            exchange = preview.send(event=kind, key=(f"qrscene_{scene}" if kind == "subscribe" and scene else scene))
        else:
            abort(400)
    except PreviewError:
        abort(400)
    names = content.button_names.get(key, {}) if kind == "click" else {}
    return render_template("console/pages/_preview_turn.html", kind=kind, text=text, key=key,
                           name=names.get("zh") or key, exchange=exchange, state=preview.state())


@bp.post("/preview/reset")
@role_required("marketer")
def reset():
    content, _ = draft_content(console_services())
    if content is not None:
        Preview(live_bot(), content, _session_id()).reset()
    session[SESSION_KEY] = secrets.token_hex(8)
    return render_template("console/pages/_preview_reset.html")
