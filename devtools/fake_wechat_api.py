"""A local fake of the WeChat API, so outbound code is tested (and demoed) over real HTTP, offline.

Usage::

    fake = FakeWeChatAPI(appid="wxdemo", secret="demo").start()
    settings = load_settings(env, WECHAT_API_BASE_URL=fake.url)
    ...
    fake.fail_next("/cgi-bin/message/template/send", 45009, times=2)
    assert fake.requests_to("/cgi-bin/stable_token")
    fake.stop()

From another process: ``python -m devtools.fake_wechat_api --port 8088``, then
``POST /_fake/fail {"path": ..., "errcode": ..., "times": N}``, ``GET /_fake/requests?path=...``,
``POST /_fake/expire_tokens``, ``POST /_fake/reset``.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN_TTL = 7200  # WeChat's access tokens live 7200 s
# stable_token normal mode: the platform renews 5 minutes before expiry and keeps both tokens valid meanwhile.
STABLE_OVERLAP = 300

# WeChat's own wording for the errors the fake can produce, so logs read like production.
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40013: "invalid appid",
    40014: "invalid access_token",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid! data.thing1.value invalid",
}

TOKEN_FREE = {"/cgi-bin/token", "/cgi-bin/stable_token"}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it (the access token is kept: tests assert which one was used)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "query": self.query, "json": self.json, "at": self.at}


@dataclass
class _State:
    appid: str
    secret: str
    token_ttl: int = TOKEN_TTL
    tokens: dict[str, float] = field(default_factory=dict)   # token -> expires_at
    current: str | None = None                               # what stable_token hands out
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: dict[str, list[list[int]]] = field(default_factory=dict)  # path -> [[errcode, remaining], ...]
    menu: dict[str, Any] | None = None
    conditional: list[dict[str, Any]] = field(default_factory=list)
    msgids: Any = field(default_factory=lambda: itertools.count(1000))
    menuids: Any = field(default_factory=lambda: itertools.count(400))


class FakeWeChatAPI:
    """The endpoints the bot calls, with injectable errors and a record of every request."""

    def __init__(self, appid: str = "wxfakeappid", secret: str = "fakesecret", *, host: str = "127.0.0.1",
                 port: int = 0, token_ttl: int = TOKEN_TTL, latency: float = 0.0):
        self.host = host
        self.port = port
        self.latency = latency  # seconds to sleep in token endpoints, to widen race windows in tests
        self._lock = threading.Lock()
        self._state = _State(appid=appid, secret=secret, token_ttl=token_ttl)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "FakeWeChatAPI":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-wechat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeWeChatAPI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def appid(self) -> str:
        return self._state.appid

    @property
    def secret(self) -> str:
        return self._state.secret

    # -- test controls ---------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def fail_next(self, path: str, errcode: int, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``path`` with ``errcode`` (queued after earlier failures)."""
        with self._lock:
            self._state.failures.setdefault(path, []).append([int(errcode), int(times)])

    def expire_tokens(self) -> None:
        """Make every issued token expired (42001), as if 7200 s had passed."""
        with self._lock:
            for token in self._state.tokens:
                self._state.tokens[token] = 0.0
            self._state.current = None

    def reset(self) -> None:
        with self._lock:
            self._state = _State(appid=self._state.appid, secret=self._state.secret,
                                 token_ttl=self._state.token_ttl)

    @property
    def menu(self) -> dict[str, Any] | None:
        with self._lock:
            return json.loads(json.dumps(self._state.menu)) if self._state.menu else None

    @property
    def conditional_menus(self) -> list[dict[str, Any]]:
        with self._lock:
            return json.loads(json.dumps(self._state.conditional))

    # -- request handling (called from the HTTP handler threads) ---------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if path.startswith("/_fake/"):
            return self._control(method, path, query, body)
        with self._lock:
            self._state.requests.append(RecordedRequest(method, path, dict(query), body, time.time()))
            injected = self._take_failure(path)
        if injected is not None:
            if path in TOKEN_FREE and self.latency:
                time.sleep(self.latency)
            return 200, _err(injected)
        route = ROUTES.get(path)
        if route is None:
            return 404, _err(404, "unknown endpoint")
        wanted_method, needs_token, func = route
        if method != wanted_method:
            return 405, _err(405, "method not allowed")
        if needs_token:
            problem = self._check_token(query.get("access_token"))
            if problem:
                return 200, _err(problem)
        if path in TOKEN_FREE and self.latency:
            time.sleep(self.latency)
        with self._lock:
            return 200, func(self, query, body)

    def _take_failure(self, path: str) -> int | None:
        queue = self._state.failures.get(path)
        if not queue:
            return None
        errcode, remaining = queue[0]
        if remaining <= 1:
            queue.pop(0)
        else:
            queue[0][1] = remaining - 1
        return errcode

    def _check_token(self, token: str | None) -> int | None:
        if not token:
            return 41001
        with self._lock:
            expires_at = self._state.tokens.get(token)
        if expires_at is None:
            return 40001
        if expires_at <= time.time():
            return 42001
        return None

    def _control(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        body = body or {}
        if path == "/_fake/requests":
            wanted = query.get("path")
            return 200, {"requests": [r.as_dict() for r in self.requests if not wanted or r.path == wanted]}
        if method != "POST":
            return 405, _err(405, "use POST")
        if path == "/_fake/fail":
            self.fail_next(str(body["path"]), int(body["errcode"]), int(body.get("times", 1)))
        elif path == "/_fake/expire_tokens":
            self.expire_tokens()
        elif path == "/_fake/reset":
            self.reset()
        else:
            return 404, _err(404, "unknown control endpoint")
        return 200, {"errcode": 0, "errmsg": "ok"}

    # -- endpoint implementations (state lock held) ----------------------------------------------
    def _issue(self, force: bool) -> dict[str, Any]:
        state = self._state
        now = time.time()
        remaining = state.tokens.get(state.current, 0) - now if state.current else 0
        if force and state.current:
            # Force mode invalidates the previous token at once (it then answers 40001).
            state.tokens.pop(state.current, None)
        if force or remaining <= STABLE_OVERLAP:
            # Normal mode hands out a new token in the last 5 minutes; the old one stays valid until it expires.
            state.current = "FAKE_" + secrets.token_hex(16)
            state.tokens[state.current] = now + state.token_ttl
        return {"access_token": state.current, "expires_in": int(state.tokens[state.current] - now)}

    def _token(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if query.get("appid") != self._state.appid:
            return _err(40013)
        if query.get("secret") != self._state.secret:
            return _err(40125)
        # The classic endpoint is isolated from stable_token: its tokens never replace the stable one.
        token = "FAKE_" + secrets.token_hex(16)
        self._state.tokens[token] = time.time() + self._state.token_ttl
        return {"access_token": token, "expires_in": self._state.token_ttl}

    def _stable_token(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        if body.get("grant_type") != "client_credential":
            return _err(47001)
        if body.get("appid") != self._state.appid:
            return _err(40013)
        if body.get("secret") != self._state.secret:
            return _err(40125)
        return self._issue(force=bool(body.get("force_refresh")))

    def _menu_create(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("button"):
            return _err(47001)
        self._state.menu = {"button": body["button"], "menuid": next(self._state.menuids)}
        return _err(0)

    def _menu_get(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not self._state.menu:
            return _err(46003)
        result: dict[str, Any] = {"menu": self._state.menu}
        if self._state.conditional:
            result["conditionalmenu"] = self._state.conditional
        return result

    def _selfmenu_info(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        # This endpoint wraps sub-buttons as {"list": [...]} and reports only the default menu.
        if not self._state.menu:
            return {"is_menu_open": 0, "selfmenu_info": {"button": []}}
        buttons = []
        for button in self._state.menu["button"]:
            button = dict(button)
            if "sub_button" in button:
                button["sub_button"] = {"list": button["sub_button"]}
            buttons.append(button)
        return {"is_menu_open": 1, "selfmenu_info": {"button": buttons}}

    def _menu_delete(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        # WeChat: deleting the menu also deletes every conditional menu.
        self._state.menu = None
        self._state.conditional = []
        return _err(0)

    def _menu_addconditional(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("button") or not body.get("matchrule"):
            return _err(47001)
        if not self._state.menu:
            return _err(65303)  # WeChat: a conditional menu needs a default menu first
        menuid = next(self._state.menuids)
        self._state.conditional.append({"button": body["button"], "matchrule": body["matchrule"], "menuid": menuid})
        return {"menuid": str(menuid)}

    def _menu_delconditional(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        menuid = str((body or {}).get("menuid", ""))
        before = len(self._state.conditional)
        self._state.conditional = [m for m in self._state.conditional if str(m["menuid"]) != menuid]
        return _err(0 if len(self._state.conditional) < before else 65304)

    def _template_send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("touser") or not body.get("template_id") \
                or not isinstance(body.get("data"), dict):
            return _err(47001)
        return {"errcode": 0, "errmsg": "ok", "msgid": next(self._state.msgids)}

    def _custom_send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("touser") or not body.get("msgtype"):
            return _err(47001)
        return _err(0)

    def _user_info(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        openid = query.get("openid", "")
        if not openid:
            return _err(40003)
        return {"subscribe": 1, "openid": openid, "language": query.get("lang", "zh_CN"),
                "subscribe_time": 1700000000, "remark": "", "groupid": 0, "tagid_list": [],
                "subscribe_scene": "ADD_SCENE_QR_CODE", "qr_scene": 0, "qr_scene_str": ""}


def _err(errcode: int, errmsg: str | None = None) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "ok" if errcode == 0 else "error")}


Endpoint = Callable[[FakeWeChatAPI, dict[str, str], Any], dict[str, Any]]
ROUTES: dict[str, tuple[str, bool, Endpoint]] = {
    "/cgi-bin/token": ("GET", False, FakeWeChatAPI._token),
    "/cgi-bin/stable_token": ("POST", False, FakeWeChatAPI._stable_token),
    "/cgi-bin/menu/create": ("POST", True, FakeWeChatAPI._menu_create),
    "/cgi-bin/menu/get": ("GET", True, FakeWeChatAPI._menu_get),
    "/cgi-bin/get_current_selfmenu_info": ("GET", True, FakeWeChatAPI._selfmenu_info),
    "/cgi-bin/menu/delete": ("GET", True, FakeWeChatAPI._menu_delete),
    "/cgi-bin/menu/addconditional": ("POST", True, FakeWeChatAPI._menu_addconditional),
    "/cgi-bin/menu/delconditional": ("POST", True, FakeWeChatAPI._menu_delconditional),
    "/cgi-bin/message/template/send": ("POST", True, FakeWeChatAPI._template_send),
    "/cgi-bin/message/custom/send": ("POST", True, FakeWeChatAPI._custom_send),
    "/cgi-bin/user/info": ("GET", True, FakeWeChatAPI._user_info),
}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeWeChatAPI
    protocol_version = "HTTP/1.1"

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            status, payload = 200, _err(47001)
        else:
            status, payload = self.fake.handle(method, parts.path, query, body)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # quiet: query strings carry tokens and openids
        return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a local fake of the WeChat API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--appid", default=None, help="AppID the fake accepts (default: WECHAT_APPID or wxfakeappid)")
    parser.add_argument("--secret", default=None, help="AppSecret it accepts (default: WECHAT_SECRET or fakesecret)")
    args = parser.parse_args(argv)
    serve_forever(args.host, args.port, args.appid, args.secret)


def serve_forever(host: str, port: int, appid: str | None = None, secret: str | None = None) -> None:
    """Run the fake in the foreground until Ctrl-C (used by ``flask fake-wechat`` and ``python -m``)."""
    fake = FakeWeChatAPI(appid or os.environ.get("WECHAT_APPID") or "wxfakeappid",
                         secret or os.environ.get("WECHAT_SECRET") or "fakesecret", host=host, port=port).start()
    print(f"fake WeChat API on {fake.url} (AppID {fake.appid}); Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
