"""gunicorn settings for the Procfile's ``web`` process: ``gunicorn --config config/gunicorn.py "app:create_app()"``.

Everything here can be overridden per run with ``GUNICORN_CMD_ARGS`` (e.g. ``--timeout 30``).
Every log line gunicorn writes, access and error, goes through ``config.log_redaction``: WeChat's query
string (signature, nonce, openid) never reaches a log, not even in gunicorn's own error lines.
"""
from __future__ import annotations

import os

from gunicorn.glogging import Logger

from config.log_redaction import redact_handlers

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Sync workers: every request is short. A worker silent this long is killed and replaced; WeChat gives
# up on a try after 5 s anyway. Slow clients must be held off by the reverse proxy (deploy/nginx.conf).
timeout = 10
accesslog = "-"
# %(U)s is the path without the query string.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


class RedactingLogger(Logger):
    """gunicorn's logger with every handler's output redacted (see ``config.log_redaction``)."""

    def setup(self, cfg) -> None:   # also called again on SIGHUP / log reopen
        super().setup(cfg)
        redact_handlers(self.error_log)
        redact_handlers(self.access_log)


logger_class = RedactingLogger
