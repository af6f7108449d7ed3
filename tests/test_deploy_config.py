"""The shipped reverse-proxy config keeps slow clients away from gunicorn's sync workers and keeps query
strings out of its logs (checked with `nginx -t` on nginx 1.22 when it was written; see README, deployment)."""
from __future__ import annotations

import re

from tests.support.processes import ROOT


def _directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().rstrip(";")
        if line and not line.endswith(("{", "}")):
            name, _, value = line.partition(" ")
            found.setdefault(name, []).append(value.strip())
    return found


def test_nginx_buffers_whole_requests_with_the_apps_body_limit_and_short_timeouts():
    conf = _directives((ROOT / "deploy" / "nginx.conf").read_text())
    assert conf["proxy_request_buffering"] == ["on"]
    assert conf["client_max_body_size"] == ["1m"]                # the app's MAX_BODY_BYTES
    for timeout in ("client_header_timeout", "client_body_timeout", "proxy_read_timeout"):
        assert int(re.match(r"(\d+)s$", conf[timeout][0]).group(1)) <= 10
    assert any(value.startswith("TLSv1.2") for value in conf["ssl_protocols"])


def test_nginx_access_log_has_the_path_without_the_query_string():
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    log_format = re.search(r"log_format\s+wxbot\s+'([^']*)'", text).group(1)
    assert "$uri" in log_format and "$request " not in log_format + " " and "$args" not in log_format
    assert re.search(r"access_log\s+\S+\s+wxbot;", text)
