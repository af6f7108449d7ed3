"""Keep WeChat's query strings out of every log line: signature, msg_signature, nonce, echostr, openid.

WeChat puts a follower's openid and a valid signature in the webhook URL, and a signed triple copied
from a log is a credential for as long as its timestamp is fresh. gunicorn prints the URI in some of
its own error lines (a malformed request line, an error while handling a request), so redaction sits
in the log handlers' formatters, after the message and any traceback are formatted, not in our calls.

Usage::

    redact("GET /wechat?signature=ab&nonce=1")   # -> "GET /wechat?<redacted>"
    redact_handlers(logging.getLogger())          # every handler of the root logger (app.py, config/gunicorn.py)
"""
from __future__ import annotations

import logging
import re

# Linear on any input: a query string runs from "?" to the next space or quote; a bare "name=value" of
# one of WeChat's parameters (a request line too broken to have a "?") loses its value.
_QUERY = re.compile(r"\?[^\s\"']+")
_PARAM = re.compile(r"\b(signature|msg_signature|timestamp|nonce|echostr|openid|encrypt_type)=[^&\s\"']*",
                    re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` without query strings or WeChat's parameter values."""
    if "?" not in text and "=" not in text:
        return text
    return _PARAM.sub(r"\1=<redacted>", _QUERY.sub("?<redacted>", text))


class RedactingFormatter(logging.Formatter):
    """Formats with the handler's own formatter, then redacts the whole text (traceback included)."""

    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def redact_handlers(logger: logging.Logger) -> None:
    """Wrap the formatter of each of ``logger``'s handlers (once; calling again is harmless)."""
    for handler in logger.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(handler.formatter))
