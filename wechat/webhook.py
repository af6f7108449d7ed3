"""``/wechat``: steps 1, 2 and 6 of a message's life (verify, parse, respond) around ``Bot.handle``.

Refusals are short plain-text bodies, one line each: 403 for a bad signature, a stale or future
timestamp, a plaintext POST when safe mode is configured, or a (timestamp, nonce) reused with another
body; 400 for a body we cannot read; 413 for a body over 1 MiB (chunked ones too). Anything
unexpected still answers 200 ``success`` so WeChat never shows the follower "service unavailable".

The endpoint is a plain WSGI app mounted in front of Flask (``mount``), not a Flask view: a request
context, URL matching and a Response object cost about 50 µs a message, a tenth of the whole served
path, and ``/wechat`` needs none of them. Everything else (``/healthz``, ``/console/``) is Flask's.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qsl

from wechat.bot import Bot
from wechat.crypto import Refused, body_digest, fresh, signature_valid
from wechat.messages import MalformedMessage, parse_message, parse_xml_fields
from wechat.store import Delivery

log = logging.getLogger(__name__)

PATH = "/wechat"
MAX_BODY_BYTES = 1024 * 1024
_READ_CHUNK = 64 * 1024
NOSNIFF = ("X-Content-Type-Options", "nosniff")
_STATUS = {200: "200 OK", 204: "204 No Content", 400: "400 Bad Request", 403: "403 Forbidden",
           405: "405 Method Not Allowed", 413: "413 Payload Too Large", 500: "500 Internal Server Error"}
_TEXT, _XML = "text/plain; charset=utf-8", "application/xml; charset=utf-8"
WSGIApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


class BodyTooLarge(Exception):
    """The body (declared or, when chunked, as read) is over ``MAX_BODY_BYTES``."""


def read_body(environ: dict, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, at most ``limit`` bytes, read straight from the WSGI input.

    A chunked body has no Content-Length, so it is read until the server says it ended, and refused
    as soon as it passes ``limit`` (werkzeug would silently cut it there). A body the server cannot
    decode (a malformed chunk) raises ``MalformedMessage``: the client's fault, a 400, not a 500.
    """
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if declared.isdigit() and not chunked:
        size = int(declared)
        if size > limit:
            raise BodyTooLarge()
        remaining, parts = size, []
    elif chunked or environ.get("wsgi.input_terminated"):
        remaining, parts = limit + 1, []
    else:
        return b""
    try:
        while remaining > 0:
            part = stream.read(min(_READ_CHUNK, remaining))
            if not part:
                break
            parts.append(part)
            remaining -= len(part)
    except Exception as exc:   # the server's chunk decoder (gunicorn: InvalidChunkSize, NoMoreData, ...)
        raise MalformedMessage(f"unreadable body ({type(exc).__name__})") from None
    body = b"".join(parts)
    if len(body) > limit:
        raise BodyTooLarge()
    return body


def query_args(environ: dict) -> dict[str, str]:
    """The query string as WeChat sends it: one value per name (the first, as werkzeug's ``args.get``)."""
    args: dict[str, str] = {}
    for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True, errors="replace"):
        args.setdefault(name, value)
    return args


class _Body:
    """A response body whose ``close`` (called by the server once the body is sent) runs ``on_close``."""

    __slots__ = ("body", "on_close")

    def __init__(self, body: bytes, on_close: Callable[[], None] | None):
        self.body, self.on_close = body, on_close

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    def close(self) -> None:
        if self.on_close is not None:
            self.on_close()


class Webhook:
    """``/wechat`` as a WSGI app: GET (WeChat's server-URL check), POST (a message), OPTIONS; else 405."""

    def __init__(self, bot: Bot):
        self.bot = bot
        settings = bot.settings
        self.token, self.max_skew = settings.wechat_token, settings.max_clock_skew
        self.refuse_plaintext = bot.box is not None and not settings.accept_plaintext

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if method == "POST":
                status, body, ctype, on_close = self.receive(environ)
            elif method in ("GET", "HEAD"):
                status, body, ctype, on_close = self.verify(environ)
            elif method == "OPTIONS":   # no CORS: WeChat never sends OPTIONS, a browser has no business here
                start_response(_STATUS[204], [("Allow", "GET, POST"), ("Content-Length", "0"), NOSNIFF])
                return []
            else:
                status, body, ctype, on_close = 405, b"method not allowed\n", _TEXT, None
        except Exception:   # never a traceback, never a 5xx to WeChat for a message
            log.exception("webhook failed (%s)", method)
            status, body, ctype, on_close = (200, b"success", _TEXT, None) if method == "POST" else \
                (500, b"internal error\n", _TEXT, None)
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), NOSNIFF]
        if status == 405:
            headers.append(("Allow", "GET, POST, OPTIONS"))
        start_response(_STATUS[status], headers)
        return _Body(b"" if method == "HEAD" else body, on_close)

    def refusal(self, args: dict[str, str]) -> str | None:
        """Why this request is not from WeChat for this account right now, or None (checked before the body)."""
        timestamp = args.get("timestamp", "")
        if not signature_valid(self.token, args.get("signature", ""), timestamp, args.get("nonce", "")):
            return "invalid signature"
        if not fresh(timestamp, self.max_skew):
            return "stale or future timestamp"
        return None

    def verify(self, environ: dict) -> tuple[int, bytes, str, None]:
        """WeChat's server-URL check: echo ``echostr`` (plaintext in all three modes) if signed and fresh."""
        args = query_args(environ)
        refused = self.refusal(args)
        if refused:
            return _plain(refused, 403)
        return 200, args.get("echostr", "").encode("utf-8"), _TEXT, None

    def receive(self, environ: dict) -> tuple[int, bytes, str, Callable[[], None] | None]:
        args = query_args(environ)
        refused = self.refusal(args)
        if refused:
            return _plain(refused, 403)
        bot = self.bot
        encrypted = args.get("encrypt_type", "raw").lower() == "aes"
        if encrypted and bot.box is None:
            return _plain("safe mode is not configured (set WECHAT_AES_KEY)", 403)
        if not encrypted and self.refuse_plaintext:
            # A plaintext signature covers token, timestamp and nonce only: anyone holding one could write the body.
            return _plain("plaintext messages are refused: safe mode is configured", 403)
        try:
            body = read_body(environ)
            if encrypted:
                envelope = parse_xml_fields(body)
                if not envelope.get("Encrypt"):
                    raise MalformedMessage("missing Encrypt")
                body = bot.box.decrypt(envelope["Encrypt"], args.get("msg_signature", ""),
                                       args["timestamp"], args["nonce"]).encode("utf-8")
            message = parse_message(body)
        except BodyTooLarge:
            return _plain("request body too large", 413)
        except Refused as exc:
            return _plain(str(exc), 403)
        except MalformedMessage as exc:
            return _plain(f"bad request: {exc}", 400)
        # In safe mode the digest is of the decrypted message, so a retry WeChat re-encrypts is still a retry.
        delivery = Delivery(args["timestamp"], args["nonce"], body_digest(body))
        try:
            reply = bot.handle(message, delivery)
            if encrypted and reply != "success":
                reply = bot.box.encrypt(reply, args["nonce"])
        except Refused as exc:   # the (timestamp, nonce) came back with another body
            return _plain(str(exc), 403)
        except Exception:  # Bot.handle already guards handlers; this guards the guard
            log.exception("webhook failed after parsing (msg %s)", message.msg_id or "-")
            reply = "success"
        # Confirm the deferred finish write after the body is sent, not before (see wechat/redis_pipe.py).
        return 200, reply.encode("utf-8"), _XML if reply != "success" else _TEXT, bot.store.pipe.flush


def _plain(text: str, status: int) -> tuple[int, bytes, str, None]:
    return status, (text + "\n").encode("utf-8"), _TEXT, None


def mount(app: WSGIApp, webhook: WSGIApp, path: str = PATH) -> WSGIApp:
    """``app`` with ``path`` answered by ``webhook`` before ``app`` sees the request (``app.wsgi_app = mount(...)``)."""
    def dispatch(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == path:
            return webhook(environ, start_response)
        return app(environ, start_response)
    dispatch.webhook = webhook   # type: ignore[attr-defined]
    return dispatch
