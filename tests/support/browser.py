"""Browser fixtures for the console: the real app served over HTTP in a thread, and Debian's chromium via Playwright.

The app under test is ``create_app`` with the test's settings and Redis, served by werkzeug on a free port:
the browser talks to ``/console/`` and a simulated follower (devtools.simulator over HTTP) to ``/wechat``
on the same server, so a publish in the browser is what the follower gets next.

Usage::

    def test_login(console_server, browser_page):
        page = browser_page()                         # a fresh context (cookies) each call
        page.goto(console_server.url + "/console/login")
        shoot(page, "login")                          # test-artifacts/console/login-1280.png and -390.png
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Iterator

import pytest
from werkzeug.serving import make_server

from console.services import EXTENSION
from tests.support.console import PASSWORD
from tests.support.redis_server import free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "test-artifacts", "console")
WIDTHS = {"desktop": (1280, 860), "phone": (390, 844)}


class ServedApp:
    """``app`` served on 127.0.0.1:<free port> by a threaded werkzeug server until ``stop``."""

    def __init__(self, app: Any):
        self.app = app
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="console-test-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServedApp":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)

    def add_user(self, role: str, name: str | None = None) -> str:
        name = name or f"{role}1"
        self.app.extensions[EXTENSION].users.add(name, role, PASSWORD)
        return name


@pytest.fixture
def console_server(app: Any) -> Iterator[ServedApp]:
    served = ServedApp(app).start()
    yield served
    served.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless chromium for the session (Debian's, installed by scripts/test.sh). Playwright gives a
    non-persistent launch a fresh temporary profile (user-data-dir) of its own and deletes it on close."""
    from playwright.sync_api import sync_playwright

    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} missing: run the tests with scripts/test.sh, which installs it"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """``browser_page(width=1280)``: a page in a new browser context (its own cookies); closed after the test."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 860) -> Any:
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


def login(page: Any, base_url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/console/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def shoot(page: Any, name: str, widths: dict[str, tuple[int, int]] = WIDTHS) -> list[str]:
    """Screenshots of the current page at desktop and phone widths under test-artifacts/console/."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    original = page.viewport_size
    paths = []
    for label, (width, height) in widths.items():
        page.set_viewport_size({"width": width, "height": height})
        path = os.path.join(ARTIFACTS, f"{name}-{label}.png")
        page.screenshot(path=path, full_page=True)
        paths.append(path)
    if original:
        page.set_viewport_size(original)
    return paths
