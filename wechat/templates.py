"""Template messages: check fields against WeChat's rules, send once, record each message's fate in Redis.

Usage::

    msg = TemplateMessage(touser=openid, template_id="TPL", data={"thing1": "新线索", "time2": "2026-03-01 10:00"},
                          url="https://example.com/lead/1", client_msg_id="lead-42-sales")
    problems = validate_fields(msg.data)                 # [] when WeChat will accept them
    status = send_template(client, redis, keys, msg)     # "sent" | "unsubscribed" | "bad_openid" | "bad_field"
    record_delivery(redis, keys, msgid, "success")       # from the TEMPLATESENDJOBFINISH event

Status hash per message at ``{prefix}tmpl:{client_msg_id}``: ``status`` (queued, sent, retrying, failed,
unsubscribed, bad_openid, bad_field, delivered, user_block, system_failed), ``errcode``, ``field``, ``msgid``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from dataclasses import dataclass
from string import Formatter
from typing import Any, Callable

import redis as redis_lib

from wechat.api_client import APIClient, WeChatAPIError
from wechat.jobs import enqueue, is_final_attempt, job, runtime
from wechat.limits import TEMPLATE_FIELD_CHARS
from wechat.redis_conn import Keys

# Since May 2023 every template field value is at most 20 characters (wechat/limits.py); the first/remark lines
# and colours are gone (WeChat ignores or refuses them). Typed keywords (from the class-template library) are
# named <type><n>, e.g. thing1, time2, and WeChat answers 47003 when a value does not fit its type.
RETIRED_FIELDS = {"first", "remark"}
STATUS_TTL = 30 * 24 * 3600
TEMPLATE_PATH = "message/template/send"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_DATE = r"\d{4}(?:-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|年\d{1,2}月\d{1,2}日)"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
# type -> (max characters, pattern or None, what WeChat expects)
FIELD_RULES: dict[str, tuple[int | None, re.Pattern[str] | None, str]] = {
    "thing": (TEMPLATE_FIELD_CHARS, None, f"text up to {TEMPLATE_FIELD_CHARS} characters"),
    "number": (32, re.compile(r"-?\d+(?:\.\d+)?"), "a number"),
    "letter": (32, re.compile(r"[A-Za-z]+"), "letters only"),
    "symbol": (5, re.compile(r"[^\w\s]+"), "symbols only"),
    "character_string": (32, re.compile(r"[0-9A-Za-z!-/:-@\[-`{-~]+"), "letters, digits and symbols, no Chinese"),
    "time": (None, re.compile(rf"(?:{_DATE}\s*)?{_TIME}(?:\s*~\s*(?:{_DATE}\s*)?{_TIME})?"),
             "a 24-hour time, optionally with a date, e.g. 2026-03-01 15:01"),
    "date": (None, re.compile(rf"{_DATE}(?:\s*{_TIME})?(?:\s*~\s*{_DATE}(?:\s*{_TIME})?)?"),
             "a date, optionally with a time, e.g. 2026年3月1日"),
    "amount": (None, re.compile(r"[¥￥$€£]?\d{1,10}(?:\.\d{1,2})?元?"),
               "an amount: optional currency sign, up to 10 digits and 2 decimals, optional 元"),
    "phone_number": (17, re.compile(r"\+?[\d\- ()]+"), "digits and + - ( ), up to 17"),
    "car_number": (8, re.compile(rf"[{_CJK}][A-Z][A-Z0-9{_CJK}]{{4,6}}"), "a licence plate, e.g. 粤B12345"),
    "name": (None, None, "a name: up to 10 Chinese characters or 20 letters"),
    "phrase": (5, re.compile(rf"[{_CJK}]+"), "up to 5 Chinese characters"),
    "const": (20, None, "a fixed value"),
}
_TYPE_PREFIX = re.compile(r"([a-z_]+?)(\d+)$")


class TemplateError(ValueError):
    """The message cannot be sent as built; ``field`` names the offending field when there is one."""

    def __init__(self, problems: list[str], field: str | None = None):
        self.problems = problems
        self.field = field
        super().__init__("; ".join(problems))


class TemplateRetryLater(RuntimeError):
    """WeChat is busy (-1) or the daily quota is spent (45009): the job retries with backoff."""

    def __init__(self, errcode: int | None, errmsg: str):
        self.errcode = errcode
        super().__init__(f"template send: errcode {errcode}: {errmsg}")


@dataclass(frozen=True)
class TemplateMessage:
    touser: str
    template_id: str
    data: dict[str, str]
    url: str | None = None
    miniprogram: dict[str, str] | None = None  # {"appid": ..., "pagepath": ...}
    client_msg_id: str = ""                     # WeChat ignores a repeat of the same id for 10 minutes

    def to_dict(self) -> dict[str, Any]:
        return {"touser": self.touser, "template_id": self.template_id, "data": dict(self.data), "url": self.url,
                "miniprogram": self.miniprogram, "client_msg_id": self.client_msg_id}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "TemplateMessage":
        return cls(touser=str(raw["touser"]), template_id=str(raw["template_id"]),
                   data={str(k): str(v) for k, v in (raw.get("data") or {}).items()}, url=raw.get("url") or None,
                   miniprogram=raw.get("miniprogram") or None, client_msg_id=str(raw.get("client_msg_id") or ""))

    def message_id(self) -> str:
        """Our id for this message: ``client_msg_id``, or a digest of its content when none was given."""
        if self.client_msg_id:
            return self.client_msg_id
        body = json.dumps([self.touser, self.template_id, self.data, self.url], sort_keys=True, ensure_ascii=False)
        return "auto-" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:24]


def field_type(key: str) -> str | None:
    """WeChat's type for a keyword from its name: ``thing1`` -> ``thing``; legacy ``keyword1`` -> None."""
    match = _TYPE_PREFIX.fullmatch(key)
    if match and match.group(1) in FIELD_RULES:
        return match.group(1)
    return None


def fit_field(key: str, text: str) -> str:
    """``text`` cut to WeChat's 20 characters, for ``thing`` and untyped (free-text) fields only: a cut number or
    time would be wrong rather than short, so those are left for ``check_field`` to refuse."""
    text = text.strip()
    if field_type(key) in (None, "thing") and len(text) > TEMPLATE_FIELD_CHARS:
        return text[: TEMPLATE_FIELD_CHARS - 1] + "…"
    return text


def check_field(key: str, value: Any) -> str | None:
    """Why WeChat would refuse ``value`` for ``key``, or None when it fits."""
    if key in RETIRED_FIELDS:
        return f"{key}: the first/remark lines were retired in May 2023; move the text into a keyword field"
    if isinstance(value, dict):
        if "color" in value:
            return f"{key}: colours are no longer supported"
        value = value.get("value")
    if not isinstance(value, str) or not value.strip():
        return f"{key}: a non-empty value is required"
    if len(value) > TEMPLATE_FIELD_CHARS:
        return f"{key}: {len(value)} characters, WeChat allows {TEMPLATE_FIELD_CHARS}"
    kind = field_type(key)
    if kind is None:
        return None
    limit, pattern, expected = FIELD_RULES[kind]
    if limit is not None and len(value) > limit:
        return f"{key}: {len(value)} characters, {kind} allows {limit}"
    if kind == "name":
        cjk = re.fullmatch(rf"[{_CJK}·]{{1,10}}", value)
        latin = re.fullmatch(r"[A-Za-z .'-]{1,20}", value)
        if not (cjk or latin):
            return f"{key}: {value!r} is not {expected}"
    elif pattern is not None and not pattern.fullmatch(value):
        return f"{key}: {value!r} is not {expected}"
    return None


def validate_fields(data: dict[str, Any]) -> list[str]:
    """Every field WeChat would refuse, as ``field: problem`` lines."""
    if not data:
        return ["data: at least one field is required"]
    return [p for p in (check_field(k, v) for k, v in data.items()) if p]


def build_payload(message: TemplateMessage) -> dict[str, Any]:
    """The JSON body for ``message/template/send``; raises TemplateError naming the first bad field."""
    problems = validate_fields(message.data)
    if not message.touser:
        problems.insert(0, "touser: required")
    if not message.template_id:
        problems.insert(0, "template_id: required")
    if message.miniprogram and not message.miniprogram.get("appid"):
        problems.append("miniprogram.appid: required")
    if problems:
        raise TemplateError(problems, field=problems[0].split(":", 1)[0])
    payload: dict[str, Any] = {
        "touser": message.touser,
        "template_id": message.template_id,
        "data": {k: {"value": v["value"] if isinstance(v, dict) else v} for k, v in message.data.items()},
        "client_msg_id": message.message_id(),
    }
    if message.miniprogram:  # WeChat prefers the mini-program and uses url as the fallback
        payload["miniprogram"] = dict(message.miniprogram)
    if message.url:
        payload["url"] = message.url
    return payload


def _pattern_for(pattern: Any, language: str) -> str:
    if isinstance(pattern, dict):  # one pattern per language: {"zh": ..., "en": ...}
        return str(pattern.get(language) or pattern.get("zh") or next(iter(pattern.values()), ""))
    return str(pattern)


def message_from_config(config: dict[str, Any], touser: str, values: dict[str, Any],
                        client_msg_id: str = "", language: str = "zh") -> TemplateMessage:
    """Fill a content-configured template: ``{"template_id", "fields": {"thing1": "{name}"}, "url"?,
    "miniprogram"?}``; each field is a ``str.format`` pattern over ``values`` (or ``{"zh": ..., "en": ...}``,
    picked by ``language``). Long text is cut to 20 characters only for ``thing`` and untyped fields (free
    text), since a cut number or time would be wrong rather than short."""
    data: dict[str, str] = {}
    for key, pattern in (config.get("fields") or {}).items():
        data[key] = fit_field(key, Formatter().vformat(_pattern_for(pattern, language), (), _Defaulting(values)))
    url = config.get("url")
    return TemplateMessage(touser=touser, template_id=str(config.get("template_id", "")), data=data,
                           url=Formatter().vformat(str(url), (), _Defaulting(values)) if url else None,
                           miniprogram=config.get("miniprogram"), client_msg_id=client_msg_id)


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return ""


# -- status in Redis -----------------------------------------------------------------------------
def status_key(keys: Keys, message_id: str) -> str:
    return keys("tmpl", message_id)


def record_status(redis: redis_lib.Redis, keys: Keys, message_id: str, status: str, **fields: Any) -> None:
    """Write the message's status (and errcode/field/msgid when given), kept for 30 days."""
    key = status_key(keys, message_id)
    mapping = {"status": status, "updated_at": f"{time.time():.3f}",
               **{k: "" if v is None else str(v) for k, v in fields.items()}}
    with redis.pipeline() as pipe:
        pipe.hset(key, mapping=mapping)
        pipe.expire(key, STATUS_TTL)
        pipe.execute()


def get_status(redis: redis_lib.Redis, keys: Keys, message_id: str) -> dict[str, str]:
    raw = redis.hgetall(status_key(keys, message_id))
    return {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
            for k, v in raw.items()}


# TEMPLATESENDJOBFINISH Status values -> our status.
DELIVERY_STATUS = {"success": "delivered", "failed:user block": "user_block", "failed: system failed": "system_failed"}


# KEYS: msgid -> message id map. ARGV: status key prefix, our status, WeChat's status, now, ttl.
# One script, so the webhook can record the result inside its finish round trip (no extra wait).
_RECORD_DELIVERY = """
local id = redis.call('GET', KEYS[1])
if not id then return false end
local key = ARGV[1] .. id
redis.call('HSET', key, 'status', ARGV[2], 'delivery', ARGV[3], 'updated_at', ARGV[4])
redis.call('EXPIRE', key, ARGV[5])
return ARGV[2]
"""


def _delivery_call(keys: Keys, msgid: str | int, status: str) -> tuple[list[str], list[str]]:
    ours = DELIVERY_STATUS.get(status.strip(), "failed")
    return [keys("tmpl", "msgid", str(msgid))], [status_key(keys, ""), ours, status, f"{time.time():.3f}", str(STATUS_TTL)]


def record_delivery(redis: redis_lib.Redis, keys: Keys, msgid: str | int, status: str) -> str | None:
    """Apply a TEMPLATESENDJOBFINISH event (its MsgID and Status); returns our status, None for an unknown msgid."""
    script_keys, args = _delivery_call(keys, msgid, status)
    ours = redis.eval(_RECORD_DELIVERY, len(script_keys), *script_keys, *args)
    return ours.decode() if isinstance(ours, bytes) else ours


def delivery_results(keys: Keys) -> Callable[[Any, Any, "redis_lib.client.Pipeline"], None]:
    """A finish hook that records each ``TEMPLATESENDJOBFINISH`` event's result in the message's finish round trip."""
    def record_delivery_result(ctx: Any, rendered: Any, pipe: "redis_lib.client.Pipeline") -> None:
        message = ctx.message
        if message.event == "templatesendjobfinish" and message.msg_id:
            script_keys, args = _delivery_call(keys, message.msg_id, message.get("Status"))
            pipe.eval(_RECORD_DELIVERY, len(script_keys), *script_keys, *args)
    return record_delivery_result


# -- sending -------------------------------------------------------------------------------------
# errcode -> (status, stop?): stop means retrying cannot help.
STOP_ERRORS = {43004: "unsubscribed", 40003: "bad_openid", 47003: "bad_field",
               40037: "bad_template_id"}   # a template id the account does not have: retrying cannot help
_FIELD_IN_ERRMSG = re.compile(r"data\.([A-Za-z_]+\d*)")


def send_template(client: APIClient, redis: redis_lib.Redis, keys: Keys, message: TemplateMessage) -> str:
    """Send once and record the outcome; returns the final status or raises TemplateRetryLater.

    43004 (follower unsubscribed), 40003 (bad openid) and 47003 (bad field, named in the record) stop for good;
    -1 and 45009 raise TemplateRetryLater so the job queue retries with backoff. Other errcodes are recorded as
    ``failed`` and re-raised as WeChatAPIError.
    """
    message_id = message.message_id()
    current = get_status(redis, keys, message_id).get("status")
    if current in {"sent", "delivered", "user_block", "system_failed"}:
        return current  # already sent: a re-run job (e.g. after a worker crash) must not send twice
    try:
        payload = build_payload(message)
    except TemplateError as exc:
        record_status(redis, keys, message_id, "bad_field", field=exc.field, errcode="")
        return "bad_field"
    try:
        result = client.post(TEMPLATE_PATH, data=payload)
    except WeChatAPIError as exc:
        if exc.errcode in STOP_ERRORS:
            named = _FIELD_IN_ERRMSG.search(exc.errmsg or "")
            record_status(redis, keys, message_id, STOP_ERRORS[exc.errcode], errcode=exc.errcode,
                          field=named.group(1) if named else "")
            return STOP_ERRORS[exc.errcode]
        if exc.retryable:
            record_status(redis, keys, message_id, "retrying", errcode=exc.errcode)
            raise TemplateRetryLater(exc.errcode, str(exc.errmsg)) from None
        record_status(redis, keys, message_id, "failed", errcode=exc.errcode)
        raise
    msgid = str((result or {}).get("msgid", ""))
    record_status(redis, keys, message_id, "sent", msgid=msgid, errcode=0)
    if msgid:
        redis.set(keys("tmpl", "msgid", msgid), message_id, ex=STATUS_TTL)
    return "sent"


# -- the job ---------------------------------------------------------------------------------------
@job()
def send_template_job(message: dict[str, Any]) -> str:
    """Send one template message (payload as ``TemplateMessage.to_dict()``); returns its final status."""
    rt = runtime()
    msg = TemplateMessage.from_dict(message)
    rt.limiter.wait("template")
    try:
        return send_template(rt.client, rt.redis, rt.keys, msg)
    except TemplateRetryLater as exc:
        if is_final_attempt():
            record_status(rt.redis, rt.keys, msg.message_id(), "failed", errcode=exc.errcode)
        raise


def enqueue_template(redis: redis_lib.Redis, settings: Any, message: "TemplateMessage | dict[str, Any]",
                     job_id: str | None = None) -> str:
    """Record the template message as queued and enqueue its send (idempotent on its client_msg_id)."""
    msg = message if isinstance(message, TemplateMessage) else TemplateMessage.from_dict(message)
    msg_id = msg.message_id()
    if not msg.client_msg_id:
        msg = dataclasses.replace(msg, client_msg_id=msg_id)  # WeChat dedupes repeats of it for 10 minutes
    keys = Keys(settings.key_prefix)
    if not get_status(redis, keys, msg_id):
        record_status(redis, keys, msg_id, "queued")
    return enqueue(redis, settings, send_template_job, {"message": msg.to_dict()}, job_id=job_id or f"tmpl-{msg_id}")
