"""The user's own account: set a new password (required after a one-time password)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth import role_required
from console.i18n import add_messages, notify
from console.services import console_services
from console.users import MIN_PASSWORD, UserError

bp = Blueprint("account", __name__)
add_messages({
    "account.title": ("设置新密码", "Set a new password"),
    "account.one_time": ("您用的是一次性密码：请先设置自己的密码", "You logged in with a one-time password: set your own first"),
    "account.current": ("当前密码", "Current password"),
    "account.new": ("新密码（至少 {n} 个字符）", "New password (at least {n} characters)"),
    "account.repeat": ("再次输入新密码", "New password again"),
    "account.submit": ("保存密码", "Save password"),
    "account.wrong": ("当前密码不对", "The current password is wrong"),
    "account.mismatch": ("两次输入的新密码不一致", "The two new passwords differ"),
    "account.same": ("新密码不能与当前密码相同", "The new password must differ from the current one"),
    "account.short": ("新密码至少 {n} 个字符", "The new password needs at least {n} characters"),
    "account.done": ("密码已更新", "Password updated"),
})


@bp.route("/password", methods=["GET", "POST"])
@role_required("marketer", "sales")
def password():
    problem, status = None, 200
    if request.method == "POST":
        users = console_services().users
        current, new, repeat = (request.form.get(k, "") for k in ("current", "new", "repeat"))
        if users.authenticate(current_user.name, current) is None:
            problem = "account.wrong"
        elif new != repeat:
            problem = "account.mismatch"
        elif new == current:
            problem = "account.same"
        elif len(new) < MIN_PASSWORD:
            problem = "account.short"
        else:
            try:
                users.set_password(current_user.name, new)
            except UserError:
                problem = "account.short"
            else:
                notify("ok", "account.done")
                return redirect(url_for("console.home.index"))
        status = 400
    return render_template("console/password.html", problem=problem, min=MIN_PASSWORD,
                           one_time=current_user.user.must_change), status
