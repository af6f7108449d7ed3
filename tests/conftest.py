"""Fixtures: real Redis under a unique key prefix, the app, and fake followers that sign and encrypt like WeChat."""
from __future__ import annotations

import os
import uuid
from typing import Any, Callable, Iterator

import pytest
import redis as redis_lib

from app import create_app
from config import Settings, load_settings
from tests.support.cleanup import cleanup_prefix
from tests.support.redis_server import stop_test_redis, test_redis_url
from devtools.simulator import FlaskTransport, Follower

pytest_plugins = ["tests.support.fake_wechat", "tests.support.console", "tests.support.browser"]

# A developer's .env (scripts/run.sh writes one) must not leak into `flask` subprocesses the tests start.
os.environ["FLASK_SKIP_DOTENV"] = "1"


# WeChat's published safe-mode sample account.
SAMPLE_TOKEN = "spamtest"
SAMPLE_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APPID = "wx2c2769f8efd9abc2"


@pytest.fixture(scope="session")
def redis_url() -> str:
    return test_redis_url()


def pytest_sessionfinish(session, exitstatus) -> None:
    stop_test_redis()


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    """A fresh prefix; afterwards delete exactly what was written under it, RQ's records included (never FLUSHDB)."""
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    cleanup_prefix(redis_lib.Redis.from_url(redis_url), prefix)


@pytest.fixture
def redis(redis_url: str, key_prefix: str) -> redis_lib.Redis:
    return redis_lib.Redis.from_url(redis_url)


@pytest.fixture
def make_settings(redis_url: str, key_prefix: str, tmp_path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        env = {"WECHAT_TOKEN": SAMPLE_TOKEN, "WECHAT_APPID": SAMPLE_APPID, "WECHAT_AES_KEY": SAMPLE_AES_KEY}
        # The suite's followers speak all three modes to one app, so plaintext stays allowed here (a migration
        # setting); tests/test_webhook_forgery.py checks that the default refuses it.
        # A SECRET_KEY, as production must have (settings with WECHAT_SECRET and WeChat's API URL are production).
        values = {"redis_url": redis_url, "key_prefix": key_prefix, "embedded_redis_dir": str(tmp_path / "var"),
                  "accept_plaintext": True, "secret_key": "test-console-secret-key-0123456789abcdef"}
        values.update(overrides)
        return load_settings(env, **values)
    return make


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings, redis: redis_lib.Redis):
    app = create_app(settings, redis=redis)
    app.testing = True
    return app


@pytest.fixture
def bot(app):
    return app.extensions["wxbot"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def follower(client, settings) -> Follower:
    """A follower in plaintext mode."""
    return Follower(FlaskTransport(client), settings.wechat_token, openid="o_follower_" + uuid.uuid4().hex[:12],
                    mode="plain")


@pytest.fixture
def make_follower(client, settings) -> Callable[..., Follower]:
    def make(mode: str = "plain", openid: str | None = None, **kw: Any) -> Follower:
        return Follower(FlaskTransport(client), settings.wechat_token, aes_key=settings.wechat_aes_key,
                        appid=settings.wechat_appid, openid=openid or "o_" + uuid.uuid4().hex[:16], mode=mode, **kw)
    return make
