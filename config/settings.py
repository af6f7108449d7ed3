"""Turn environment variables into one frozen ``Settings``, reporting every problem at once.

Usage::

    settings = load_settings()            # from os.environ
    settings = load_settings({"WECHAT_TOKEN": "t"})   # tests pass a mapping
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# Environment variable -> Settings field; the defaults live on the fields below. README's table mirrors both.
ENV_VARS: dict[str, str] = {
    "WECHAT_TOKEN": "wechat_token",
    "WECHAT_APPID": "wechat_appid",
    "WECHAT_SECRET": "wechat_secret",
    "WECHAT_AES_KEY": "wechat_aes_key",
    "REDIS_URL": "redis_url",
    "REDIS_KEY_PREFIX": "key_prefix",
    "REDIS_EMBEDDED_DIR": "embedded_redis_dir",
    "CONTENT_DIR": "content_dir",
    "WECHAT_API_BASE_URL": "wechat_api_base_url",
    "PORT": "port",
    "SESSION_TTL_SECONDS": "session_ttl",
    "DEDUPE_TTL_SECONDS": "dedupe_ttl",
    "WECHAT_MAX_CLOCK_SKEW_SECONDS": "max_clock_skew",
    "WECHAT_ACCEPT_PLAINTEXT": "accept_plaintext",
    "WECHAT_TRANSFER_CUSTOMER_SERVICE": "transfer_customer_service",
    "LOG_LEVEL": "log_level",
    "LEADS_WEBHOOK_URL": "leads_webhook_url",
    "LEADS_WEBHOOK_SECRET": "leads_webhook_secret",
    "SALES_OPENIDS": "sales_openids",
    "WECHAT_TEMPLATE_IDS": "template_ids",
    "CONSOLE_PASSWORD": "console_password",
    "SECRET_KEY": "secret_key",
    "LEADS_RETENTION_DAYS": "leads_retention_days",
    "UNMATCHED_RETENTION_DAYS": "unmatched_retention_days",
    "UNMATCHED_SAMPLES_PER_DAY": "unmatched_samples_per_day",
    "REDIS_AOF_REWRITE_INTERVAL_SECONDS": "aof_rewrite_interval",
}
FIELD_TO_ENV = {field: env for env, field in ENV_VARS.items()}


class SettingsError(ValueError):
    """Raised with one line per bad or missing environment variable."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


class Settings(BaseModel):
    """Everything the app reads from its environment; immutable once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wechat_token: str = Field(min_length=3, max_length=32)
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_aes_key: str = ""
    redis_url: str = ""
    key_prefix: str = "wxbot:"
    embedded_redis_dir: str = "var"
    content_dir: str = "content"
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    port: int = Field(default=8000, ge=1, le=65535)
    # WeChat retries 3x within ~15 s: a dedupe claim must outlive all three tries.
    session_ttl: int = Field(default=1800, ge=60)
    dedupe_ttl: int = Field(default=60, ge=30)
    # A signed request whose timestamp is further than this from now is refused (WeChat's 3 tries span ~15 s).
    max_clock_skew: int = Field(default=300, ge=30, le=86400)
    # With an AES key set, plaintext POSTs (whose signature does not cover the body) are refused unless True.
    accept_plaintext: bool = False
    # "人工" / "human" hand the follower to the MP console's customer-service agents (transfer_customer_service);
    # off: they are offered the lead form instead. Switch on only when agents actually answer there.
    transfer_customer_service: bool = False
    log_level: str = "INFO"
    leads_webhook_url: str = ""
    leads_webhook_secret: str = ""
    sales_openids: tuple[str, ...] = ()
    # Template ids for templates.yaml entries whose template_id is empty: "lead_sales_alert=ID,lead_confirmation=ID".
    template_ids: dict[str, str] = Field(default_factory=dict)
    console_password: str = ""
    secret_key: str = ""
    # Privacy promises (content/messages.yaml "privacy", the lead form's consent text): keep them in step.
    leads_retention_days: int = Field(default=730, ge=1, le=36500)      # a lead is erased this long after it came
    unmatched_retention_days: int = Field(default=30, ge=1, le=400)    # unanswered texts typed by followers
    unmatched_samples_per_day: int = Field(default=500, ge=1, le=100_000)
    # After an erasure the worker rewrites Redis's append-only file, at most once per this many seconds.
    aof_rewrite_interval: int = Field(default=3600, ge=1, le=7 * 86400)

    @field_validator("wechat_token")
    @classmethod
    def _token_charset(cls, value: str) -> str:
        # The MP console only accepts 3-32 letters and digits for the Token.
        if not value.isalnum() or not value.isascii():
            raise ValueError("must be 3-32 ASCII letters or digits, as the MP console requires")
        return value

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key_length(cls, value: str) -> str:
        if value and (len(value) != 43 or not value.isalnum()):
            raise ValueError(f"EncodingAESKey must be 43 letters or digits, got {len(value)} characters")
        return value

    @field_validator("redis_url", "wechat_api_base_url", "leads_webhook_url")
    @classmethod
    def _url_scheme(cls, value: str, info: Any) -> str:
        allowed = ("redis://", "rediss://", "unix://") if info.field_name == "redis_url" else ("http://", "https://")
        if value and not value.startswith(allowed):
            raise ValueError(f"must start with one of {', '.join(allowed)}")
        return value.rstrip("/") if info.field_name == "wechat_api_base_url" else value

    @field_validator("key_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value or " " in value:
            raise ValueError("must be a non-empty string without spaces, e.g. 'wxbot:'")
        return value

    @field_validator("console_password")
    @classmethod
    def _console_password(cls, value: str) -> str:
        # It becomes the first admin's password (console/users.py MIN_PASSWORD): refuse a guessable one at start.
        if value and len(value) < 10:
            raise ValueError("must be at least 10 characters (it becomes the console admin's password)")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters; generate one with "
                             "python -c 'import secrets; print(secrets.token_hex(32))'")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("sales_openids", mode="before")
    @classmethod
    def _split_openids(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return tuple(value or ())

    @field_validator("template_ids", mode="before")
    @classmethod
    def _split_template_ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        pairs = [part.strip() for part in value.split(",") if part.strip()]
        bad = [pair for pair in pairs if pair.count("=") != 1 or not all(x.strip() for x in pair.split("="))]
        if bad:
            raise ValueError(f"write name=id pairs separated by commas, e.g. lead_sales_alert=abc123 (got {bad[0]!r})")
        return {name.strip(): template_id.strip() for name, template_id in (pair.split("=") for pair in pairs)}

    @model_validator(mode="after")
    def _aes_needs_appid(self) -> "Settings":
        # Safe mode ciphertext carries the AppID; without it we cannot refuse a foreign account's message.
        if self.wechat_aes_key and not self.wechat_appid:
            raise ValueError("WECHAT_APPID: is required when WECHAT_AES_KEY is set")
        return self

    @property
    def safe_mode_enabled(self) -> bool:
        """True when an EncodingAESKey is set, so compatible and safe mode are accepted."""
        return bool(self.wechat_aes_key)

    @property
    def outbound_enabled(self) -> bool:
        """True when the WeChat API can be called (AppID and AppSecret are set)."""
        return bool(self.wechat_appid and self.wechat_secret)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build ``Settings`` from ``environ`` (default ``os.environ``); raise ``SettingsError`` listing all problems."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for env, field in ENV_VARS.items():
        raw = environ.get(env)
        if raw is not None and raw != "":
            values[field] = raw.strip()
    values.update(overrides)
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if not err["loc"]:  # a cross-field rule already names its variable
                problems.append(msg)
                continue
            field = str(err["loc"][0])
            if err["type"] == "missing":
                msg = "is required"
            problems.append(f"{FIELD_TO_ENV.get(field, field)}: {msg}")
        raise SettingsError(problems) from None
