"""Settings come from the environment; every bad or missing value is reported at once."""
from __future__ import annotations

import pytest

from config import SettingsError, load_settings


def test_all_problems_reported_together():
    with pytest.raises(SettingsError) as exc:
        load_settings({"WECHAT_AES_KEY": "tooshort", "PORT": "eighty", "REDIS_URL": "http://redis",
                       "DEDUPE_TTL_SECONDS": "10", "LOG_LEVEL": "LOUD"})
    problems = "\n".join(exc.value.problems)
    assert "WECHAT_TOKEN: is required" in problems
    assert "WECHAT_AES_KEY: EncodingAESKey must be 43" in problems
    assert "PORT:" in problems
    assert "REDIS_URL: must start with" in problems
    assert "DEDUPE_TTL_SECONDS:" in problems
    assert "LOG_LEVEL:" in problems
    assert len(exc.value.problems) == 6


def test_aes_key_requires_appid():
    with pytest.raises(SettingsError) as exc:
        load_settings({"WECHAT_TOKEN": "tok123", "WECHAT_AES_KEY": "a" * 43})
    assert any("WECHAT_APPID" in p for p in exc.value.problems)


def test_token_must_be_what_the_mp_console_accepts():
    with pytest.raises(SettingsError):
        load_settings({"WECHAT_TOKEN": "has space"})


def test_defaults_and_parsing():
    s = load_settings({"WECHAT_TOKEN": "tok123", "SALES_OPENIDS": " o_a, o_b ,,", "PORT": "9000",
                       "WECHAT_API_BASE_URL": "http://127.0.0.1:8088/"})
    assert s.sales_openids == ("o_a", "o_b")
    assert s.port == 9000
    assert s.key_prefix == "wxbot:" and s.session_ttl == 1800 and s.dedupe_ttl >= 30
    assert s.wechat_api_base_url == "http://127.0.0.1:8088"
    assert not s.safe_mode_enabled and not s.outbound_enabled
    with pytest.raises(Exception):
        s.port = 1                                       # frozen


def test_embedded_redis_when_url_unset(tmp_path):
    from wechat.redis_conn import connect, stop_embedded
    s = load_settings({"WECHAT_TOKEN": "tok123", "REDIS_EMBEDDED_DIR": str(tmp_path / "var")})
    client = connect(s)
    try:
        client.set("probe", "1")
        assert client.get("probe") == b"1"
        config = client.config_get("append*")
        assert config["appendonly"] == "yes" and config["appendfsync"] == "always"
        assert any((tmp_path / "var").iterdir())
    finally:
        stop_embedded(str(tmp_path / "var"))


def test_bad_settings_stop_the_app_with_a_list_not_a_traceback():
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "REDIS_"))}
    env["WECHAT_AES_KEY"] = "short"
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "content", "check"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3              # gunicorn's "worker failed to boot": it stops instead of looping
    assert "WECHAT_TOKEN: is required" in result.stderr and "WECHAT_AES_KEY:" in result.stderr
    assert "Traceback" not in result.stderr
