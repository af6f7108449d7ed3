"""The outbound WeChat API client: wechatpy's ``WeChatClient`` with one access token shared through Redis.

Usage::

    client = build_client(settings, redis)
    client.post("message/custom/send", data={...})   # wechatpy style: endpoint relative to /cgi-bin/
    client.menu.get()                                  # any wechatpy API group works too

Every call, the token endpoint included, goes to ``settings.wechat_api_base_url``. The token is read from
Redis on every call and never kept in process memory, so all processes and hosts use the same one.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis as redis_lib
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from config import Settings
from wechat.redis_conn import Keys, connect

log = logging.getLogger(__name__)

WECHAT_BASE = "https://api.weixin.qq.com"
# (connect, read) seconds: a worker must never hang on WeChat.
DEFAULT_TIMEOUT = (3.05, 10.0)
# 40001 invalid credential, 40014 invalid access_token, 42001 expired access_token: refresh once, retry once.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# -1 system busy, 45009 API daily quota reached: worth retrying later; None means the HTTP call itself failed.
RETRYABLE_ERRORS = frozenset({-1, 45009})

_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class WeChatAPIError(WeChatClientException):
    """WeChat answered with a non-zero errcode (or could not be reached: ``errcode`` is None).

    Subclasses wechatpy's exception so wechatpy's own helpers (e.g. ``menu.get`` on 46003) keep working,
    while code outside ``wechat/`` catches this class without importing wechatpy.
    """

    def __init__(self, errcode: int | None, errmsg: str, path: str = ""):
        super().__init__(errcode, errmsg)
        self.path = path

    @property
    def retryable(self) -> bool:
        return self.errcode is None or self.errcode in RETRYABLE_ERRORS

    def __str__(self) -> str:
        return f"WeChat API {self.path or '?'}: errcode {self.errcode}: {self.errmsg}"


class TokenUnavailable(WeChatAPIError):
    """No valid token could be obtained in time (another process holds the refresh lock and did not finish)."""


@dataclass(frozen=True)
class TokenRecord:
    access_token: str
    expires_at: float
    fetched_at: float

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token, "expires_at": self.expires_at,
                           "fetched_at": self.fetched_at})

    @classmethod
    def from_json(cls, raw: bytes | str) -> "TokenRecord":
        data = json.loads(raw)
        return cls(str(data["access_token"]), float(data["expires_at"]), float(data.get("fetched_at", 0)))


Fetcher = Callable[[bool], tuple[str, int]]  # force_refresh -> (access_token, expires_in)


class TokenStore:
    """One access token per AppID in Redis, refreshed by one process at a time under a Redis lock.

    Usage::

        store = TokenStore(redis, Keys("wxbot:"), fetch=client.fetch_stable_token)
        token = store.get()                       # Redis read; refresh only when due
        token = store.refresh(stale=token, force=True)   # after 40001/42001: once for all processes
    """

    # stable_token renews in the last 5 minutes of a token (older calls return the same one), so refresh
    # 4 minutes before expiry: early enough for slow calls, late enough to actually get a new token.
    REFRESH_MARGIN = 240.0
    # Do not refresh again within this many seconds of the last fetch unless a call proved the token bad.
    MIN_REFRESH_INTERVAL = 30.0

    def __init__(self, redis: redis_lib.Redis, keys: Keys, fetch: Fetcher, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, lock_ttl: float = 15.0, wait: float = 10.0,
                 poll: float = 0.05):
        self.redis = redis
        self.key = keys("token")
        self.lock_key = keys("token", "lock")
        self.fetch = fetch
        self.clock = clock
        self.sleep = sleep
        self.lock_ttl = lock_ttl
        self.wait = wait
        self.poll = poll
        self._release = redis.register_script(_RELEASE_LOCK)

    def peek(self) -> TokenRecord | None:
        raw = self.redis.get(self.key)
        if raw is None:
            return None
        try:
            return TokenRecord.from_json(raw)
        except (ValueError, KeyError, TypeError):
            return None

    def _usable(self, record: TokenRecord | None, now: float) -> bool:
        return record is not None and record.expires_at > now + 1

    def _due(self, record: TokenRecord | None, now: float) -> bool:
        if record is None or record.expires_at - now <= 1:
            return True
        return record.expires_at - now < self.REFRESH_MARGIN and now - record.fetched_at >= self.MIN_REFRESH_INTERVAL

    def get(self) -> str:
        """The current token, refreshing it first when it is missing or within the refresh margin."""
        record = self.peek()
        if record is not None and not self._due(record, self.clock()):
            return record.access_token
        return self.refresh()

    def refresh(self, stale: str | None = None, force: bool = False) -> str:
        """Refresh under the lock unless another process already did; ``stale`` is a token WeChat refused."""
        deadline = time.monotonic() + self.wait
        if force and stale is None:
            current = self.peek()
            stale = current.access_token if current else None  # "force" means: replace what is there now
        while True:
            now = self.clock()
            record = self.peek()
            if self._fresh_enough(record, now, stale, force):
                return record.access_token  # type: ignore[union-attr]
            lock_value = secrets.token_hex(8)
            if self.redis.set(self.lock_key, lock_value, nx=True, px=int(self.lock_ttl * 1000)):
                try:
                    record = self.peek()  # someone may have finished between our read and the lock
                    now = self.clock()
                    if self._fresh_enough(record, now, stale, force):
                        return record.access_token  # type: ignore[union-attr]
                    if force and record is not None and now - record.fetched_at < self.MIN_REFRESH_INTERVAL:
                        # WeChat ignores force refreshes less than 30 s apart and allows 20 a day; normal mode
                        # returns its current token, which is what a just-fetched refused token needs.
                        force = False
                    return self._fetch_and_store(force=force)
                finally:
                    self._release(keys=[self.lock_key], args=[lock_value])
            # Another process is refreshing: a still-valid token is fine meanwhile, else wait briefly and re-read.
            if stale is None and record is not None and self._usable(record, now):
                return record.access_token
            if time.monotonic() >= deadline:
                raise TokenUnavailable(None, "timed out waiting for another process to refresh the token",
                                       "/cgi-bin/stable_token")
            self.sleep(self.poll)

    def _fresh_enough(self, record: TokenRecord | None, now: float, stale: str | None, force: bool) -> bool:
        if record is None or not self._usable(record, now):
            return False
        if stale is not None:
            return record.access_token != stale  # a different token: someone already replaced the bad one
        return not force and not self._due(record, now)

    def _fetch_and_store(self, force: bool) -> str:
        token, expires_in = self.fetch(force)
        now = self.clock()
        record = TokenRecord(token, now + expires_in, now)
        self.redis.set(self.key, record.to_json(), px=max(1000, int(expires_in * 1000)))
        log.info("access token refreshed (force=%s, expires_in=%ss)", force, expires_in)
        return token


class APIClient(WeChatClient):
    """wechatpy's client pointed at the configured base URL, with the token from :class:`TokenStore`."""

    def __init__(self, settings: Settings, redis: redis_lib.Redis, *,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.time):
        super().__init__(settings.wechat_appid, settings.wechat_secret, timeout=timeout, auto_retry=False)
        self.base_url = settings.wechat_api_base_url.rstrip("/")
        # Instance attribute shadows the class constant, so every relative endpoint uses the configured base.
        self.API_BASE_URL = self.base_url + "/cgi-bin/"
        self.tokens = TokenStore(redis, Keys(settings.key_prefix), self.fetch_stable_token, clock=clock)

    # -- token ---------------------------------------------------------------------------------
    @property
    def access_token(self) -> str:  # type: ignore[override]
        return self.tokens.get()

    def fetch_access_token(self) -> dict[str, Any]:  # wechatpy hook; never used for caching here
        token = self.tokens.refresh()
        return {"access_token": token}

    def fetch_stable_token(self, force_refresh: bool = False) -> tuple[str, int]:
        """POST /cgi-bin/stable_token; returns (token, expires_in). The secret goes in the body, never a URL."""
        path = "/cgi-bin/stable_token"
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                "force_refresh": bool(force_refresh)}
        try:
            res = self._http.post(self.base_url + path, json=body, timeout=self.timeout)
            res.raise_for_status()
            result = res.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatAPIError(None, f"token request failed: {type(exc).__name__}", path) from None
        errcode = int(result.get("errcode") or 0)
        if errcode or "access_token" not in result:
            raise WeChatAPIError(errcode or None, str(result.get("errmsg", "no access_token")), path)
        return str(result["access_token"]), int(result.get("expires_in", 7200))

    # -- requests --------------------------------------------------------------------------------
    def _rebase(self, url_or_endpoint: str, api_base_url: str | None) -> str:
        """Absolute URL on the configured base, even for wechatpy groups that hard-code api.weixin.qq.com."""
        if url_or_endpoint.startswith(("http://", "https://")):
            url = url_or_endpoint
        else:
            url = (api_base_url or self.API_BASE_URL) + url_or_endpoint
        if url.startswith(WECHAT_BASE) and self.base_url != WECHAT_BASE:
            url = self.base_url + url[len(WECHAT_BASE):]
        return url

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        url = self._rebase(url_or_endpoint, kwargs.pop("api_base_url", None))
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        params = dict(kwargs.pop("params", None) or {})
        explicit_token = "access_token" in params
        data = kwargs.pop("data", None)
        if isinstance(data, dict):
            data = json.dumps(data, ensure_ascii=False).encode("utf-8")
        for attempt in (1, 2):
            token = params["access_token"] if explicit_token else self.tokens.get()
            try:
                return super()._request(method, url, params={**params, "access_token": token}, data=data,
                                        **kwargs)
            except WeChatClientException as exc:
                errcode = int(exc.errcode) if exc.errcode is not None else None
                if attempt == 1 and not explicit_token and errcode in TOKEN_ERRORS:
                    # WeChat refused our token: replace it once (for every process) and retry this call once.
                    # An expired token (42001) needs only normal mode; an invalid one (40001/40014) is forced.
                    log.warning("%s refused the access token (errcode %s); refreshing", path, errcode)
                    self.tokens.refresh(stale=token, force=errcode != 42001)
                    continue
                raise WeChatAPIError(errcode, str(exc.errmsg or "HTTP error"), path) from None
            except requests.RequestException as exc:
                raise WeChatAPIError(None, f"request failed: {type(exc).__name__}", path) from None
        raise AssertionError("unreachable")


def build_client(settings: Settings, redis: redis_lib.Redis | None = None, **kwargs: Any) -> APIClient:
    """The client for ``settings``; raises ``ValueError`` when AppID or AppSecret is missing."""
    if not settings.outbound_enabled:
        raise ValueError("WECHAT_APPID and WECHAT_SECRET must be set to call the WeChat API")
    return APIClient(settings, redis if redis is not None else connect(settings), **kwargs)
