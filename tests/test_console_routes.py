"""Every console route, present and future: anonymous users are sent to the login page, the wrong role
gets 403, and a POST without the CSRF token is refused with 400 before the view runs."""
from __future__ import annotations

import re

import pytest

# Routes anyone may open: logging in, the language switch (also on the login page), and static files.
PUBLIC = {"console.auth.login", "console.auth.logout", "console.auth.switch_lang", "console.static"}


def _console_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and rule.endpoint not in PUBLIC:
            yield rule


def _url(rule) -> str:
    values = {name: ("1" if conv.__class__.__name__ == "IntegerConverter" else "weibo-2021")
              for name, conv in rule._converters.items()}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)


def test_every_console_view_declares_its_roles(app):
    views = app.view_functions
    missing = [rule.endpoint for rule in _console_rules(app) if not getattr(views[rule.endpoint], "roles", None)]
    assert missing == [], "console views without @role_required: " + ", ".join(missing)


def test_anonymous_users_are_sent_to_login_everywhere(app, console_client):
    anonymous = console_client(None)
    anonymous.get("/console/login")
    for rule in _console_rules(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = anonymous.get(_url(rule)) if method == "GET" else anonymous.post(_url(rule), data={})
            assert response.status_code == 302 and "/console/login" in response.location, (method, rule.rule)


def test_roles_are_enforced_on_every_route(app, console_client):
    clients = {role: console_client(role) for role in ("marketer", "sales")}
    for rule in _console_rules(app):
        roles = app.view_functions[rule.endpoint].roles
        for role, client in clients.items():
            if role in roles:
                continue
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = client.get(_url(rule)) if method == "GET" else client.post(_url(rule), data={})
                assert response.status_code == 403, (role, method, rule.rule)


@pytest.mark.parametrize("role", ["marketer", "admin"])
def test_every_post_needs_the_csrf_token(app, console_client, role):
    client = console_client(role)
    for rule in _console_rules(app):
        if "POST" in rule.methods:
            response = client.post(_url(rule), data={"rev": "1", "note": "x"}, csrf=False)
            assert response.status_code == 400, rule.rule
