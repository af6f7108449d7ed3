"""The audit log, for admins: who saved, published, rolled back, published the menu, exported leads."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from console.audit import ACTIONS
from console.auth import role_required
from console.nav import add_nav
from console.services import console_services

bp = Blueprint("audit", __name__)
add_nav("nav.audit", "console.audit.index", roles=("admin",), order=95)


@bp.get("/audit")
@role_required("admin")
def index():
    action = request.args.get("action") or None
    entries = console_services().audit.entries(limit=500, action=action if action in ACTIONS else None)
    return render_template("console/audit.html", entries=entries, actions=ACTIONS, action=action)
