"""The key that signs console sessions: ``SECRET_KEY`` in production, generated once and kept under var/ in the demo.

A deployment talks to WeChat's real API (``WECHAT_SECRET`` set and ``WECHAT_API_BASE_URL`` left at WeChat's);
the demo and tests talk to the local fake or to nothing. A production console without ``SECRET_KEY`` would
sign sessions with a key a restart forgets (or one an attacker could read from disk), so it refuses to start.
"""
from __future__ import annotations

import os
import secrets

from config import Settings, SettingsError

WECHAT_API = "https://api.weixin.qq.com"
KEY_FILE = "console-secret-key"


def is_production(settings: Settings) -> bool:
    """True when the app speaks to WeChat's real API: the account is live, so no demo shortcuts apply."""
    return settings.outbound_enabled and settings.wechat_api_base_url == WECHAT_API


def secret_key(settings: Settings) -> str:
    """``SECRET_KEY``, or in the demo a random key kept (mode 0600) in ``REDIS_EMBEDDED_DIR``, default var/."""
    if settings.secret_key:
        return settings.secret_key
    if is_production(settings):
        raise SettingsError(["SECRET_KEY: is required in production (it signs console sessions); "
                             "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"])
    path = os.path.join(settings.embedded_redis_dir, KEY_FILE)
    try:
        with open(path, encoding="ascii") as fh:
            kept = fh.read().strip()
        if len(kept) >= 32:
            return kept
    except FileNotFoundError:
        pass
    os.makedirs(settings.embedded_redis_dir, exist_ok=True)
    # Write a private temp file, then link it into place: when several gunicorn workers start together, one
    # key wins and the others read it, never a half-written file.
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    with open(path, encoding="ascii") as fh:
        return fh.read().strip()
