"""content/flows/lead.yaml against the engine: every step worded in both languages, errors name the file."""
from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from handlers.leads import LEAD_FLOW
from wechat.flow import FlowEngine
from wechat.flow_wording import FlowContentError, FlowWording, load_wordings
from wechat.language import LANGUAGES
from wechat.redis_conn import Keys

ROOT = Path(__file__).resolve().parents[1]
RAW = yaml.safe_load((ROOT / "content" / "flows" / "lead.yaml").read_text(encoding="utf-8"))


def test_shipped_wording_covers_every_step_in_both_languages():
    wording = load_wordings(str(ROOT / "content"))["lead"]
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
    wording = load_wordings(str(ROOT / "content"))["lead"]
    for step in wording.steps.values():
        for choice in step.choices:
            for word in (choice.id, *choice.labels.values(), *choice.aliases):
                assert wording.command(word) is None, f"{step.name}: {word!r} is also a command"


@pytest.mark.parametrize("breakage,message", [
    (lambda raw: raw["steps"]["contact"].pop("invalid"), "steps.contact.invalid is missing"),
    (lambda raw: raw["steps"]["name"]["ask"].pop("en"), "steps.name.ask: missing en"),
    (lambda raw: raw.pop("expired"), "missing expired"),
    (lambda raw: raw["steps"]["need"]["choices"][0].pop("zh"), "choices market_entry needs zh"),
])
def test_broken_wording_is_refused_with_its_place(breakage, message):
    raw = copy.deepcopy(RAW)
    breakage(raw)
    with pytest.raises(FlowContentError) as err:
        FlowWording.from_dict("lead", raw, "content/flows/lead.yaml")
    assert message in str(err.value) and "lead.yaml" in str(err.value)


def test_a_flow_without_wording_for_a_step_cannot_register(redis):
    raw = copy.deepcopy(RAW)
    del raw["steps"]["role"]
    engine = FlowEngine({"lead": FlowWording.from_dict("lead", raw)}, redis=redis, keys=Keys("x:"), session_ttl=60)
    with pytest.raises(FlowContentError, match="role"):
        engine.register(LEAD_FLOW)


def test_the_live_content_version_supplies_the_wording(redis):
    engine = FlowEngine(load_wordings(str(ROOT / "content")), redis=redis, keys=Keys("x:"), session_ttl=60)
    engine.register(LEAD_FLOW)
    published = copy.deepcopy(RAW)
    published["steps"]["name"]["ask"]["zh"] = "新版本：您的姓名？"
    ctx = SimpleNamespace(content=SimpleNamespace(version=7, flow=lambda name: published if name == "lead" else None))
    assert engine.wording_for(ctx, "lead").steps["name"].ask["zh"] == "新版本：您的姓名？"
    broken = copy.deepcopy(RAW)
    del broken["steps"]["name"]
    ctx = SimpleNamespace(content=SimpleNamespace(version=8, flow=lambda name: broken))
    assert engine.wording_for(ctx, "lead").steps["name"].ask["zh"] == RAW["steps"]["name"]["ask"]["zh"]


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
