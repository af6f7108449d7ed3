"""The first page after login: live version, draft state and what each role can open."""
from __future__ import annotations

from flask import Blueprint, render_template

from console.auth import role_required
from console.drafting import draft_state
from console.services import console_services

bp = Blueprint("home", __name__)


@bp.get("/")
@role_required("marketer", "sales")
def index():
    svc = console_services()
    return render_template("console/home.html", state=draft_state(svc), live=svc.versions.current_number())
