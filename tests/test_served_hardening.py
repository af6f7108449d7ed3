"""The app as the Procfile serves it (gunicorn, sync workers): no query string in any log line, chunked bodies
refused cleanly, headers. Raw sockets, because the point is what reaches gunicorn before Flask sees anything."""
from __future__ import annotations

import secrets
import socket
import time
from typing import Iterator

import pytest

from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from tests.support.procfile import ProcfileServer, procfile_server
from wechat.crypto import sign

# Values that must never appear in a log, whatever gunicorn or the app prints.
SECRETS = {"signature": "SIGSECRET" + secrets.token_hex(4), "msg_signature": "MSGSIGSECRET" + secrets.token_hex(4),
           "nonce": "NONCESECRET" + secrets.token_hex(4), "echostr": "ECHOSECRET" + secrets.token_hex(4),
           "openid": "oOPENIDSECRET" + secrets.token_hex(4)}


ENV = {"WECHAT_TOKEN": SAMPLE_TOKEN, "WECHAT_APPID": SAMPLE_APPID, "WECHAT_AES_KEY": SAMPLE_AES_KEY,
       "WECHAT_ACCEPT_PLAINTEXT": "true", "LOG_LEVEL": "INFO"}


def _signed_query(nonce: str | None = None, **extra: str) -> str:
    ts, nonce = str(int(time.time())), nonce or secrets.token_hex(6)
    parts = {"signature": sign(SAMPLE_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, **extra}
    return "&".join(f"{k}={v}" for k, v in parts.items())


def _raw(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Send ``data`` as is and read until the server closes (sync workers close after each response)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(wait)
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0


@pytest.fixture
def served(redis_url: str) -> Iterator[ProcfileServer]:
    with procfile_server(redis_url, ENV) as server:
        yield server


@pytest.fixture
def served_short_timeout(redis_url: str) -> Iterator[ProcfileServer]:
    with procfile_server(redis_url, {**ENV, "GUNICORN_CMD_ARGS": "--timeout 2"}) as server:
        yield server


def test_no_wechat_query_values_in_any_log_line(served_short_timeout):
    server, port = served_short_timeout, served_short_timeout.port
    s = SECRETS
    query = "&".join(f"{k}={v}" for k, v in s.items())
    # gunicorn's own error lines: malformed request lines (they quote the line, URI included) ...
    for line in (f"GET  /wechat?{query} HTTP/1.1", f"GET /wechat?{query}", f"POST /wechat?{query} HTTP/1.1 x",
                 f"GET /wechat?{query}\x01 HTTP/1.1", f"signature={s['signature']} nonce={s['nonce']}"):
        assert _status(_raw(port, line.encode("latin-1") + b"\r\nHost: x\r\n\r\n")) == 400
    # ... the app's requests: signed and unsigned, GET and POST, refused and answered ...
    _raw(port, f"GET /wechat?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    _raw(port, f"GET /wechat?{_signed_query(echostr=s['echostr'], openid=s['openid'])} HTTP/1.1\r\nHost: x\r\n\r\n"
         .encode())
    body = (f"<xml><ToUserName>gh</ToUserName><FromUserName>{s['openid']}</FromUserName><CreateTime>1</CreateTime>"
            f"<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>").encode()
    answered = _raw(port, f"POST /wechat?{_signed_query(openid=s['openid'])} HTTP/1.1\r\nHost: x\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    assert _status(answered) == 200
    # ... and a worker timeout while a signed request with the openid in its URI waits for its body.
    stalled = socket.create_connection(("127.0.0.1", port))
    stalled.sendall(f"POST /wechat?{_signed_query(openid=s['openid'])}&msg_signature={s['msg_signature']}"
                    f" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<xml>".encode())
    try:
        assert server.wait_for_log("WORKER TIMEOUT"), server.log()[-2000:]
        assert server.wait_for_log("Error handling request")
    finally:
        stalled.close()
    log = server.log()
    assert "Invalid HTTP request line" in log               # the lines that used to quote the URI are there ...
    for name, value in s.items():                           # ... without any of WeChat's values
        assert value not in log, f"{name} value leaked into the log"
    assert "?<redacted>" in log


def test_malformed_chunk_gets_400_and_no_traceback(served):
    for broken in (b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nabcdefgh\r\n0\r\n\r\n", b"5;\x00\r\nabcde\r\n0\r\n\r\n"):
        response = _raw(served.port, f"POST /wechat?{_signed_query()} HTTP/1.1\r\nHost: x\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n".encode() + broken)
        assert _status(response) == 400, response[:200]
        assert response.rstrip().endswith(b")") or b"bad request" in response
    log = served.log()
    assert "Traceback" not in log and " 500 " not in log


def test_chunked_body_over_one_mib_gets_413(served):
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024)
    body = chunk * 17 + b"0\r\n\r\n"                      # 1,088 KiB in 64 KiB chunks, no Content-Length
    response = _raw(served.port, f"POST /wechat?{_signed_query()} HTTP/1.1\r\nHost: x\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n".encode() + body)
    assert _status(response) == 413, response[:200]
    assert response.endswith(b"request body too large\n")
    small = b"<xml><ToUserName>gh</ToUserName><FromUserName>o_chunk</FromUserName><CreateTime>1</CreateTime>" \
            b"<MsgType>text</MsgType><Content>hello</Content><MsgId>7</MsgId></xml>"
    ok = _raw(served.port, f"POST /wechat?{_signed_query()} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                           "\r\n\r\n".encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(small), small))
    assert _status(ok) == 200 and b"<xml>" in ok          # a small chunked message is read whole and answered


def test_options_is_an_empty_204_and_every_response_says_nosniff(served):
    options = _raw(served.port, b"OPTIONS /wechat HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = options.partition(b"\r\n\r\n")
    assert _status(options) == 204 and body == b""
    assert b"\r\nContent-Type:" not in head and b"Allow: GET, POST" in head
    for request in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /wechat HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", b"OPTIONS /wechat HTTP/1.1\r\nHost: x\r\n\r\n"):
        assert b"X-Content-Type-Options: nosniff" in _raw(served.port, request)
