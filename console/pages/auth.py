"""Log in, log out and switch the UI language.

Login attempts are limited per account and per client address (Flask-Limiter's storage on the bot's
Redis), counted before the password is checked so guessing costs the attacker, not the server.
"""
from __future__ import annotations

import ipaddress
import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from limits import parse

from console.auth import SEEN, ConsoleUser
from console.services import console_services
from console.users import LANGS

bp = Blueprint("auth", __name__)

PER_ACCOUNT = parse("5 per minute")
PER_ADDRESS = parse("20 per minute")


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    if target and target.startswith("/console") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("console.home.index")


def client_address() -> str:
    """The browser's address. Behind the local reverse proxy (deploy/nginx.conf) every request comes from
    127.0.0.1, so the last X-Forwarded-For entry (the one nginx appended) is the client; a header from
    anyone else is ignored, or a guesser could claim a new address with every attempt."""
    remote = request.remote_addr or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and ipaddress.ip_address(remote if remote != "unknown" else "0.0.0.0").is_loopback:
        return forwarded.split(",")[-1].strip() or remote
    return remote


def _allowed(name: str) -> bool:
    """Count one attempt for the account and one for the address; False once either is over its limit."""
    limiter = current_app.extensions["wxbot.console.limiter"].limiter
    address = client_address()
    by_account = limiter.hit(PER_ACCOUNT, "login-account", name.lower()[:64])
    by_address = limiter.hit(PER_ADDRESS, "login-address", address)
    return by_account and by_address


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    error, status = None, 200
    name = request.form.get("name", "").strip()
    if request.method == "POST":
        if not _allowed(name):
            abort(429)
        user = console_services().users.authenticate(name, request.form.get("password", ""))
        if user is None:
            error, status = "login.failed", 401
        else:
            session.clear()                     # no session fixation: a fresh session for the new identity
            login_user(ConsoleUser(user))
            session.permanent = True
            session[SEEN] = time.time()
            session["lang"] = user.lang
            console_services().audit.record(user.name, "login")
            return redirect(_safe_next(request.args.get("next")))
    elif request.args.get("expired"):
        error = "login.expired"
    return render_template("console/login.html", error=error, name=name), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("console.auth.login"))


@bp.post("/lang")
def switch_lang():
    lang = request.form.get("lang", "")
    if lang not in LANGS:
        abort(400)
    session["lang"] = lang
    g.lang = lang
    if current_user.is_authenticated:
        console_services().users.set_lang(current_user.name, lang)
    return redirect(_safe_next(request.form.get("next")))
