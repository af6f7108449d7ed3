"""Who is logged in, and what their role lets them open.

Flask-Login keeps the user's name in the signed session cookie; every console request re-reads the
account from Redis, so disabling a user ends their sessions at once. Sessions expire after
``IDLE_MINUTES`` without a request (checked on the server, not only by the cookie's age).

Usage::

    @bp.get("/leads")
    @role_required("sales")          # admins pass every role check; anonymous users go to the login page
    def leads(): ...
"""
from __future__ import annotations

import functools
import time
from typing import Any, Callable

from flask import abort, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user

from console.i18n import DEFAULT_LANG
from console.services import console_services
from console.users import ROLES, User

IDLE_MINUTES = 30
# With a one-time password, every page but these sends the user to set a password of their own first.
MAY_WAIT_FOR_NEW_PASSWORD = {"console.account.password", "console.auth.logout", "console.auth.switch_lang",
                             "console.static"}
SEEN = "_seen"
# Write the last-seen time at most this often: a session written by every request would let a slow htmx
# preview's cookie overwrite the one a save just set (losing its flash message).
SEEN_EVERY = 60


class ConsoleUser(UserMixin):
    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return self.user.name

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, role: str) -> bool:
        return self.user.can(role)


def make_login_manager() -> LoginManager:
    manager = LoginManager()
    manager.login_view = "console.auth.login"
    manager.login_message = None
    manager.session_protection = "strong"     # a session cookie replayed from another browser is dropped

    @manager.user_loader
    def load(name: str) -> ConsoleUser | None:
        user = console_services().users.get(name)
        return ConsoleUser(user) if user and not user.disabled else None

    return manager


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let in users with any of ``roles`` (admins always); anonymous: to the login page; others: 403."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("console.auth.login", next=request.full_path.rstrip("?")))
            if not any(current_user.can(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)
        wrapped.roles = roles   # type: ignore[attr-defined]   # read by the route-coverage test
        return wrapped
    return decorate


def before_console_request() -> Any:
    """Expire idle sessions and pick the UI language; runs for /console/ only (a blueprint hook)."""
    g.lang = session.get("lang", DEFAULT_LANG)
    if not current_user.is_authenticated:
        return None
    now = time.time()
    seen = session.get(SEEN, now)
    if now - seen > IDLE_MINUTES * 60:
        logout_user()
        session.clear()
        return redirect(url_for("console.auth.login", expired=1))
    if now - seen > SEEN_EVERY:
        session[SEEN] = now
    g.lang = current_user.user.lang
    if current_user.user.must_change and request.endpoint not in MAY_WAIT_FOR_NEW_PASSWORD:
        return redirect(url_for("console.account.password"))
    return None
