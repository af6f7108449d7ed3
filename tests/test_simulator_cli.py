"""The ``sim`` command talks to a running server exactly as WeChat does and prints the decoded reply."""
from __future__ import annotations

import pytest

from app import create_app
from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from tests.support.live_server import LiveServer


@pytest.fixture
def live(redis_url, key_prefix):
    # Plaintext allowed (a migration setting), so one server answers the simulator in every mode.
    env = {"WECHAT_TOKEN": SAMPLE_TOKEN, "WECHAT_APPID": SAMPLE_APPID, "WECHAT_AES_KEY": SAMPLE_AES_KEY,
           "WECHAT_ACCEPT_PLAINTEXT": "true", "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix,
           "LOG_LEVEL": "WARNING"}
    server = LiveServer(env).start()
    yield server
    server.stop()


@pytest.fixture
def runner(settings, redis):
    return create_app(settings, redis=redis).test_cli_runner()


def test_sim_text_in_safe_mode_against_live_server(live, runner):
    result = runner.invoke(args=["sim", "English", "--url", live.url])
    assert result.exit_code == 0, result.output
    assert "English" in result.output


def test_sim_subscribe_with_scene_and_repeat(live, runner):
    result = runner.invoke(args=["sim", "--subscribe", "--scene", "expo2026", "--url", live.url, "--repeat", "2"])
    assert result.exit_code == 0, result.output
    first, _, retry = result.output.partition("-- retry --\n")
    assert first.strip() and first.strip() == retry.strip()      # WeChat's retry gets the identical reply


def test_sim_plain_mode_and_click(live, runner):
    result = runner.invoke(args=["sim", "--click", "MENU_NO_SUCH_KEY", "--mode", "plain", "--url", live.url])
    assert result.exit_code == 0, result.output
    assert result.output.strip() and "HTTP" not in result.output     # a decoded reply, not an HTTP error


def test_sim_reports_unreachable_server_without_traceback(runner):
    result = runner.invoke(args=["sim", "hi", "--url", "http://127.0.0.1:9"])
    assert result.exit_code != 0
    assert "cannot reach the server" in result.output
    assert "Traceback" not in result.output


def test_sim_requires_something_to_send(runner):
    result = runner.invoke(args=["sim"])
    assert result.exit_code == 2
    assert "give TEXT" in result.output
