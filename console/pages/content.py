"""Draft, publish, versions, diff and rollback: the pages behind ``content publish|versions|diff|rollback``.

Publishing and rollback go through ``library.publishing`` (the CLI's path): the checker runs again there,
and a version is stored and switched atomically, so workers serve it within a second.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth import role_required
from console.drafting import draft_state
from console.i18n import notify
from console.nav import add_nav
from console.services import console_services
from library.bundle import checksum, unified_diff
from library.issues import ContentInvalid
from library.publishing import NothingToPublish, publish, rollback

bp = Blueprint("content", __name__)
add_nav("nav.drafts", "console.content.draft", roles=("marketer",), order=80,
        match=("console.content.draft", "console.content.discard", "console.content.publish"))
add_nav("nav.versions", "console.content.versions", roles=("marketer",), order=85,
        match=("console.content.versions", "console.content.rollback"))


def _form_rev() -> int:
    try:
        return int(request.form.get("rev", ""))
    except ValueError:
        abort(400)


@bp.app_template_filter("when")
def when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else ""


@bp.get("/draft")
@role_required("marketer")
def draft():
    state = draft_state(console_services())
    diff = "".join(unified_diff(state.live, state.draft.bundle, f"v{state.live_number}", "draft"))
    return render_template("console/draft.html", state=state, diff=diff)


@bp.post("/draft/discard")
@role_required("marketer")
def discard():
    svc = console_services()
    if svc.drafts.load().rev != _form_rev():
        notify("error", "draft.stale_discard")
        return redirect(url_for(".draft"))
    svc.drafts.reset()
    svc.audit.record(current_user.name, "draft.discard")
    notify("ok", "draft.discarded")
    return redirect(url_for(".draft"))


@bp.route("/publish", methods=["GET", "POST"])
@role_required("marketer")
def publish_draft():
    svc = console_services()
    state = draft_state(svc)
    diff = "".join(unified_diff(state.live, state.draft.bundle, f"v{state.live_number}", "draft"))
    note = request.form.get("note", "").strip()
    problem, status = None, 200
    if request.method == "POST":
        if _form_rev() != state.draft.rev:
            problem, status = "publish.stale", 409
        elif not note:
            problem, status = "publish.note_required", 400
        elif not state.report.ok:
            problem, status = "publish.refused", 409
        else:
            try:
                number = publish(svc.versions, state.draft.bundle, svc.needs, author=current_user.name, message=note)
            except ContentInvalid:
                problem, status = "publish.refused", 409
            except NothingToPublish:
                problem, status = "publish.nothing", 409
            else:
                svc.drafts.reset()
                svc.audit.record(current_user.name, "publish", f"version {number}: {note}")
                notify("ok", "publish.done", n=number)
                return redirect(url_for(".versions"))
    return render_template("console/publish.html", state=state, diff=diff, note=note, problem=problem), status


@bp.get("/versions")
@role_required("marketer")
def versions():
    svc = console_services()
    infos = list(reversed(svc.versions.list()))
    return render_template("console/versions.html", infos=infos, live=svc.versions.current_number())


@bp.get("/versions/diff")
@role_required("marketer")
def versions_diff():
    svc = console_services()
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    old, new = (svc.versions.bundle(a) if a else None), (svc.versions.bundle(b) if b else None)
    if old is None or new is None:
        abort(404)
    diff = "".join(unified_diff(old, new, f"v{a}", f"v{b}"))
    return render_template("console/diff.html", a=a, b=b, diff=diff)


@bp.post("/versions/<int:number>/rollback")
@role_required("marketer")
def rollback_to(number: int):
    svc = console_services()
    draft = svc.drafts.load()
    base = svc.versions.bundle(draft.base) if draft.base else None
    untouched = base is not None and checksum(base) == checksum(draft.bundle)
    try:
        rollback(svc.versions, number, svc.needs, author=current_user.name)
    except KeyError:
        abort(404)
    except ContentInvalid:
        notify("error", "versions.rollback_invalid", n=number)
        return redirect(url_for(".versions"))
    if untouched:
        svc.drafts.reset()     # an unedited draft follows the live version; an edited one is kept
    svc.audit.record(current_user.name, "rollback", f"version {number}")
    notify("ok", "versions.rolled_back", n=number)
    return redirect(url_for(".versions"))
