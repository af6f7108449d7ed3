"""The outbound CLI against the fake WeChat API, and the fake itself as a separate process."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest
from flask import Flask

from cli.menu import file_menu
from cli.registry import register
from tests.support.fake_wechat import ROOT, settings_env, wait_for
from tests.support.redis_server import free_port
from wechat.menu import menu_keys, validate_menu

MENU_YAML = """
buttons:
  - name: {zh: "洞察", en: "Insights"}
    sub_buttons:
      - {name: {zh: "KOL", en: "KOLs"}, type: click, key: MENU_KOL}
  - name: {zh: "联系我们", en: "Contact us"}
    type: click
    key: MENU_CONTACT
    flow: lead
"""


@pytest.fixture
def runner(monkeypatch, outbound_settings, tmp_path):
    for name, value in settings_env(outbound_settings).items():
        monkeypatch.setenv(name, value)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "menu.yaml").write_text(MENU_YAML, encoding="utf-8")
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path / "content"))
    app = Flask("outbound-cli-test")
    register(app)
    return app.test_cli_runner()


def test_menu_diff_publish_show_delete(runner, fake_wechat):
    diff = runner.invoke(args=["menu", "diff"])
    assert diff.exit_code == 0, diff.output
    assert "+  联系我们  [click MENU_CONTACT]" in diff.output and "+  Contact us  [click MENU_CONTACT]" in diff.output
    assert not fake_wechat.requests_to("/cgi-bin/menu/create")  # a dry run sends nothing

    published = runner.invoke(args=["menu", "publish"])
    assert published.exit_code == 0, published.output
    assert "published" in published.output
    assert [b["name"] for b in fake_wechat.menu["button"]] == ["洞察", "联系我们"]

    again = runner.invoke(args=["menu", "diff"])
    assert "no changes" in again.output
    assert "no changes" in runner.invoke(args=["menu", "push"]).output

    shown = runner.invoke(args=["menu", "show"])
    assert "KOL  [click MENU_KOL]" in shown.output and "conditional menu (language=en):" in shown.output

    deleted = runner.invoke(args=["menu", "delete", "--yes"])
    assert deleted.exit_code == 0 and fake_wechat.menu is None


def test_missing_menu_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["menu", "diff", "--file", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no menu file" in result.output and "Traceback" not in result.output


def test_invalid_menu_is_reported_not_published(runner, fake_wechat, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("buttons:\n" + "".join(f"  - {{name: b{i}, type: click, key: K{i}}}\n" for i in range(4)))
    result = runner.invoke(args=["menu", "publish", "--file", str(bad)])
    assert result.exit_code == 1 and "4 top-level buttons" in result.output
    assert not fake_wechat.requests_to("/cgi-bin/menu/create")


def test_settings_and_connection_problems_are_one_clear_message(runner, monkeypatch, fake_wechat):
    monkeypatch.delenv("WECHAT_TOKEN")
    result = runner.invoke(args=["menu", "show"])
    assert result.exit_code == 3 and "WECHAT_TOKEN: is required" in result.output   # as the app: exit 3
    assert "Traceback" not in result.output

    monkeypatch.setenv("WECHAT_TOKEN", "outboundtest")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    result = runner.invoke(args=["jobs", "dead-letters"])
    assert result.exit_code == 1 and "cannot reach Redis" in result.output


def test_wechat_unreachable_is_one_clear_message(runner, monkeypatch):
    monkeypatch.setenv("WECHAT_API_BASE_URL", f"http://127.0.0.1:{free_port()}")
    result = runner.invoke(args=["menu", "show"])
    assert result.exit_code == 1 and "WECHAT_API_BASE_URL" in result.output and "Traceback" not in result.output


def test_jobs_commands(runner):
    assert "no dead letters" in runner.invoke(args=["jobs", "dead-letters"]).output
    missing = runner.invoke(args=["jobs", "retry", "nope"])
    assert missing.exit_code == 1 and "no dead letter with id nope" in missing.output
    assert "requeued 0 job(s)" in runner.invoke(args=["jobs", "retry-all"]).output


def test_worker_command_runs_queued_jobs(runner, fake_wechat, outbound_settings, redis):
    from wechat import jobs
    from wechat.custom_messages import CustomQuota, send_deferred_answer
    from wechat.redis_conn import Keys

    CustomQuota(redis, Keys(outbound_settings.key_prefix)).record_interaction("o1", "subscribe")
    jobs.enqueue(redis, outbound_settings, send_deferred_answer,
                 {"openid": "o1", "reply": {"type": "text", "content": "欢迎"}}, job_id="o1:subscribe")
    try:
        result = runner.invoke(args=["worker", "--burst"])
    finally:
        jobs.reset_runtime()
    assert result.exit_code == 0, result.output
    [sent] = fake_wechat.requests_to("/cgi-bin/message/custom/send")
    assert sent.json["text"]["content"] == "欢迎"


def test_the_real_content_menu_is_publishable():
    """content/menu.yaml (owned by content) must stay within WeChat's limits and route every click."""
    from config import load_settings

    menus = file_menu(load_settings({"WECHAT_TOKEN": "x" * 8}, content_dir=str(ROOT / "content")))
    assert validate_menu(menus) == []
    assert "MENU_CONTACT" in menu_keys(menus)
    assert menus["conditionalmenu"][0]["matchrule"] == {"language": "en"}


def _http(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_fake_runs_as_a_process_and_is_controlled_over_http():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "devtools.fake_wechat_api", "--port", str(port), "--appid", "wxp",
                             "--secret", "sp"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _try(lambda: _http(base + "/_fake/requests")), timeout=30)
        token = _http(base + "/cgi-bin/stable_token", {"grant_type": "client_credential", "appid": "wxp",
                                                       "secret": "sp"})["access_token"]
        assert _http(base + "/cgi-bin/menu/get")["errcode"] == 41001                      # no token
        assert _http(base + "/cgi-bin/menu/get?access_token=nope")["errcode"] == 40001    # unknown token
        _http(base + "/_fake/fail", {"path": "/cgi-bin/message/custom/send", "errcode": 45047, "times": 1})
        send = base + "/cgi-bin/message/custom/send?access_token=" + token
        body = {"touser": "o1", "msgtype": "text", "text": {"content": "hi"}}
        assert _http(send, body)["errcode"] == 45047
        assert _http(send, body)["errcode"] == 0
        _http(base + "/_fake/expire_tokens", {})
        assert _http(send, body)["errcode"] == 42001
        recorded = _http(base + "/_fake/requests?path=/cgi-bin/message/custom/send")["requests"]
        assert [r["json"] for r in recorded] == [body] * 3
    finally:
        proc.terminate()
        proc.wait(10)


def _try(func):
    try:
        return func()
    except OSError:
        return None


def test_menu_publish_uses_the_live_content_version(runner, fake_wechat, outbound_settings, redis):
    """What WeChat shows must match what the bot answers: the published version, not the files on disk."""
    from handlers.content_needs import CONTENT_NEEDS
    from library.bundle import read_dir
    from library.publishing import publish
    from library.versions import VersionStore
    from wechat.redis_conn import Keys

    bundle = dict(read_dir(str(ROOT / "content")))
    bundle["menu.yaml"] = bundle["menu.yaml"].replace('{zh: "洞察", en: "Insights"}', '{zh: "行业洞察", en: "Insights"}')
    publish(VersionStore(redis, Keys(outbound_settings.key_prefix)), bundle, CONTENT_NEEDS, author="test")
    result = runner.invoke(args=["menu", "publish"])
    assert result.exit_code == 0, result.output
    assert "live content version" in result.output
    assert fake_wechat.menu["button"][0]["name"] == "行业洞察"      # not MENU_YAML's "洞察" from the folder


def test_menu_diff_shows_files_published_and_wechat(runner, fake_wechat, outbound_settings, redis, monkeypatch,
                                                     tmp_path):
    """An edit of menu.yaml that is not published yet shows up, and so does what WeChat still lacks."""
    import shutil

    from handlers.content_needs import CONTENT_NEEDS
    from library.bundle import read_dir
    from library.publishing import publish
    from library.versions import VersionStore
    from wechat.redis_conn import Keys

    content = tmp_path / "full-content"
    shutil.copytree(ROOT / "content", content)
    monkeypatch.setenv("CONTENT_DIR", str(content))
    publish(VersionStore(redis, Keys(outbound_settings.key_prefix)), read_dir(str(content)), CONTENT_NEEDS,
            author="test")
    menu = content / "menu.yaml"
    menu.write_text(menu.read_text(encoding="utf-8").replace('en: "Insights"', 'en: "Our insights"'), encoding="utf-8")

    before = runner.invoke(args=["menu", "diff"])                       # nothing on WeChat yet
    assert before.exit_code == 0, before.output
    files_part, _, wechat_part = before.output.partition("published version 1 -> WeChat")
    assert "menu.yaml -> published version 1" in files_part and "+  Our insights" in files_part
    assert "-  Insights" in files_part
    assert "+  Insights" in wechat_part and "Our insights" not in wechat_part   # WeChat gets what is published

    assert runner.invoke(args=["menu", "publish"]).exit_code == 0
    after = runner.invoke(args=["menu", "diff"])
    files_part, _, wechat_part = after.output.partition("published version 1 -> WeChat")
    assert "Our insights" in files_part and wechat_part.strip().endswith("no changes")
    assert not fake_wechat.requests_to("/cgi-bin/menu/create")[1:]       # diff never sends anything
