"""``/wechat``: steps 1, 2 and 6 of a message's life (verify, parse, respond) around ``Bot.handle``.

Refusals are short plain-text bodies: 403 for a bad signature, 400 for a body we cannot read,
413 for a body over 1 MB. Anything unexpected still answers 200 ``success`` so WeChat never
shows the follower "service unavailable".
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from wechat.bot import Bot
from wechat.crypto import Refused, signature_valid
from wechat.messages import MalformedMessage, parse_message, parse_xml_fields

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def create_blueprint(bot: Bot) -> Blueprint:
    bp = Blueprint("wechat", __name__)
    token = bot.settings.wechat_token

    def signed() -> bool:
        args = request.args
        return signature_valid(token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))

    @bp.get("/wechat")
    def verify() -> Response:
        """WeChat's server-URL check: echo ``echostr`` (plaintext in all three modes) if the signature holds."""
        if not signed():
            return _plain("invalid signature", 403)
        return Response(request.args.get("echostr", ""), mimetype="text/plain")

    @bp.post("/wechat")
    def receive() -> Response:
        if not signed():
            return _plain("invalid signature", 403)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _plain("request body too large", 413)
        encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
        if encrypted and bot.box is None:
            return _plain("safe mode is not configured (set WECHAT_AES_KEY)", 403)
        body = request.get_data(cache=False)   # werkzeug enforces MAX_CONTENT_LENGTH on chunked bodies too
        try:
            if encrypted:
                envelope = parse_xml_fields(body)
                if not envelope.get("Encrypt"):
                    raise MalformedMessage("missing Encrypt")
                args = request.args
                body = bot.box.decrypt(envelope["Encrypt"], args.get("msg_signature", ""),
                                       args.get("timestamp", ""), args.get("nonce", "")).encode("utf-8")
            message = parse_message(body)
        except Refused as exc:
            return _plain(str(exc), 403)
        except MalformedMessage as exc:
            return _plain(f"bad request: {exc}", 400)
        try:
            reply = bot.handle(message)
            if encrypted and reply != "success":
                reply = bot.box.encrypt(reply, request.args.get("nonce", ""))
        except Exception:  # Bot.handle already guards handlers; this guards the guard
            log.exception("webhook failed after parsing (msg %s)", message.msg_id or "-")
            reply = "success"
        response = Response(reply, mimetype="application/xml" if reply != "success" else "text/plain")
        # Confirm the deferred finish write after the body is sent, not before (see wechat/redis_pipe.py).
        response.call_on_close(bot.store.pipe.flush)
        return response

    return bp
