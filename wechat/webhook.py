"""``/wechat``: steps 1, 2 and 6 of a message's life (verify, parse, respond) around ``Bot.handle``.

Refusals are short plain-text bodies, one line each: 403 for a bad signature, a stale or future
timestamp, a plaintext POST when safe mode is configured, or a (timestamp, nonce) reused with another
body; 400 for a body we cannot read; 413 for a body over 1 MiB (chunked ones too). Anything
unexpected still answers 200 ``success`` so WeChat never shows the follower "service unavailable".
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from wechat.bot import Bot
from wechat.crypto import Refused, body_digest, fresh, signature_valid
from wechat.messages import MalformedMessage, parse_message, parse_xml_fields
from wechat.store import Delivery

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
_READ_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body (declared or, when chunked, as read) is over ``MAX_BODY_BYTES``."""


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


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


def create_blueprint(bot: Bot) -> Blueprint:
    bp = Blueprint("wechat", __name__)
    settings = bot.settings
    token, max_skew = settings.wechat_token, settings.max_clock_skew
    refuse_plaintext = bot.box is not None and not settings.accept_plaintext

    def refusal() -> str | None:
        """Why this request is not from WeChat for this account right now, or None (checked before the body)."""
        args = request.args
        timestamp = args.get("timestamp", "")
        if not signature_valid(token, args.get("signature", ""), timestamp, args.get("nonce", "")):
            return "invalid signature"
        if not fresh(timestamp, max_skew):
            return "stale or future timestamp"
        return None

    @bp.get("/wechat", provide_automatic_options=False)
    def verify() -> Response:
        """WeChat's server-URL check: echo ``echostr`` (plaintext in all three modes) if signed and fresh."""
        refused = refusal()
        if refused:
            return _plain(refused, 403)
        return Response(request.args.get("echostr", ""), mimetype="text/plain")

    @bp.route("/wechat", methods=["OPTIONS"])
    def options() -> Response:
        """No CORS here: WeChat never sends OPTIONS, and a browser has no business posting to the webhook."""
        response = Response(status=204, headers={"Allow": "GET, POST"})
        del response.headers["Content-Type"]
        return response

    @bp.post("/wechat", provide_automatic_options=False)
    def receive() -> Response:
        refused = refusal()
        if refused:
            return _plain(refused, 403)
        args = request.args
        encrypted = args.get("encrypt_type", "raw").lower() == "aes"
        if encrypted and bot.box is None:
            return _plain("safe mode is not configured (set WECHAT_AES_KEY)", 403)
        if not encrypted and refuse_plaintext:
            # A plaintext signature covers token, timestamp and nonce only: anyone holding one could write the body.
            return _plain("plaintext messages are refused: safe mode is configured", 403)
        try:
            body = read_body(request.environ)
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
        response = Response(reply, mimetype="application/xml" if reply != "success" else "text/plain")
        # Confirm the deferred finish write after the body is sent, not before (see wechat/redis_pipe.py).
        response.call_on_close(bot.store.pipe.flush)
        return response

    @bp.after_app_request
    def no_sniffing(response: Response) -> Response:
        """Browsers must not guess a type for what we send (an echoed ``echostr`` is not HTML)."""
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return bp
