"""Helpers for the lead tests: an app whose router has test triggers for the flow, a CRM receiver, cleanup.

The triggers stand in for the content routes (menu MENU_CONTACT, keywords) so the flow is tested on its own;
``test_leads_wiring`` checks the real routes separately.
"""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import redis as redis_lib

from rq import Retry

from app import ROUTERS, build_router, create_app
from config import Settings
from devtools.simulator import FlaskTransport, Follower, SimReply
from handlers import keywords, menu, search, welcome
from leads import deliver_lead
from wechat.conversation import Conversation
from wechat.replies import Text
from wechat.router import Router


def flow_router() -> Router:
    """The app's route order, with stand-in triggers in place of the content routes (menu, keywords, search)."""
    triggers = Router("test-triggers")

    @triggers.text("contact", "咨询", "合作")
    def start_from_keyword(ctx):
        return ctx.start_flow("lead", {"kind": "keyword", "key": ctx.message.content.strip()})

    @triggers.click("MENU_CONTACT")
    def start_from_menu(ctx):
        return ctx.start_flow("lead", {"kind": "menu", "key": "MENU_CONTACT", "read": ctx.conversation.read})

    @triggers.click("MENU_ABOUT")
    def reply_about(ctx):
        return Text("ABOUT-US")

    @triggers.text("kol")
    def reply_article(ctx):
        ctx.conversation.read = ["idol-economy-kol-koc"]
        return Text("ARTICLE-KOL")

    routers = [r for r in ROUTERS if r not in (menu.router, keywords.router, search.router)]
    routers.insert(routers.index(welcome.router), triggers)
    return build_router(tuple(routers))


def make_app(settings: Settings, redis: redis_lib.Redis, lead_retry_schedule: list[int] | None = None):
    """The app with the stand-in router; ``lead_retry_schedule`` shortens CRM delivery retries to seconds."""
    retries = {deliver_lead: Retry(max=len(lead_retry_schedule), interval=lead_retry_schedule)} \
        if lead_retry_schedule is not None else None
    app = create_app(settings, redis=redis, router=flow_router(), job_retries=retries)
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


def session_of(redis: redis_lib.Redis, settings: Settings, openid: str) -> Conversation:
    """The follower's stored conversation (an empty one when none is stored)."""
    return Conversation.load(redis.get(f"{settings.key_prefix}conv:{openid}"))


# -- a CRM stand-in ------------------------------------------------------------------------------
def readme_verify() -> Callable[..., bool]:
    """The CRM's signature check exactly as README shows it: the code block after ``<!-- crm-verify``."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- crm-verify[^>]*-->\s*```python\n(.*?)```", readme, re.S)
    if found is None:
        raise AssertionError("README.md lost its CRM verification example (<!-- crm-verify --> + python block)")
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), "README.md (CRM verification example)", "exec"), namespace)  # noqa: S102
    return namespace["verify"]


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
    """A threaded HTTP server standing in for the CRM: verifies each delivery as README tells receivers to
    (signature over timestamp and body, 5-minute tolerance against ``clock``), answers 401 or 503/200."""

    secret: str
    clock: Callable[[], float] = time.time   # the receiver's clock (a test moves it to replay a delivery later)
    fail_first: int = 0                     # answer 503 to this many requests first
    down: bool = False                      # answer 503 to everything while True
    hold: threading.Event | None = None     # when set by the test, requests wait for it (to kill mid-delivery)
    received: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "Receiver":
        receiver = self
        verify = readme_verify()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                item = Received(dict(self.headers.items()), body,
                                verify(receiver.secret, self.headers, body, now=receiver.clock()))
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


# -- worker processes and clean-up -----------------------------------------------------------------------
from tests.support.processes import ROOT, settings_env, start_worker, wait_for  # noqa: E402,F401
from tests.support.processes import kill_tree as kill_worker  # noqa: E402,F401
from tests.support.cleanup import cleanup_prefix as cleanup  # noqa: E402,F401
