"""Customer-service messages (``message/custom/send``) within WeChat's per-follower windows.

WeChat (rules since June 2023) lets an account send customer-service messages only after the follower did
something: after a follower's message, 5 within 48 h; after a menu click (click / scancode_push /
scancode_waitmsg), a subscribe or a QR scan, 3 within 1 minute. Beyond that WeChat answers 45015 (window closed)
or 45047 (count exhausted). This module tracks both windows in Redis so the worker never sends what WeChat
would refuse, and keeps what could not be sent in a list for an operator.

Usage::

    quota = CustomQuota(redis, keys)
    quota.queue_interaction(pipe, openid, "text")     # webhook: inside the message's finish pipeline
    quota.record_interaction(openid, "click")         # the same on its own (tools, tests)
    status = send_custom(client, quota, openid, text_message("稍等，答案来了"))   # "sent" | "unsent"
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import redis as redis_lib
from rq import get_current_job

from wechat.api_client import APIClient, WeChatAPIError
from wechat.jobs import REALTIME, job, runtime
from wechat.limits import CUSTOM_AFTER_EVENT, CUSTOM_AFTER_MESSAGE, TEXT_BYTES
from wechat.redis_conn import Keys

CUSTOM_PATH = "message/custom/send"
# Only click-type menu buttons (click, scancode_push, scancode_waitmsg) open the window, not VIEW.
EVENT_KINDS = {"click", "scancode_push", "scancode_waitmsg", "subscribe", "scan"}
# Inbound kinds the webhook may report and what each one means for the quota.
MESSAGE_KINDS = {"message", "text", "image", "voice", "video", "shortvideo", "location", "link"}
CLOSING_KINDS = {"unsubscribe"}
UNSENT_KEEP = 1000                # the unsent list is a window for operators, not an archive

# KEYS[1] = quota hash; ARGV = now, apply (1/0), m_max, m_secs, e_max, e_secs
# Returns "event" / "message" (the window used), "exhausted" (open but spent) or "closed".
_CONSUME = """
local now = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'm_at', 'm_used', 'e_at', 'e_used')
local m_at, m_used = tonumber(h[1]), tonumber(h[2]) or 0
local e_at, e_used = tonumber(h[3]), tonumber(h[4]) or 0
local e_open = e_at ~= nil and now - e_at < tonumber(ARGV[6])
local m_open = m_at ~= nil and now - m_at < tonumber(ARGV[4])
-- Spend the window that closes first, keeping the 48 h allowance for later answers.
if e_open and e_used < tonumber(ARGV[5]) then
  if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'e_used', 1) end
  return 'event'
end
if m_open and m_used < tonumber(ARGV[3]) then
  if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'm_used', 1) end
  return 'message'
end
if e_open or m_open then return 'exhausted' end
return 'closed'
"""

# KEYS[1] = quota hash; ARGV = window ("event"/"message"): give back a send WeChat did not count.
_REFUND = """
local field = ARGV[1] == 'event' and 'e_used' or 'm_used'
local used = tonumber(redis.call('HGET', KEYS[1], field) or '0')
if used > 0 then redis.call('HINCRBY', KEYS[1], field, -1) end
return used
"""


class CustomRetryLater(RuntimeError):
    """WeChat was busy (-1), over quota (45009) or unreachable; the slot was given back, retry later."""

    def __init__(self, errcode: int | None, errmsg: str):
        self.errcode = errcode
        super().__init__(f"custom send: errcode {errcode}: {errmsg}")


class CustomQuota:
    """Per-follower customer-service allowance in Redis; every check-and-spend is one atomic Lua call.

    ``clock`` is injectable so tests can walk to the edges of the 48 h and 1 min windows.
    """

    def __init__(self, redis: redis_lib.Redis, keys: Keys, *, clock: Callable[[], float] = time.time,
                 message_window: tuple[int, int] = CUSTOM_AFTER_MESSAGE,
                 event_window: tuple[int, int] = CUSTOM_AFTER_EVENT):
        self.redis = redis
        self.keys = keys
        self.clock = clock
        self.message_window = message_window
        self.event_window = event_window
        self._consume = redis.register_script(_CONSUME)
        self._refund = redis.register_script(_REFUND)

    def key(self, openid: str) -> str:
        return self.keys("cs", "quota", openid)

    def _now(self, now: float | None) -> float:
        return self.clock() if now is None else now

    def record_interaction(self, openid: str, kind: str, now: float | None = None) -> bool:
        """Open the window that ``kind`` grants; returns False for kinds that grant nothing (e.g. VIEW).

        Kinds: a message type ("message", "text", "image", ...), a click-type menu event ("click",
        "scancode_push", "scancode_waitmsg"), "subscribe", "scan", or "unsubscribe" (closes every window).
        """
        with self.redis.pipeline(transaction=True) as pipe:
            opened = self.queue_interaction(pipe, openid, kind, now)
            pipe.execute()
        return opened

    def queue_interaction(self, pipe: Any, openid: str, kind: str, now: float | None = None) -> bool:
        """Add what ``record_interaction`` writes to the caller's pipeline, so the webhook pays no extra
        round trip. Returns whether a window opens (False for kinds that grant nothing or close)."""
        kind = kind.lower()
        key = self.key(openid)
        if kind in CLOSING_KINDS:
            pipe.delete(key)
            return False
        if kind in MESSAGE_KINDS:
            prefix = "m"
        elif kind in EVENT_KINDS:
            prefix = "e"
        else:
            return False
        # A new interaction restarts its window with a full allowance (WeChat's rule, not cumulative).
        pipe.hset(key, mapping={f"{prefix}_at": repr(self._now(now)), f"{prefix}_used": 0})
        pipe.expire(key, max(self.message_window[1], self.event_window[1]) + 60)
        return True

    def _check(self, openid: str, apply: bool, now: float | None) -> str:
        result = self._consume(keys=[self.key(openid)], args=[
            repr(self._now(now)), "1" if apply else "0", self.message_window[0], self.message_window[1],
            self.event_window[0], self.event_window[1]])
        return result.decode() if isinstance(result, bytes) else str(result)

    def can_send(self, openid: str, now: float | None = None) -> bool:
        return self._check(openid, False, now) in {"event", "message"}

    def consume(self, openid: str, now: float | None = None) -> str:
        """Spend one send: returns the window used ("event"/"message") or why not ("exhausted"/"closed")."""
        return self._check(openid, True, now)

    def refund(self, openid: str, window: str) -> None:
        self._refund(keys=[self.key(openid)], args=[window])

    def exhaust(self, openid: str) -> None:
        """WeChat said 45047: believe it, and mark both windows spent until the follower acts again."""
        self.redis.hset(self.key(openid), mapping={"m_used": self.message_window[0],
                                                   "e_used": self.event_window[0]})

    def close(self, openid: str) -> None:
        """WeChat said 45015 (window closed or follower unsubscribed)."""
        self.redis.delete(self.key(openid))


# -- messages ------------------------------------------------------------------------------------
def _fit_bytes(text: str, limit: int = TEXT_BYTES) -> str:   # the same ceiling as a passive text reply
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode("utf-8", errors="ignore") + "…"  # never cut inside a character


def text_message(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": _fit_bytes(content)}}


def message_from_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """A custom-send body (without ``touser``) from a reply as plain data.

    Accepts ``{"type": "text", "content": ...}``, ``{"type": "news", "articles": [{"title", "url",
    "description", "image"}]}`` (WeChat sends 1 article in a customer-service news message),
    ``{"type": "image"|"voice", "media_id": ...}``, or a body already in WeChat's format (``{"msgtype": ...}``).
    """
    if "msgtype" in reply:
        return dict(reply)
    kind = reply.get("type")
    if kind == "text":
        return text_message(str(reply.get("content", "")))
    if kind == "news":
        articles = list(reply.get("articles") or [])
        if not articles:
            raise ValueError("news reply without articles")
        first = articles[0]
        return {"msgtype": "news", "news": {"articles": [{
            "title": str(first.get("title", "")), "description": str(first.get("description", "")),
            "url": str(first.get("url", "")), "picurl": str(first.get("image") or first.get("picurl") or "")}]}}
    if kind in {"image", "voice"}:
        return {"msgtype": kind, kind: {"media_id": str(reply["media_id"])}}
    raise ValueError(f"cannot send a {kind!r} reply as a customer-service message")


# -- sending -------------------------------------------------------------------------------------
def unsent_key(keys: Keys) -> str:
    return keys("cs", "unsent")


def record_unsent(redis: redis_lib.Redis, keys: Keys, openid: str, message: dict[str, Any], reason: str) -> None:
    """Keep what could not be sent (newest first, last 1000) for an operator to follow up."""
    entry = json.dumps({"openid": openid, "message": message, "reason": reason, "at": time.time()},
                       ensure_ascii=False)
    with redis.pipeline() as pipe:
        pipe.lpush(unsent_key(keys), entry)
        pipe.ltrim(unsent_key(keys), 0, UNSENT_KEEP - 1)
        pipe.execute()


def list_unsent(redis: redis_lib.Redis, keys: Keys, limit: int = 100) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in redis.lrange(unsent_key(keys), 0, limit - 1)]


def send_custom(client: APIClient, quota: CustomQuota, openid: str, message: dict[str, Any],
                now: float | None = None) -> str:
    """Send if the follower's window allows; returns "sent" or "unsent" (recorded) or raises CustomRetryLater."""
    redis, keys = quota.redis, quota.keys
    window = quota.consume(openid, now)
    if window not in {"event", "message"}:
        record_unsent(redis, keys, openid, message, f"window {window}")
        return "unsent"
    try:
        client.post(CUSTOM_PATH, data={"touser": openid, **message})
    except WeChatAPIError as exc:
        if exc.errcode == 45047:
            quota.exhaust(openid)
        elif exc.errcode == 45015:
            quota.close(openid)
        elif exc.retryable:
            quota.refund(openid, window)  # WeChat did not deliver it, so it did not count
            raise CustomRetryLater(exc.errcode, str(exc.errmsg)) from None
        record_unsent(redis, keys, openid, message, f"errcode {exc.errcode}")
        return "unsent"
    return "sent"


def forget_follower(redis: redis_lib.Redis, keys: Keys, openid: str) -> int:
    """Erase what the customer-service side keeps about ``openid`` (its quota windows and unsent messages).

    Returns how many unsent entries were removed; other followers' entries stay in order.
    """
    removed = 0
    redis.delete(CustomQuota(redis, keys).key(openid))
    for raw in redis.lrange(unsent_key(keys), 0, -1):
        try:
            mine = json.loads(raw).get("openid") == openid
        except ValueError:
            continue
        if mine:
            removed += int(redis.lrem(unsent_key(keys), 0, raw))
    return removed


# -- jobs (realtime queue: the 1-minute window after a click must not wait behind CRM deliveries) -----
@job(queue=REALTIME)
def send_custom_job(openid: str, message: dict[str, Any], answer_id: str | None = None) -> str:
    """Send a customer-service message body within the follower's quota; returns "sent" or "unsent"."""
    rt = runtime()
    current = get_current_job()
    marker = rt.keys("cs", "done", answer_id or (current.id if current else ""))
    if (answer_id or current) and rt.redis.exists(marker):
        return "sent"  # this job already sent it before its worker died: never send twice
    rt.limiter.wait("custom")
    status = send_custom(rt.client, CustomQuota(rt.redis, rt.keys), openid, message)
    if status == "sent" and (answer_id or current):
        rt.redis.set(marker, "1", ex=7 * 24 * 3600)
    return status


@job(queue=REALTIME)
def send_deferred_answer(openid: str, reply: dict[str, Any]) -> str:
    """Deliver a handler's "later" answer as a customer-service message (see ``message_from_reply``)."""
    return send_custom_job(openid, message_from_reply(reply))


def interaction_windows(quota: CustomQuota) -> Callable[[Any, Any, Any], None]:
    """A finish hook that opens (or refreshes) the follower's customer-service windows for every inbound
    message or event, inside the message's finish round trip."""
    def open_interaction_window(ctx: Any, rendered: Any, pipe: Any) -> None:
        if ctx.outcome.erased:        # "delete my data" must not write the follower back in
            return
        message = ctx.message
        quota.queue_interaction(pipe, ctx.openid, message.event if message.is_event else message.type)
    return open_interaction_window
