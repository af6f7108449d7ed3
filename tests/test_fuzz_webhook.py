"""Fuzz the webhook as the Procfile serves it: generated query strings and bodies (valid and invalid signatures,
stale and future timestamps, replays, broken XML, broken base64 and padding, huge and chunked bodies).

Zero 5xx, zero tracebacks or worker timeouts in the log, every refusal one line. Bounded: ``EXAMPLES`` examples
of ``BATCH`` requests each (10,000 requests), no example database, stops by itself in about half a minute.
"""
from __future__ import annotations

import base64
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from tests.support.procfile import ProcfileServer, procfile_server
from wechat.crypto import SafeModeBox, sign

EXAMPLES, BATCH = 1000, 10
ALLOWED = {200, 204, 400, 403, 404, 405, 413}
BOX = SafeModeBox(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APPID)


@dataclass
class Sent:
    """What the fuzzer sent so far: earlier queries to replay, the statuses seen."""

    queries: list[tuple[str, bytes]] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    requests: int = 0


@pytest.fixture(scope="module")
def served(redis_url: str) -> Iterator[ProcfileServer]:
    with procfile_server(redis_url, {"WECHAT_TOKEN": SAMPLE_TOKEN, "WECHAT_APPID": SAMPLE_APPID,
                                     "WECHAT_AES_KEY": SAMPLE_AES_KEY, "WECHAT_ACCEPT_PLAINTEXT": "true",
                                     "LOG_LEVEL": "INFO"}) as server:
        yield server


# -- what one request is made of ---------------------------------------------------------------------
_timestamp_kinds = {
    "fresh": st.integers(-30, 30),
    "stale": st.integers(301, 10**9).map(lambda d: -d),
    "future": st.integers(301, 10**9),
    "garbage": st.sampled_from(["", "abc", "-5", "1e9", "99999999999999999999", "１７００"]),
}
# Mostly fresh, so most requests get past the signature checks into reading, decrypting and parsing.
timestamps = st.sampled_from(["fresh"] * 6 + ["stale", "future", "garbage"]).flatmap(
    lambda kind: _timestamp_kinds[kind].map(lambda value: (kind, value)))
texts = st.text(max_size=80)
# A megabyte body costs a millisecond or more to send: one request in about fifty is one.
body_kinds = st.sampled_from(["text", "event", "broken xml", "random bytes", "entity", "empty", "envelope",
                              "envelope bad base64", "envelope bad padding", "envelope no encrypt", "not xml root",
                              "nested"] * 4 + ["huge", "cjk"])
request_specs = st.fixed_dictionaries({
    "method": st.sampled_from(["POST"] * 8 + ["GET", "PUT"]),
    "signature": st.sampled_from(["valid"] * 6 + ["invalid", "missing", "upper"]),
    "timestamp": timestamps,
    "nonce": st.one_of(st.just(None), st.text(alphabet="abcdef0123456789", min_size=1, max_size=12)),
    "encrypt_type": st.sampled_from([None, None, "aes", "AES", "raw", "des"]),
    "msg_signature": st.sampled_from(["valid", "valid", "invalid", "missing"]),
    "body": body_kinds,
    "text": texts,
    "transfer": st.sampled_from(["length"] * 6 + ["chunked", "broken chunk", "short length"]),
    "replay": st.sampled_from([None] * 8 + ["same", "other body"]),
    "extra_query": st.dictionaries(st.sampled_from(["openid", "echostr", "x", "signature"]), texts, max_size=2),
})


def _xml(spec: dict, openid: str) -> bytes:
    text, now = escape(spec["text"]), int(time.time())
    kind = spec["body"]
    if kind == "event":
        return (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{now}</CreateTime>"
                f"<MsgType>event</MsgType><Event>CLICK</Event><EventKey>{text}</EventKey></xml>").encode()
    if kind == "broken xml":
        return f"<xml><ToUserName>gh</ToUserName><Content>{text}".encode()
    if kind == "random bytes":
        return spec["text"].encode("utf-8", "surrogatepass") + bytes(random.Random(len(text)).randrange(256) for _ in range(40))
    if kind == "entity":
        return (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><MsgType>text</MsgType>"
                b"<Content>&b;</Content></xml>")
    if kind == "empty":
        return b""
    if kind == "not xml root":
        return f"<html><body>{text}</body></html>".encode()
    if kind == "nested":
        return (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{now}</CreateTime>"
                f"<MsgType>event</MsgType><Event>scancode_push</Event><ScanCodeInfo><ScanType>qrcode</ScanType>"
                f"<ScanResult>{text}</ScanResult></ScanCodeInfo></xml>").encode()
    content = ("中" * 349_000) if kind == "cjk" else ("x" * (1024 * 1024 + 10)) if kind == "huge" else text
    return (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{now}</CreateTime>"
            f"<MsgType>text</MsgType><Content>{content}</Content><MsgId>{random.getrandbits(60)}</MsgId></xml>").encode()


def _build(spec: dict, sent: Sent) -> bytes:
    """The raw HTTP request for ``spec`` (and, for a replay, an earlier request's query string)."""
    now = int(time.time())
    _, value = spec["timestamp"]
    timestamp = str(now + value) if isinstance(value, int) else value
    nonce = spec["nonce"] if spec["nonce"] is not None else uuid.uuid4().hex[:10]
    openid = "o_fuzz_" + uuid.uuid4().hex[:8]
    body = _xml(spec, openid)
    query: dict[str, str] = {"timestamp": timestamp, "nonce": nonce}
    if spec["signature"] != "missing":
        good = sign(SAMPLE_TOKEN, timestamp, nonce)
        query["signature"] = {"valid": good, "upper": good.upper(), "invalid": good[::-1]}[spec["signature"]]
    if spec["encrypt_type"]:
        query["encrypt_type"] = spec["encrypt_type"]
    if spec["body"].startswith("envelope"):
        encrypt = BOX.encrypt(_xml({**spec, "body": "text"}, openid).decode(), nonce, timestamp)
        encrypt = encrypt.split("<![CDATA[", 1)[1].split("]]>", 1)[0]
        if spec["body"] == "envelope bad base64":
            encrypt = encrypt[:-7] + "!!*$%^&"
        elif spec["body"] == "envelope bad padding":
            encrypt = base64.b64encode(base64.b64decode(encrypt)[:-5]).decode()
        if spec["msg_signature"] != "missing":
            good = sign(SAMPLE_TOKEN, timestamp, nonce, encrypt)
            query["msg_signature"] = good if spec["msg_signature"] == "valid" else good[::-1]
        inner = "" if spec["body"] == "envelope no encrypt" else f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
        body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName>{inner}</xml>".encode()
    query.update(spec["extra_query"])
    query_string = "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    if spec["replay"] and sent.queries:
        earlier_query, earlier_body = sent.queries[-1]
        query_string, body = earlier_query, (earlier_body if spec["replay"] == "same" else body)
    sent.queries = (sent.queries + [(query_string, body)])[-20:]
    head = f"{spec['method']} /wechat?{query_string} HTTP/1.1\r\nHost: fuzz\r\nContent-Type: text/xml\r\n"
    if spec["transfer"] == "length":
        return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    if spec["transfer"] == "short length":       # declares more than it sends, then closes its side
        return (head + f"Content-Length: {len(body) + 5}\r\n\r\n").encode() + body
    if spec["transfer"] == "broken chunk":
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"%x\r\n%s\r\nzz\r\n" % (len(body) + 3, body)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536]) for i in range(0, len(body), 65536))
    return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + b"0\r\n\r\n"


def _send(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(15)
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)                 # a body shorter than declared ends here, as a client's would
        except OSError:                                   # the server answered (413) before reading it all
            pass
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
        return out


def test_fuzzed_requests_never_get_a_5xx_a_traceback_or_a_worker_timeout(served):
    sent = Sent()
    started = time.monotonic()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(request_specs, min_size=BATCH, max_size=BATCH))
    def one_batch(specs: list[dict]) -> None:
        for spec in specs:
            response = _send(served.port, _build(spec, sent))
            sent.requests += 1
            assert response.startswith(b"HTTP/1.1 "), (spec, response[:200])
            status = int(response.split(b" ", 2)[1])
            sent.statuses[status] = sent.statuses.get(status, 0) + 1
            assert status in ALLOWED, (spec, response[:300], served.log()[-3000:])
            _, _, body = response.partition(b"\r\n\r\n")
            if 400 <= status < 500:
                assert body.endswith(b"\n") and body.count(b"\n") == 1 and not body.startswith(b"<"), (spec, body[:300])

    one_batch()
    elapsed = time.monotonic() - started
    log = served.log()
    assert sent.requests >= 10_000
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log[-3000:]
    assert '" 5' not in log                                   # no 5xx in the access log either
    assert {200, 400, 403, 413} <= set(sent.statuses), sent.statuses
    print(f"\nfuzz: {sent.requests} requests in {elapsed:.1f}s, statuses {dict(sorted(sent.statuses.items()))}")
