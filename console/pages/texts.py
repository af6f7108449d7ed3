"""Messages, welcome per QR scene, the lead form's wording and template messages: forms generated from the
content models the checker uses (``library.forms`` over ``library.models``), so a field added to a model shows
up here with no new page. Saves go into the draft; the checker's problems show next to their inputs.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth import role_required
from console.drafting import draft_state, save_changes
from console.drafts import StaleDraft
from console.fields import FILE_LEVEL, issues_by_field
from console.i18n import add_messages, notify
from console.nav import add_nav
from console.services import console_services
from library.forms import SECTIONS, apply_form, build_form

bp = Blueprint("texts", __name__)
add_nav("nav.texts", "console.texts.first", roles=("marketer",), order=25,
        match=("console.texts.first", "console.texts.index"))

add_messages({
    "nav.texts": ("消息与表单文字", "Messages & forms"),
    "texts.title": ("消息与表单文字", "Messages and form wording"),
    "texts.section.messages": ("自动回复消息", "Messages"), "texts.section.scenes": ("二维码场景欢迎语", "Welcome per QR scene"),
    "texts.section.lead_form": ("咨询表单文字", "Contact form wording"),
    "texts.section.templates": ("模板消息字段", "Template message fields"),
    "texts.save": ("保存到草稿", "Save to draft"),
    "texts.saved": ("已保存到草稿", "Saved to the draft"),
    "texts.saved_with_errors": ("已保存到草稿，但有错误需要修正（见字段旁）", "Saved to the draft, with errors to fix (next to each field)"),
    "texts.stale": ("草稿已被他人修改：您的修改未保存，下面是您提交的内容，请核对后重试。",
                    "Someone saved the draft since you opened it: your change was not saved. Your values are below; "
                    "check them and save again."),
    "texts.file_problems": ("这个文件的其他问题：", "Other problems in this file:"),
})


def _issues(report, file: str) -> dict[str, list]:
    return issues_by_field(report, file)


@bp.route("/texts/<section>", methods=["GET", "POST"])
@role_required("marketer")
def index(section: str):
    spec = SECTIONS.get(section)
    if spec is None:
        abort(404)
    svc = console_services()
    state = draft_state(svc)
    text = state.draft.bundle.get(spec.file, "")
    status = 200
    if request.method == "POST":
        try:
            rev = int(request.form.get("rev", ""))
        except ValueError:
            abort(400)
        result = apply_form(spec, text, request.form)
        try:
            state = save_changes(svc, {spec.file: result.text}, rev=rev, author=current_user.name)
        except StaleDraft:
            notify("error", "texts.stale")
            form = result.form              # the submitted values, not lost
            return render_template("console/pages/texts.html", form=form, section=section, sections=SECTIONS,
                                   rev=svc.drafts.load().rev, issues={}, file_issues=[]), 409
        issues = _issues(state.report, spec.file)
        if not any(i.is_error for found in issues.values() for i in found):
            notify("ok", "texts.saved")
            return redirect(url_for("console.texts.index", section=section))
        notify("error", "texts.saved_with_errors")
        text, status = result.text, 422
    form = build_form(spec, text)
    issues = _issues(state.report, spec.file)
    names = {f.name for f in form.inputs()}
    file_issues = [i for name, found in issues.items() if name == FILE_LEVEL or
                   (name not in names and not any(n.startswith(name + ".") for n in names)
                    and name.split(".")[0] in {n.split(".")[0] for n in names})
                   for i in found]
    return render_template("console/pages/texts.html", form=form, section=section, sections=SECTIONS,
                           rev=state.draft.rev, issues=issues, file_issues=file_issues), status


@bp.get("/texts")
@role_required("marketer")
def first():
    return redirect(url_for("console.texts.index", section="messages"))
