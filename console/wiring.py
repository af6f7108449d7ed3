"""Install the console on the bot's Flask app, scoped to ``/console/`` so ``/wechat`` pays nothing for it.

Flask-Login, Flask-WTF's CSRF check and Flask-Limiter each add app-wide request hooks when installed;
``_scoped_to_console`` moves every hook they add onto the console blueprint, and the session interface
opens no session for any other path. A webhook request therefore runs exactly the hooks it ran before.

Usage (app.py)::

    init_console(app, settings=settings, redis=redis, needs=library.needs)
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable

import redis as redis_lib
from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect

from config import Settings
from console.auth import IDLE_MINUTES, make_login_manager
from console.blueprint import NAME, PREFIX, create_blueprint
from console.secret import is_production, secret_key
from console.services import EXTENSION, ConsoleServices
from library.needs import ContentNeeds

log = logging.getLogger(__name__)
LIMITER = "wxbot.console.limiter"
_HOOKS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs", "template_context_processors")


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions for the console only: other paths (``/wechat``) get no session at all."""

    def open_session(self, app: Flask, request: Request) -> Any:
        if not request.path.startswith(PREFIX):
            return None        # Flask substitutes its cheap null session
        return super().open_session(app, request)


def _scoped_to_console(app: Flask, install: Callable[[], Any]) -> None:
    """Run ``install`` and move the app-wide hooks it registered onto the console blueprint."""
    before = {name: list(getattr(app, name).get(None, ())) for name in _HOOKS}
    install()
    for name in _HOOKS:
        registry = getattr(app, name)
        added = [hook for hook in registry.get(None, ()) if hook not in before[name]]
        if not added:
            continue
        registry[None] = before[name]
        registry.setdefault(NAME, []).extend(added)


def init_console(app: Flask, *, settings: Settings, redis: redis_lib.Redis, needs: ContentNeeds) -> None:
    services = ConsoleServices(settings=settings, redis=redis, needs=needs)
    app.extensions[EXTENSION] = services
    app.secret_key = secret_key(settings)
    app.session_interface = ConsoleSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="wxbot_console",
        SESSION_COOKIE_PATH=PREFIX,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Over plain HTTP (the demo, tests) a Secure cookie would never come back; production is HTTPS.
        SESSION_COOKIE_SECURE=is_production(settings),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=is_production(settings),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=IDLE_MINUTES),
        SESSION_REFRESH_EACH_REQUEST=False,  # only a changed session is sent back (see console.auth.SEEN_EVERY)
        WTF_CSRF_TIME_LIMIT=None,            # the token lives as long as the session (which expires when idle)
        WTF_CSRF_SSL_STRICT=is_production(settings),
    )
    limiter = Limiter(key_func=lambda: "console", storage_uri="redis://", strategy="moving-window",
                      storage_options={"connection_pool": redis.connection_pool,
                                       "key_prefix": settings.key_prefix + "console:limits"})
    app.extensions[LIMITER] = limiter
    login_manager = make_login_manager()
    _scoped_to_console(app, lambda: (login_manager.init_app(app), CSRFProtect(app), limiter.init_app(app)))
    app.register_blueprint(create_blueprint())
    if services.users.seed_admin(settings.console_password):
        log.info("console: created the first admin account 'admin' from CONSOLE_PASSWORD")
