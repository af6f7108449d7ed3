"""Console fixtures: users per role and logged-in Flask test clients that send the CSRF token like a browser.

Usage::

    def test_drafts(console_client):
        marketer = console_client("marketer")
        page = marketer.get("/console/draft")
        marketer.post("/console/publish", data={"note": "x", "rev": 3})        # CSRF token added
        marketer.post("/console/publish", data={...}, csrf=False).status_code == 400
"""
from __future__ import annotations

import re
import uuid
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from console.services import EXTENSION

PASSWORD = "correct-horse-battery"
_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token_in(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "page has no CSRF token meta tag"
    return match.group(1)


class ConsoleClient:
    """A test client for one console user; ``post`` adds the session's CSRF token unless ``csrf=False``."""

    def __init__(self, client: FlaskClient, name: str = "", role: str = ""):
        self.client = client
        self.name = name
        self.role = role
        self.token = ""

    def get(self, url: str, **kw: Any):
        response = self.client.get(url, **kw)
        if response.mimetype == "text/html":
            match = _TOKEN.search(response.get_data(as_text=True))
            if match:
                self.token = match.group(1)
        return response

    def post(self, url: str, *, data: dict | None = None, csrf: bool = True, htmx: bool = False, **kw: Any):
        data = dict(data or {})
        headers = dict(kw.pop("headers", {}) or {})
        if csrf:
            if not self.token:
                self.get("/console/login")
            if htmx:
                headers["X-CSRFToken"] = self.token
            else:
                data.setdefault("csrf_token", self.token)
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data, headers=headers, **kw)

    def login_with_headers(self, name: str, password: str, headers: dict[str, str]) -> int:
        self.get("/console/login")
        return self.post("/console/login", data={"name": name, "password": password}, headers=headers).status_code

    def login(self, name: str, password: str):
        self.get("/console/login")
        return self.post("/console/login", data={"name": name, "password": password})


@pytest.fixture
def console_users(app: Flask) -> Callable[[str], str]:
    """Create a user with ``role`` (password ``PASSWORD``); returns its name."""
    store = app.extensions[EXTENSION].users

    def make(role: str) -> str:
        name = f"{role}-{uuid.uuid4().hex[:6]}"
        store.add(name, role, PASSWORD)
        return name
    return make


@pytest.fixture
def console_client(app: Flask, console_users: Callable[[str], str]) -> Callable[..., ConsoleClient]:
    """``console_client("marketer")``: a new test client, logged in as a new user with that role.
    ``console_client(None)``: an anonymous one."""
    def make(role: str | None) -> ConsoleClient:
        client = ConsoleClient(app.test_client())
        if role is None:
            return client
        name = console_users(role)
        response = client.login(name, PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        client.name, client.role = name, role
        client.get("/console/")
        return client
    return make
