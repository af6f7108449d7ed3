"""Pytest fixtures for outbound tests: the fake WeChat API and settings pointing at it.

Loaded through ``pytest_plugins = ["tests.support.fake_wechat"]`` in tests/conftest.py; Redis, the key prefix
and its clean-up are the suite's usual ``redis`` / ``key_prefix`` fixtures.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from config import Settings
from devtools.fake_wechat_api import FakeWeChatAPI
from tests.support.processes import (ROOT, descendants, kill_tree, settings_env, start_worker,  # noqa: F401
                                     wait_for)

TEST_TOKEN = "outboundtest"


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChatAPI]:
    """A fake WeChat API on a free port, stopped afterwards."""
    fake = FakeWeChatAPI(appid="wxoutboundtest", secret="outbound-secret").start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def make_outbound_settings(make_settings: Callable[..., Settings], fake_wechat: FakeWeChatAPI) -> Callable[..., Settings]:
    """Settings whose WeChat API base URL is the fake (plaintext mode, the fake's AppID and secret)."""
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"wechat_token": TEST_TOKEN, "wechat_appid": fake_wechat.appid,
                                  "wechat_secret": fake_wechat.secret, "wechat_aes_key": "",
                                  "wechat_api_base_url": fake_wechat.url}
        return make_settings(**{**values, **overrides})
    return make


@pytest.fixture
def outbound_settings(make_outbound_settings: Callable[..., Settings]) -> Settings:
    return make_outbound_settings()
