"""A follower that talks to the webhook exactly as WeChat does: signed, encrypted in safe mode, retried on demand.

Used by the ``sim`` CLI command against a live server and by the test suite through Flask's test client.

Usage::

    follower = Follower(HttpTransport("http://127.0.0.1:8000"), token="demo")
    reply = follower.send("KOL")        # -> SimReply(status=200, type="news", articles=[...])
    follower.click("MENU_CONTACT"); follower.subscribe(scene="expo2026"); follower.resend()
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
import requests

from wechat.crypto import Refused, SafeModeBox, sign

_msg_ids = itertools.count(int(time.time() * 1000) * 1000 + secrets.randbelow(1000))


def follower_openid(name: str) -> str:
    """A stable, openid-shaped id for a named simulated follower: ``--as anna`` is always the same follower."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(f"sim:{name}".encode("utf-8")).digest()).decode()
    return "o" + digest[:27]          # WeChat openids are 28 characters of [A-Za-z0-9_-]


class Transport(Protocol):
    def get(self, query: dict[str, str]) -> tuple[int, bytes]: ...
    def post(self, query: dict[str, str], body: bytes) -> tuple[int, bytes]: ...


class HttpTransport:
    """Talks to a running server over HTTP."""

    def __init__(self, base_url: str, path: str = "/wechat", timeout: float = 10.0):
        self.url = base_url.rstrip("/") + path
        self.session = requests.Session()
        self.timeout = timeout

    def get(self, query: dict[str, str]) -> tuple[int, bytes]:
        resp = self.session.get(self.url, params=query, timeout=self.timeout)
        return resp.status_code, resp.content

    def post(self, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
        resp = self.session.post(self.url, params=query, data=body, timeout=self.timeout,
                                 headers={"Content-Type": "text/xml"})
        return resp.status_code, resp.content


class FlaskTransport:
    """Talks to an app in-process through Flask's test client."""

    def __init__(self, client: Any, path: str = "/wechat"):
        self.client = client
        self.path = path

    def get(self, query: dict[str, str]) -> tuple[int, bytes]:
        resp = self.client.get(self.path, query_string=query, buffered=True)
        return resp.status_code, resp.data

    def post(self, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
        # buffered: the response is closed (as a server would) before we look at Redis
        resp = self.client.post(self.path, query_string=query, data=body, content_type="text/xml", buffered=True)
        return resp.status_code, resp.data


@dataclass
class SimReply:
    """The webhook's answer, decoded (and decrypted) like WeChat would."""

    status: int
    raw: bytes
    type: str = ""                                    # text, news, image, ... ; "success" for nothing
    content: str = ""
    articles: list[dict[str, str]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    encrypted: bool = False                           # the reply came as a signed, encrypted envelope

    def __str__(self) -> str:
        if self.status != 200:
            return f"HTTP {self.status}: {self.raw.decode('utf-8', 'replace').strip()}"
        if self.type == "news":
            return "\n".join(f"[article] {a.get('Title')}\n          {a.get('Description')}\n          {a.get('Url')}"
                             for a in self.articles)
        if self.type == "text":
            return self.content
        return f"({self.type})"


class Follower:
    """One simulated follower of one account."""

    def __init__(self, transport: Transport, token: str, *, aes_key: str = "", appid: str = "",
                 openid: str | None = None, account: str = "gh_simulated", mode: str = "auto"):
        self.transport = transport
        self.token = token
        self.box = SafeModeBox(token, aes_key, appid) if aes_key else None
        # mode: "plain", "compat" (plaintext fields plus Encrypt) or "safe"; "auto" is safe when a key is set.
        self.mode = ("safe" if aes_key else "plain") if mode == "auto" else mode
        self.openid = openid or "o" + secrets.token_urlsafe(20)[:27]
        self.account = account
        self.last_xml: str | None = None

    # -- what a follower does ------------------------------------------------------------------
    def send(self, text: str, msg_id: int | None = None) -> SimReply:
        return self.message("text", {"Content": text}, msg_id)

    def voice(self, recognition: str, msg_id: int | None = None) -> SimReply:
        return self.message("voice", {"MediaId": "media_" + secrets.token_hex(4), "Format": "amr",
                                      "Recognition": recognition}, msg_id)

    def message(self, msg_type: str, fields: dict[str, str], msg_id: int | None = None) -> SimReply:
        return self.post_fields({"MsgType": msg_type, **fields, "MsgId": str(msg_id or next(_msg_ids))})

    def event(self, event: str, **fields: str) -> SimReply:
        return self.post_fields({"MsgType": "event", "Event": event, **fields})

    def click(self, key: str) -> SimReply:
        return self.event("CLICK", EventKey=key)

    def subscribe(self, scene: str = "") -> SimReply:
        if scene:
            return self.event("subscribe", EventKey=f"qrscene_{scene}", Ticket="ticket_" + scene)
        return self.event("subscribe")

    def scan(self, scene: str) -> SimReply:
        return self.event("SCAN", EventKey=scene, Ticket="ticket_" + scene)

    def unsubscribe(self) -> SimReply:
        return self.event("unsubscribe")

    def resend(self) -> SimReply:
        """WeChat's retry: the same message again, freshly signed."""
        if self.last_xml is None:
            raise RuntimeError("nothing to resend")
        return self.post_xml(self.last_xml)

    def verify(self, echostr: str = "echo") -> tuple[int, bytes]:
        return self.transport.get(self.signed_query())

    # -- the wire ------------------------------------------------------------------------------
    def post_fields(self, fields: dict[str, str], created_at: int | None = None) -> SimReply:
        base = {"ToUserName": self.account, "FromUserName": self.openid,
                "CreateTime": str(created_at or int(time.time()))}
        xml = "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" if not str(v).isdigit() else f"<{k}>{v}</{k}>"
                                for k, v in {**base, **fields}.items()) + "</xml>"
        return self.post_xml(xml)

    def signed_query(self, *extra: str) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        query = {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                 "echostr": "echo-" + nonce}
        return query

    def post_xml(self, xml: str) -> SimReply:
        self.last_xml = xml
        query = self.signed_query()
        query.pop("echostr")
        body = xml.encode("utf-8")
        if self.mode in ("safe", "compat") and self.box is not None:
            envelope = self.box.encrypt(xml, query["nonce"], query["timestamp"])
            encrypt = _fields(envelope.encode())["Encrypt"]
            query.update(encrypt_type="aes", msg_signature=sign(self.token, query["timestamp"], query["nonce"], encrypt))
            inner = xml[len("<xml>"):-len("</xml>")] if self.mode == "compat" else \
                f"<ToUserName><![CDATA[{escape(self.account)}]]></ToUserName>"
            body = f"<xml>{inner}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode("utf-8")
        status, raw = self.transport.post(query, body)
        return self.decode(status, raw)

    def decode(self, status: int, raw: bytes) -> SimReply:
        if status != 200:
            return SimReply(status, raw, type="error")
        text = raw.decode("utf-8").strip()
        if text in ("", "success"):
            return SimReply(status, raw, type="success")
        fields = _fields(raw)
        if "Encrypt" in fields:
            if self.box is None:
                raise AssertionError("encrypted reply but the simulator has no key")
            try:    # checks the reply's MsgSignature and AppID as WeChat would
                raw = self.box.decrypt(fields["Encrypt"], fields["MsgSignature"], fields["TimeStamp"],
                                       fields["Nonce"]).encode("utf-8")
            except Refused as exc:
                raise AssertionError(f"encrypted reply does not verify: {exc}") from None
            fields = _fields(raw)
            encrypted = True
        else:
            encrypted = False
        root = SafeET.fromstring(raw)
        articles = [{child.tag: child.text or "" for child in item} for item in root.iter("item")]
        return SimReply(status, raw, type=fields.get("MsgType", ""), content=fields.get("Content", ""),
                        articles=articles, fields=fields, encrypted=encrypted)


def _fields(raw: bytes) -> dict[str, str]:
    root = SafeET.fromstring(raw)
    return {child.tag: (child.text or "") for child in root}
