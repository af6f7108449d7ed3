"""The ``/console/`` blueprint: one child blueprint per page module, listed in ``PAGES``.

To add a page, write ``console/pages/<name>.py`` with ``bp = Blueprint("<name>", __name__)``; it is found
and registered by itself (see console/README.md). Every page then gets, from this parent: the login and idle-expiry check,
the CSRF check on every POST, the UI language, the error pages, and the templates and static files.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from flask import Blueprint, Response, render_template
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from console.auth import before_console_request
from console.field_labels import field_label
from console.fields import issue_url
from console.i18n import current_lang, t
from console.issue_text import issue_hint, issue_message
from console.nav import nav_for

NAME = "console"
PREFIX = "/console"


def _pages() -> list[Blueprint]:
    """Every ``console/pages/*.py`` module's ``bp``: a new page is a new file, no list to edit."""
    import console.pages

    modules = sorted(info.name for info in pkgutil.iter_modules(console.pages.__path__))
    return [importlib.import_module(f"console.pages.{name}").bp for name in modules]


def create_blueprint() -> Blueprint:
    bp = Blueprint(NAME, __name__, url_prefix=PREFIX, template_folder="templates", static_folder="static",
                   static_url_path="/static")
    bp.before_request(before_console_request)
    bp.after_request(no_store)
    for page in _pages():
        bp.register_blueprint(page)

    @bp.app_template_global("t")
    def _t(key: str, /, **values: Any) -> str:
        return t(key, **values)

    @bp.app_template_global("issue_url")
    def _issue_url(report: Any, issue: Any) -> str | None:
        return issue_url(report, issue)

    bp.add_app_template_global(issue_message, "issue_message")     # a checker problem in the reader's language
    bp.add_app_template_global(issue_hint, "issue_hint")
    bp.add_app_template_global(field_label, "field_label")        # schema field names as marketers read them

    @bp.app_template_global("console_nav")
    def _nav(user: Any) -> list[Any]:
        return nav_for(user)

    @bp.context_processor
    def _lang() -> dict[str, Any]:
        return {"lang": current_lang()}

    def error_page(status: int, message: str) -> tuple[str, int]:
        return render_template("console/error.html", status=status, message=message), status

    bp.register_error_handler(403, lambda exc: error_page(403, t("error.forbidden")))
    bp.register_error_handler(CSRFError, lambda exc: error_page(400, t("error.csrf")))
    bp.register_error_handler(RateLimitExceeded, lambda exc: error_page(429, t("login.limited")))
    return bp


def no_store(response: Response) -> Response:
    """Pages with contact details or drafts must not be kept by a shared browser's cache."""
    response.headers["Cache-Control"] = "no-store"
    return response
