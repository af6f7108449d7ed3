"""Console login, roles, CSRF, rate limits, idle expiry, users CLI and the secret key; and /wechat untouched."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from flask import request

from app import create_app
from config import SettingsError
from console.auth import IDLE_MINUTES, SEEN
from console.secret import KEY_FILE, secret_key
from console.services import EXTENSION
from tests.support.console import PASSWORD, ConsoleClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_anonymous_is_sent_to_login(console_client):
    anon = console_client(None)
    for url in ("/console/", "/console/draft", "/console/versions", "/console/audit", "/console/publish"):
        response = anon.get(url)
        assert response.status_code == 302 and "/console/login" in response.location, url


def test_login_then_logout(console_client, console_users):
    client = console_client(None)
    name = console_users("marketer")
    response = client.login(name, PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/console/")
    assert name in client.get("/console/").get_data(as_text=True)
    assert client.post("/console/logout").status_code == 302
    assert client.get("/console/").status_code == 302


def test_wrong_password_and_unknown_name_are_refused_alike(console_client, console_users):
    client = console_client(None)
    name = console_users("marketer")
    wrong = client.login(name, "not-the-password")
    unknown = client.login("nobody-here", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_login_cookie_flags(console_client, console_users):
    client = console_client(None)
    client.get("/console/login")
    response = client.post("/console/login", data={"name": console_users("sales"), "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie      # the demo and tests speak plain HTTP


def test_roles(console_client):
    marketer, sales, admin = console_client("marketer"), console_client("sales"), console_client("admin")
    assert marketer.get("/console/draft").status_code == 200
    assert sales.get("/console/draft").status_code == 403
    assert marketer.get("/console/audit").status_code == 403
    assert sales.get("/console/audit").status_code == 403
    assert admin.get("/console/audit").status_code == 200
    assert admin.get("/console/draft").status_code == 200
    assert "无权" in sales.get("/console/draft").get_data(as_text=True)


def test_csrf_failure_is_400_and_saves_nothing(console_client, app):
    marketer = console_client("marketer")
    rev = app.extensions[EXTENSION].drafts.load().rev
    response = marketer.post("/console/draft/discard", data={"rev": rev}, csrf=False)
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True) or "未保存" in response.get_data(as_text=True)
    wrong = marketer.post("/console/draft/discard", data={"rev": rev, "csrf_token": "forged"}, csrf=False)
    assert wrong.status_code == 400
    assert app.extensions[EXTENSION].drafts.load().rev == rev
    assert console_client(None).post("/console/login", data={"name": "x", "password": "y"}, csrf=False).status_code == 400


def test_htmx_sends_the_token_as_a_header(console_client, app):
    marketer = console_client("marketer")
    rev = app.extensions[EXTENSION].drafts.load().rev
    assert marketer.post("/console/draft/discard", data={"rev": rev}, htmx=True).status_code == 302


def test_login_attempts_are_limited_per_account(console_client, console_users):
    name = console_users("marketer")
    client = console_client(None)
    statuses = [client.login(name, "wrong-password").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    # Even the right password is refused while the account is limited; another account is not.
    assert client.login(name, PASSWORD).status_code == 429
    assert console_client(None).login(console_users("sales"), PASSWORD).status_code == 302


def test_login_attempts_are_limited_per_address(console_client, console_users):
    client = console_client(None)
    statuses = [client.login(f"guess{i}", "wrong-password").status_code for i in range(21)]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429
    other = ConsoleClient(client.client.application.test_client())
    other.get("/console/login")
    response = other.post("/console/login", data={"name": console_users("marketer"), "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 302


def test_behind_the_proxy_each_client_address_is_limited_apart(console_client, console_users):
    client = console_client(None)
    behind = {"X-Forwarded-For": "203.0.113.7"}                  # nginx appends the client's address
    statuses = [client.login_with_headers(f"guess{i}", "wrong-password", behind) for i in range(21)]
    assert statuses[-1] == 429
    other = {"X-Forwarded-For": "198.51.100.9"}
    assert client.login_with_headers(console_users("marketer"), PASSWORD, other) == 302
    # Not from the proxy: a forged header does not buy a fresh address.
    forged = ConsoleClient(client.client.application.test_client())
    forged.get("/console/login")
    results = [forged.post("/console/login", data={"name": f"x{i}", "password": "wrong-password"},
                           headers={"X-Forwarded-For": f"10.0.0.{i}"}, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code
               for i in range(21)]
    assert results[-1] == 429


def test_idle_session_expires(console_client, app):
    marketer = console_client("marketer")
    with marketer.client.session_transaction("/console/") as sess:
        sess[SEEN] = time.time() - IDLE_MINUTES * 60 - 5
    response = marketer.get("/console/draft")
    assert response.status_code == 302 and "expired=1" in response.location
    assert marketer.get("/console/draft").status_code == 302


def test_disabled_user_loses_their_session(console_client, app):
    marketer = console_client("marketer")
    app.extensions[EXTENSION].users.disable(marketer.name)
    assert marketer.get("/console/draft").status_code == 302
    assert console_client(None).login(marketer.name, PASSWORD).status_code == 401


def test_language_is_chosen_per_user(console_client):
    marketer = console_client("marketer")
    assert "草稿" in marketer.get("/console/draft").get_data(as_text=True)
    marketer.post("/console/lang", data={"lang": "en", "next": "/console/draft"})
    assert "Draft" in marketer.get("/console/draft").get_data(as_text=True)
    again = ConsoleClient(marketer.client.application.test_client())
    again.login(marketer.name, PASSWORD)
    assert "Checker results" in again.get("/console/draft").get_data(as_text=True)


def test_login_redirects_only_inside_the_console(console_client, console_users):
    client = console_client(None)
    name = console_users("marketer")
    client.get("/console/login")
    response = client.post("/console/login?next=https://evil.example/x", data={"name": name, "password": PASSWORD})
    assert response.location.endswith("/console/")


def test_wechat_gets_no_console_hooks_and_no_session(app, client, follower):
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        assert all(getattr(hook, "__module__", "").split(".")[0] not in ("flask_login", "flask_wtf", "flask_limiter",
                                                                          "console")
                   for hook in registry.get(None, ()))
    with app.test_request_context("/wechat"):
        assert app.session_interface.open_session(app, request) is None
    client.set_cookie("wxbot_console", "garbage", path="/")      # a stray cookie is not even read on /wechat
    reply = follower.send("微博")
    assert reply.status == 200 and reply.type in ("news", "text")
    assert "Set-Cookie" not in client.get("/healthz").headers


def test_first_admin_is_seeded_from_console_password(make_settings, redis):
    app = create_app(make_settings(console_password="seed-password-123"), redis=redis)
    users = app.extensions[EXTENSION].users
    assert [u.name for u in users.list()] == ["admin"] and users.list()[0].role == "admin"
    assert users.authenticate("admin", "seed-password-123") is not None
    # A later start with another password does not touch the existing account.
    create_app(make_settings(console_password="another-password-456"), redis=redis)
    assert users.authenticate("admin", "seed-password-123") is not None


def test_secret_key_is_generated_and_kept_in_the_demo(make_settings, tmp_path):
    settings = make_settings(secret_key="")
    first = secret_key(settings)
    assert len(first) >= 32 and secret_key(settings) == first
    path = os.path.join(settings.embedded_redis_dir, KEY_FILE)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert secret_key(make_settings(secret_key="x" * 40)) == "x" * 40


def test_secret_key_is_required_in_production(make_settings):
    production = make_settings(wechat_secret="real-secret", secret_key="")   # WeChat's real API, default base URL
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        secret_key(production)
    app = create_app(make_settings(wechat_secret="real-secret", secret_key="k" * 40))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def _flask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    return subprocess.run([flask, "--app", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_users_cli(redis_url, key_prefix):
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "REDIS_"))}
    helped = _flask("users", "--help", env=bare)
    assert helped.returncode == 0 and "add" in helped.stdout and "disable" in helped.stdout
    env = {**bare, "WECHAT_TOKEN": "clitoken", "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix}
    added = _flask("users", "add", "mei", "--role", "marketer", env=env)
    assert added.returncode == 0, added.stderr
    password = added.stdout.split("password: ")[1].split()[0]
    assert len(password) >= 10
    listed = _flask("users", "list", env=env)
    assert "mei" in listed.stdout and "marketer" in listed.stdout and "active" in listed.stdout
    again = _flask("users", "add", "mei", "--role", "sales", env=env)
    assert again.returncode != 0 and "already exists" in again.stderr
    assert _flask("users", "disable", "mei", env=env).returncode == 0
    assert "disabled" in _flask("users", "list", env=env).stdout


def test_first_admin_command_prints_the_login_once(redis_url, key_prefix):
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "REDIS_", "CONSOLE_"))}
    env = {**bare, "WECHAT_TOKEN": "clitoken", "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix}
    first = _flask("users", "first-admin", env=env)
    assert first.returncode == 0, first.stderr
    name, password = first.stdout.split()
    assert name == "admin" and len(password) >= 10
    again = _flask("users", "first-admin", env=env)
    assert again.returncode == 0 and again.stdout == ""
    short = _flask("users", "first-admin", env={**env, "CONSOLE_PASSWORD": "short"})
    assert short.returncode == 3 and "CONSOLE_PASSWORD" in short.stderr


def test_admin_manages_users_in_the_console(console_client, app):
    admin = console_client("admin")
    added = admin.post("/console/users", data={"name": "lin", "role": "sales"})
    page = added.get_data(as_text=True)
    password = re.search(r"一次性密码（只显示这一次，首次登录须改密码）：([^<\s]+)", page).group(1)
    assert added.status_code == 200 and 'id="user-lin"' in page
    assert password not in admin.get("/console/users").get_data(as_text=True)        # shown once
    assert console_client(None).login("lin", password).status_code == 302
    admin.post("/console/users", data={"name": "lin", "role": "sales"})
    assert "already exists" in admin.get("/console/users").get_data(as_text=True)
    assert admin.post("/console/users/lin/disable").status_code == 302
    assert app.extensions[EXTENSION].users.get("lin").disabled
    assert admin.post(f"/console/users/{admin.name}/disable").status_code == 302
    assert not app.extensions[EXTENSION].users.get(admin.name).disabled       # never yourself
    assert admin.post("/console/users/nobody/disable").status_code == 404
    actions = [e.action for e in app.extensions[EXTENSION].audit.entries()]
    assert "user.add" in actions and "user.disable" in actions
    assert console_client("marketer").get("/console/users").status_code == 403


def test_a_one_time_password_must_be_replaced_at_first_login(console_client, app):
    users = app.extensions[EXTENSION].users
    one_time = users.add("neo", "marketer")                   # generated: one-time
    client = console_client(None)
    assert client.login("neo", one_time).status_code == 302
    blocked = client.get("/console/articles")
    assert blocked.status_code == 302 and blocked.location.endswith("/console/password")
    assert "一次性密码" in client.get("/console/password").get_data(as_text=True)
    for form, problem in (({"current": "wrong-password", "new": "n" * 12, "repeat": "n" * 12}, "当前密码不对"),
                          ({"current": one_time, "new": "n" * 12, "repeat": "m" * 12}, "不一致"),
                          ({"current": one_time, "new": "short", "repeat": "short"}, "至少"),
                          ({"current": one_time, "new": one_time, "repeat": one_time}, "不能与当前密码相同")):
        refused = client.post("/console/password", data=form)
        assert refused.status_code == 400 and problem in refused.get_data(as_text=True)
    assert client.post("/console/password", data={"current": one_time, "new": "my-own-password",
                                                   "repeat": "my-own-password"}).status_code == 302
    assert client.get("/console/articles").status_code == 200
    assert users.authenticate("neo", one_time) is None and not users.get("neo").must_change
    # A typed password (CLI --password, CONSOLE_PASSWORD, tests) is not one-time.
    users.add("trin", "sales", "typed-password-1")
    assert not users.get("trin").must_change
