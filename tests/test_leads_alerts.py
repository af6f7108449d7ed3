"""Sales alerts and the follower's confirmation: template messages from content, sent by the worker, once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.support.leads import cleanup, follower_for, make_app, says, start_worker, wait_for
from wechat import jobs
from devtools.fake_wechat_api import FakeWeChatAPI
from handlers.content_needs import CONTENT_NEEDS
from leads import LeadStore
from leads.alerts import send_lead_alerts
from library.bundle import read_dir
from library.checker import check_bundle
from library.compiled import compile_bundle
from library.publishing import publish, rollback
from library.versions import VersionStore
from wechat.redis_conn import Keys
from wechat.templates import TemplateRetryLater, get_status

ROOT = Path(__file__).resolve().parents[1]
SEND = "/cgi-bin/message/template/send"


@pytest.fixture
def fake():
    api = FakeWeChatAPI(appid="wxleadalerts", secret="alerts-secret").start()
    yield api
    api.stop()


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A copy of the real content (template ids empty, as shipped)."""
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


@pytest.fixture
def alert_settings(make_settings, fake, content_dir, redis, key_prefix):
    """Template ids from the deployment's settings, as the demo and a staging account fill them in."""
    yield make_settings(wechat_appid=fake.appid, wechat_secret=fake.secret, wechat_api_base_url=fake.url,
                        content_dir=str(content_dir), sales_openids="o_sales_anna, o_sales_bo",
                        template_ids="lead_sales_alert=TPL_SALES_ALERT,lead_confirmation=TPL_LEAD_CONFIRM")
    jobs.reset_runtime()
    cleanup(redis, key_prefix)


def confirm_lead(app, settings, lang="zh", openid=None):
    f = follower_for(app, settings, openid)
    if lang == "zh":
        f.send("咨询")
        answers = ("张三", "示例科技（上海）有限公司国际业务发展中心部", "市场总监", "13800138000", "2", "1", "确认")
    else:
        f.send("contact")
        answers = ("Jane Doe", "Acme", "CMO", "jane@example.com", "4", "1", "confirm")
    for answer in answers:
        reply = f.send(answer)
    says(reply)
    store = LeadStore(app.extensions["wxbot"].redis, Keys(settings.key_prefix))
    return f, store.lead_ids_of(f.openid)[0]


def sent(fake):
    return [r.json for r in fake.requests_to(SEND)]


def test_alerts_and_confirmation_are_sent_once_without_contact_details(alert_settings, redis, fake):
    app = make_app(alert_settings, redis)
    f, lead_id = confirm_lead(app, alert_settings)
    assert sent(fake) == []                                       # never inside the request
    jobs.set_runtime(alert_settings, redis)
    results = send_lead_alerts(lead_id, 1)
    assert sorted(results.values()) == ["sent", "sent", "sent"]
    messages = sent(fake)
    by_user = {m["touser"]: m for m in messages}
    assert set(by_user) == {"o_sales_anna", "o_sales_bo", f.openid}
    alert = by_user["o_sales_anna"]
    assert alert["template_id"] == "TPL_SALES_ALERT"
    assert alert["data"]["thing1"]["value"] == "新线索：张三"
    assert alert["data"]["thing2"]["value"] == "示例科技（上海）有限公司国际业务发展中…"   # cut to WeChat's 20
    assert alert["data"]["thing3"]["value"] == "社交媒体与 KOL 营销"
    assert alert["data"]["thing4"]["value"] == "关键词:咨询"
    confirmation = by_user[f.openid]
    assert confirmation["template_id"] == "TPL_LEAD_CONFIRM"
    assert confirmation["data"]["thing1"]["value"].startswith("咨询已收到")
    for message in messages:
        for field in message["data"].values():
            assert len(field["value"]) <= 20
        assert "13800138000" not in repr(message) and "+86" not in repr(message)
        assert message["client_msg_id"].startswith(lead_id)
    send_lead_alerts(lead_id, 1)                                  # a re-run (worker crash) sends nothing again
    assert len(sent(fake)) == 3
    assert get_status(redis, Keys(alert_settings.key_prefix), f"{lead_id}-r1-c")["status"] == "sent"


def test_confirmation_in_the_followers_language(alert_settings, redis, fake):
    app = make_app(alert_settings, redis)
    f, lead_id = confirm_lead(app, alert_settings, lang="en")
    jobs.set_runtime(alert_settings, redis)
    send_lead_alerts(lead_id, 1)
    mine = [m for m in sent(fake) if m["touser"] == f.openid][0]
    assert mine["data"]["thing1"]["value"] == "Market research"    # the need itself, whole: labels fit 20 characters
    alert = [m for m in sent(fake) if m["touser"] == "o_sales_anna"][0]
    assert alert["data"]["thing1"]["value"] == "新线索：Jane Doe"        # sales read Chinese
    assert "jane@example.com" not in repr(sent(fake))


def test_a_busy_wechat_is_retried_without_resending_what_went_out(alert_settings, redis, fake):
    app = make_app(alert_settings, redis)
    _, lead_id = confirm_lead(app, alert_settings)
    jobs.set_runtime(alert_settings, redis)
    fake.fail_next(SEND, -1, times=1)                             # the first message hits "system busy"
    with pytest.raises(TemplateRetryLater):
        send_lead_alerts(lead_id, 1)
    assert len(sent(fake)) == 3
    send_lead_alerts(lead_id, 1)
    assert len(sent(fake)) == 4                                   # only the failed one again
    assert len({m["touser"] for m in sent(fake)}) == 3


def test_an_update_alerts_again_and_an_erased_lead_never(alert_settings, redis, fake):
    app = make_app(alert_settings, redis)
    f, lead_id = confirm_lead(app, alert_settings)
    confirm_lead(app, alert_settings, openid=f.openid)            # resubmitted within 24 h: revision 2
    jobs.set_runtime(alert_settings, redis)
    assert send_lead_alerts(lead_id, 1) == {"skipped": "superseded"}
    send_lead_alerts(lead_id, 2)
    assert {m["data"]["thing1"]["value"] for m in sent(fake) if m["touser"] == "o_sales_bo"} == {"线索更新：张三"}
    f.send("删除我的数据")
    assert send_lead_alerts(lead_id, 2) == {"skipped": "erased"}


def test_the_worker_sends_them(alert_settings, redis, fake):
    app = make_app(alert_settings, redis)
    confirm_lead(app, alert_settings)
    worker = start_worker(alert_settings, burst=True)
    assert worker.wait(60) == 0
    wait_for(lambda: len(sent(fake)) == 3, timeout=10)


def test_the_source_is_named_as_the_follower_saw_it(alert_settings, redis, fake):
    """Sales read the button's name, not MENU_CONTACT; a rule's label (or first keyword), not its internal name."""
    app = make_app(alert_settings, redis)
    f = follower_for(app, alert_settings)
    f.click("MENU_CONTACT")
    for answer in ("张三", "跳过", "跳过", "13800138000", "2", "1", "确认"):
        f.send(answer)
    lead_id = LeadStore(redis, Keys(alert_settings.key_prefix)).lead_ids_of(f.openid)[0]
    jobs.set_runtime(alert_settings, redis)
    send_lead_alerts(lead_id, 1)
    assert alert_thing(fake, lead_id, "thing4") == "菜单:联系我们"
    content = compile_bundle(read_dir(str(ROOT / "content")), version=1, needs=CONTENT_NEEDS)
    assert content.source_name("keyword", "contact", "zh") == "合作"
    assert content.source_name("keyword", "contact", "en") == "contact"
    assert content.source_name("keyword", "menu:MENU_CONTACT", "en") == "Contact us"   # typed a button's name


def test_a_template_id_in_content_wins_over_the_settings(alert_settings, redis, fake, content_dir):
    path = content_dir / "templates.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('template_id: ""', 'template_id: "TPL_FROM_CONTENT"', 1),
                    encoding="utf-8")
    app = make_app(alert_settings, redis)
    _, lead_id = confirm_lead(app, alert_settings)
    jobs.set_runtime(alert_settings, redis)
    send_lead_alerts(lead_id, 1)
    assert {m["template_id"] for m in sent(fake)} == {"TPL_FROM_CONTENT", "TPL_LEAD_CONFIRM"}


def test_no_template_id_means_no_message(make_settings, fake, redis, key_prefix):
    settings = make_settings(wechat_appid=fake.appid, wechat_secret=fake.secret, wechat_api_base_url=fake.url,
                             sales_openids="o_sales_anna")
    try:
        app = make_app(settings, redis)
        _, lead_id = confirm_lead(app, settings)
        jobs.set_runtime(settings, redis)
        assert send_lead_alerts(lead_id, 1) == {}
        assert sent(fake) == []
    finally:
        jobs.reset_runtime()
        cleanup(redis, key_prefix)


# -- the published version words the alerts ------------------------------------------------------------------
def publish_wording(settings, redis, content_dir: Path, thing1: str) -> int:
    """Publish the content folder with the sales alert's first field reworded; returns the version."""
    path = content_dir / "templates.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["lead_sales_alert"]["fields"]["thing1"] = thing1
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return publish(VersionStore(redis, Keys(settings.key_prefix)), read_dir(str(content_dir)), CONTENT_NEEDS,
                   author="test")


def alert_thing(fake, lead_id: str, field: str) -> str:
    return [m for m in sent(fake) if m["touser"] == "o_sales_anna" and m["client_msg_id"].startswith(lead_id)][-1][
        "data"][field]["value"]


def alert_thing1(fake, lead_id: str) -> str:
    return alert_thing(fake, lead_id, "thing1")


def test_a_rollback_restores_the_template_wording_of_the_next_alert(alert_settings, redis, fake, content_dir):
    app = make_app(alert_settings, redis)                              # seeds version 1 from the folder
    jobs.set_runtime(alert_settings, redis)
    v2 = publish_wording(alert_settings, redis, content_dir, "V2 {status}：{name}")
    assert v2 == 2
    f, first = confirm_lead(app, alert_settings)
    send_lead_alerts(first, 1)
    assert alert_thing1(fake, first) == "V2 新线索：张三"                 # the worker follows a publish
    rollback(VersionStore(redis, Keys(alert_settings.key_prefix)), 1, CONTENT_NEEDS, author="test")
    _, second = confirm_lead(app, alert_settings, openid="o_other_" + f.openid[-8:])
    send_lead_alerts(second, 1)
    assert alert_thing1(fake, second) == "新线索：张三"                   # ... and a rollback


def test_an_unpublished_edit_never_reaches_the_alert(alert_settings, redis, fake, content_dir):
    app = make_app(alert_settings, redis)                              # version 1 is live
    path = content_dir / "templates.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{status}：{name}", "DRAFT {name}"), encoding="utf-8")
    _, lead_id = confirm_lead(app, alert_settings)
    worker = start_worker(alert_settings, burst=True)                 # a fresh worker process reads the files too
    assert worker.wait(60) == 0
    wait_for(lambda: len(sent(fake)) == 3, timeout=10)
    assert alert_thing1(fake, lead_id) == "新线索：张三"


# -- content/templates.yaml: checked by `content check` ----------------------------------------------------------
def test_shipped_templates_are_valid():
    content = compile_bundle(read_dir(str(ROOT / "content")), version=1, needs=CONTENT_NEEDS)
    assert set(content.templates) == {"lead_sales_alert", "lead_confirmation"}


@pytest.mark.parametrize("fields,problem", [
    ({"thing1": "这是一段超过二十个字的固定文字用来测试字段长度限制的检查"}, "WeChat allows 20"),
    ({"thing1": "{phone}"}, "unknown placeholder {phone}"),
    ({"thing1": "{nonsense}"}, "unknown placeholder {nonsense}"),
    ({"thing1": "{name"}, "write a literal brace"),
    ({"first": "{name}"}, "retired"),
    ({"time2": "{name}"}, "time2"),
    ({"thing1": {"zh": "{name}", "en": "Lead from {company} for the whole team now"}}, "(en)"),
])
def test_bad_templates_fail_the_check_at_their_line(fields, problem):
    text = yaml.safe_dump({"lead_sales_alert": {"template_id": "T", "fields": fields}}, allow_unicode=True)
    report = check_bundle({**read_dir(str(ROOT / "content")), "templates.yaml": text}, CONTENT_NEEDS)
    found = [i for i in report.errors if problem in i.message or problem in i.hint]
    assert found and {i.file for i in found} == {"templates.yaml"}, [str(i) for i in report.issues]
    assert all(i.line > 1 for i in found)                              # at the field, not the top of the file
