"""content/flows/lead.yaml against the engine and the lead form's code: checked once, errors name file and line."""
from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from handlers.content_needs import CONTENT_NEEDS
from handlers.leads import LEAD_FLOW
from library.bundle import read_dir
from library.checker import check_bundle
from library.compiled import compile_bundle
from wechat.flow import FlowEngine
from wechat.language import LANGUAGES
from wechat.redis_conn import Keys

ROOT = Path(__file__).resolve().parents[1]
RAW = yaml.safe_load((ROOT / "content" / "flows" / "lead.yaml").read_text(encoding="utf-8"))
BUNDLE = read_dir(str(ROOT / "content"))


def shipped_wording():
    return compile_bundle(BUNDLE, version=1, needs=CONTENT_NEEDS).flow("lead")


def test_shipped_wording_covers_every_step_in_both_languages():
    wording = shipped_wording()
    for step in LEAD_FLOW.steps:
        sw = wording.steps[step.name]
        for lang in LANGUAGES:
            assert sw.ask[lang].strip() and sw.invalid[lang].strip() and sw.label[lang].strip()
    assert [c.id for c in wording.steps["consent"].choices] == ["yes", "no"]
    assert len(wording.steps["need"].choices) >= 2
    assert wording.consent_version and set(wording.consent_text) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert "{summary}" in RAW["summary"][lang] and "{count}" in RAW["erased"][lang]
        assert "{consent_text}" in RAW["steps"]["consent"]["ask"][lang]


def test_command_words_do_not_collide_with_choices():
    wording = shipped_wording()
    for step in wording.steps.values():
        for choice in step.choices:
            for word in (choice.id, *choice.labels.values(), *choice.aliases):
                assert wording.command(word) is None, f"{step.name}: {word!r} is also a command"


def issues_with(raw: dict) -> list[str]:
    bundle = {**BUNDLE, "flows/lead.yaml": yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)}
    report = check_bundle(bundle, CONTENT_NEEDS)
    assert not report.ok
    return [f"{i.file}:{i.line}: {i.message}" for i in report.errors]


@pytest.mark.parametrize("breakage,message", [
    (lambda raw: raw["steps"]["contact"].pop("invalid"), "steps.contact: missing required key 'invalid'"),
    (lambda raw: raw["steps"]["name"]["ask"].pop("en"), "steps.name.ask: missing language variant 'en'"),
    (lambda raw: raw.pop("expired"), "missing required key 'expired'"),
    (lambda raw: raw["steps"]["need"]["choices"][0].pop("zh"), "steps.need.choices[0]: missing language variant 'zh'"),
    (lambda raw: raw.pop("done"), "missing text 'done'"),
    (lambda raw: raw["steps"].pop("role"), "step 'role' has no wording"),
    (lambda raw: raw["steps"]["consent"]["choices"].pop(1), "steps.consent: no choice with id 'no'"),
    (lambda raw: raw["summary"].update(zh="请核对：{summery}"), "text 'summary': unknown placeholder {summery}"),
    (lambda raw: raw["erased"].update(en="Done ({count)"), "text 'erased': "),
    (lambda raw: raw.pop("consent"), "steps.consent.ask uses {consent_text} but the flow has no consent"),
])
def test_broken_wording_fails_the_check_with_its_place(breakage, message):
    raw = copy.deepcopy(RAW)
    breakage(raw)
    found = [issue for issue in issues_with(raw) if message in issue]
    assert found and all(issue.startswith("flows/lead.yaml:") for issue in found), issues_with(raw)


def test_the_live_content_version_supplies_the_wording(redis):
    engine = FlowEngine(redis=redis, keys=Keys("x:"), session_ttl=60)
    engine.register(LEAD_FLOW)
    published = copy.deepcopy(RAW)
    published["steps"]["name"]["ask"]["zh"] = "新版本：您的姓名？"
    bundle = {**BUNDLE, "flows/lead.yaml": yaml.safe_dump(published, allow_unicode=True)}
    content = compile_bundle(bundle, version=7, needs=CONTENT_NEEDS)
    ctx = SimpleNamespace(content=content)
    assert engine.wording_for(ctx, "lead") is content.flow("lead")            # built once per version
    assert engine.wording_for(ctx, "lead").steps["name"].ask["zh"] == "新版本：您的姓名？"
    assert engine.can_start(ctx, "lead") and not engine.can_start(ctx, "signup")


def test_a_broken_flow_file_does_not_stop_the_app(make_settings, redis, tmp_path):
    """A marketer's typo in flows/lead.yaml on disk: the app starts, the published wording is used."""
    import shutil

    from app import create_app
    from devtools.simulator import FlaskTransport, Follower
    content = tmp_path / "content"
    shutil.copytree("content", content)
    create_app(make_settings(content_dir=str(content)), redis=redis)      # publishes version 1 (good)
    (content / "flows" / "lead.yaml").write_text("steps: [unclosed", encoding="utf-8")
    app = create_app(make_settings(content_dir=str(content)), redis=redis)
    f = Follower(FlaskTransport(app.test_client()), "spamtest", mode="plain")
    assert "请问怎么称呼您" in f.send("咨询").content


def test_no_usable_flow_wording_answers_with_the_contact_text(make_settings, redis, tmp_path):
    import shutil

    from app import create_app
    from devtools.simulator import FlaskTransport, Follower
    from library import ContentLibrary
    content = tmp_path / "content"
    shutil.copytree("content", content)
    library = ContentLibrary.from_directory(str(content))                  # served without the flow below
    (content / "flows" / "lead.yaml").write_text("steps: [unclosed", encoding="utf-8")
    object.__setattr__(library.current(), "flow", lambda name: None)
    app = create_app(make_settings(content_dir=str(content)), redis=redis, library=library)
    f = Follower(FlaskTransport(app.test_client()), "spamtest", mode="plain")
    reply = f.send("咨询")
    assert reply.status == 200 and reply.type == "text"
    assert reply.content == app.extensions["wxbot"].library.current().message("contact", "zh")


def test_the_schemas_describe_every_field_a_form_would_show():
    """The web console builds its forms from these schemas: every text a marketer fills in says what it is for."""
    from library.models import FlowFile, FlowStep, TemplateSpec

    for model in (FlowFile, FlowStep, TemplateSpec):
        schema = model.model_json_schema()
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{model.__name__}.{name} has no description"
    assert FlowFile.model_json_schema()["properties"]["summary"]["placeholders"] == ["summary"]
