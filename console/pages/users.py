"""Console accounts, for admins: the same ``UserStore`` as ``flask --app app users``."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth import role_required
from console.i18n import add_messages, notify
from console.nav import add_nav
from console.services import console_services
from console.users import ROLES, UserError

bp = Blueprint("users", __name__)
add_nav("nav.users", "console.users.index", roles=("admin",), order=90)
add_messages({
    "users.title": ("用户", "Users"),
    "users.name": ("用户名", "Name"),
    "users.role": ("角色", "Role"),
    "users.state": ("状态", "State"),
    "users.active": ("正常", "active"),
    "users.disabled": ("已停用", "disabled"),
    "users.add": ("添加用户", "Add user"),
    "users.disable": ("停用", "Disable"),
    "users.added": ("已添加 {name}。一次性密码（只显示这一次，首次登录须改密码）：{password}",
                    "Added {name}. One-time password (shown once; the first login sets a new one): {password}"),
    "users.disabled_done": ("已停用 {name}，其会话已结束", "Disabled {name}; their sessions have ended"),
    "users.self": ("不能停用自己", "You cannot disable yourself"),
    "users.error": ("{error}", "{error}"),
})


@bp.get("/users")
@role_required("admin")
def index():
    return render_template("console/users.html", users=console_services().users.list(), roles=ROLES)


@bp.post("/users")
@role_required("admin")
def add():
    svc = console_services()
    name, role = request.form.get("name", "").strip(), request.form.get("role", "")
    try:
        password = svc.users.add(name, role)
    except UserError as exc:
        notify("error", "users.error", error=str(exc))
        return redirect(url_for(".index"))
    svc.audit.record(current_user.name, "user.add", f"{name} ({role})")
    # Shown in this response only: a flash would carry the password in the (signed, not encrypted) cookie.
    return render_template("console/users.html", users=svc.users.list(), roles=ROLES,
                           added={"name": name, "password": password})


@bp.post("/users/<name>/disable")
@role_required("admin")
def disable(name: str):
    svc = console_services()
    if name.lower() == current_user.name.lower():
        notify("error", "users.self")
        return redirect(url_for(".index"))
    try:
        svc.users.disable(name)
    except UserError:
        abort(404)
    svc.audit.record(current_user.name, "user.disable", name)
    notify("ok", "users.disabled_done", name=name)
    return redirect(url_for(".index"))
