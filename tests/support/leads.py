"""Helpers for the lead tests: an app whose router has test triggers for the flow, a CRM receiver, cleanup.

The triggers stand in for the content routes (menu MENU_CONTACT, keywords) so the flow is tested on its own;
``test_leads_wiring`` checks the real routes separately.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import redis as redis_lib

from app import create_app
from config import Settings
from handlers import fallback, leads, privacy, system, welcome
from wechat.replies import Text
from wechat.router import Router
from devtools.simulator import FlaskTransport, Follower, SimReply


def flow_router() -> Router:
    """The app's route order with stand-in triggers (content routes) just before welcome and fallback."""
    triggers = Router("test-triggers")

    @triggers.text("contact", "咨询", "合作")
    def start_from_keyword(ctx):
        return ctx.start_flow("lead", {"kind": "keyword", "key": ctx.message.content.strip()})

    @triggers.click("MENU_CONTACT")
    def start_from_menu(ctx):
        return ctx.start_flow("lead", {"kind": "menu", "key": "MENU_CONTACT", "read": ctx.session.get("read", [])})

    @triggers.click("MENU_ABOUT")
    def reply_about(ctx):
        return Text("ABOUT-US")

    @triggers.text("kol")
    def reply_article(ctx):
        ctx.session["read"] = ["idol-economy-kol-koc"]
        return Text("ARTICLE-KOL")

    root = Router("root")
    for part in (system.router, privacy.router, leads.router, triggers, welcome.router, fallback.router):
        root.include(part)
    return root


def make_app(settings: Settings, redis: redis_lib.Redis, **services: Any):
    app = create_app(settings, redis=redis, router=flow_router(), **services)
    app.testing = True
    return app


def follower_for(app, settings: Settings, openid: str | None = None) -> Follower:
    return Follower(FlaskTransport(app.test_client()), settings.wechat_token,
                    openid=openid or "o_lead_" + uuid.uuid4().hex[:12], mode="plain")


def says(reply: SimReply, *fragments: str) -> str:
    """Assert the reply is a text containing every fragment; return its content."""
    assert reply.status == 200, reply
    assert reply.type == "text", f"expected text, got {reply.type}: {reply.raw[:200]!r}"
    for fragment in fragments:
        assert fragment in reply.content, f"{fragment!r} not in reply:\n{reply.content}"
    return reply.content


def session_of(redis: redis_lib.Redis, settings: Settings, openid: str) -> dict[str, Any]:
    raw = redis.get(f"{settings.key_prefix}conv:{openid}")
    return json.loads(raw) if raw else {}


# -- a CRM stand-in ------------------------------------------------------------------------------
@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A threaded HTTP server standing in for the CRM: verifies the signature, answers with ``status()``."""

    secret: str
    fail_first: int = 0                     # answer 503 to this many requests first
    down: bool = False                      # answer 503 to everything while True
    hold: threading.Event | None = None     # when set by the test, requests wait for it (to kill mid-delivery)
    received: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                expected = hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                got = self.headers.get("X-Signature-SHA256", "")
                item = Received(dict(self.headers.items()), body, hmac.compare_digest(expected, got))
                receiver.received.append(item)
                receiver.entered.set()
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                failing = receiver.down or len(receiver.received) <= receiver.fail_first
                status = 401 if not item.signature_ok else 503 if failing else 200
                if status == 200:
                    receiver.accepted.append(item)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/crm/leads"

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


# -- worker processes and cleanup -----------------------------------------------------------------------
from tests.support.processes import ROOT, settings_env, start_worker, wait_for  # noqa: E402,F401
from tests.support.processes import kill_tree as kill_worker  # noqa: E402,F401


def cleanup(redis: redis_lib.Redis, prefix: str) -> None:
    """Delete what a test wrote: keys under ``prefix`` and RQ's keys for its namespaced queues and jobs."""
    tag = re.sub(r"[^A-Za-z0-9_-]+", "-", prefix).strip("-")
    for pattern in (f"{prefix}*", f"rq:*{prefix}*", f"rq:*{tag}*"):
        for key in redis.scan_iter(match=pattern, count=1000):
            redis.delete(key)
    for shared in ("rq:workers", "rq:queues"):
        for member in redis.smembers(shared):
            if tag.encode() in member or prefix.encode() in member:
                redis.srem(shared, member)
