"""Forms generated from the content models: every field shown, posted values land in the file (comments kept),
schema problems come back next to the input they concern, and the checker accepts the result."""
from __future__ import annotations

from typing import Literal

import pytest
import yaml
from pydantic import Field

from library.bundle import read_dir
from library.checker import check_bundle
from library.forms import SECTIONS, Section, apply_form, build_form
from library.models import Localized, Strict


@pytest.fixture(scope="module")
def bundle():
    return read_dir("content")


def _inputs(section, text):
    return {f.name: f for f in build_form(section, text).inputs()}


def test_every_section_shows_its_fields_with_current_values(bundle):
    messages = _inputs(SECTIONS["messages"], bundle["messages.yaml"])
    assert messages["busy.zh"].value == "系统有点忙，请稍后再试一次。" and "scenes" not in " ".join(messages)
    scenes = _inputs(SECTIONS["scenes"], bundle["messages.yaml"])
    assert scenes["scenes.expo2026.flow"].value == "lead" and "scenes.expo2026.welcome.en" in scenes
    lead = _inputs(SECTIONS["lead_form"], bundle["flows/lead.yaml"])
    assert lead["steps.name.ask.zh"].value.startswith("请问怎么称呼您")
    assert lead["commands.cancel"].widget == "lines" and "取消" in lead["commands.cancel"].value
    assert "done.zh" in lead                       # the flow's own texts (model extras) too
    templates = _inputs(SECTIONS["templates"], bundle["templates.yaml"])
    assert templates["lead_sales_alert.language"].options == ("zh", "en", "follower")
    assert templates["lead_confirmation.fields.thing1.zh"].value == "咨询已收到：{need}"


def test_posted_values_land_in_the_file_and_comments_stay(bundle):
    section = SECTIONS["messages"]
    result = apply_form(section, bundle["messages.yaml"], {"welcome.zh": "新的欢迎语\n第二行", "busy.en": "Busy!"})
    assert result.ok
    data = yaml.safe_load(result.text)
    assert data["welcome"]["zh"] == "新的欢迎语\n第二行" and data["busy"]["en"] == "Busy!"
    assert data["scenes"] == yaml.safe_load(bundle["messages.yaml"])["scenes"]
    assert "# The privacy notice" in result.text
    assert check_bundle({**bundle, "messages.yaml": result.text}).ok


def test_problems_come_back_next_to_their_input(bundle):
    section = SECTIONS["lead_form"]
    result = apply_form(section, bundle["flows/lead.yaml"], {"steps.company.invalid.en": ""})
    assert not result.ok and "at least 1 character" in result.errors["steps.company.invalid.en"]
    shown = {f.name: f for f in result.form.inputs()}
    assert shown["steps.company.invalid.en"].error and not shown["steps.company.invalid.zh"].error
    templates = apply_form(SECTIONS["templates"], bundle["templates.yaml"], {"lead_sales_alert.language": "fr"})
    assert "lead_sales_alert.language" in templates.errors


def test_a_new_model_field_needs_no_new_page():
    class Banner(Strict):
        """A field a developer adds later."""
        text: Localized
        style: Literal["plain", "bold"] = "plain"
        weight: int = Field(0, description="Order on the page")

    section = Section("banners", "banners.yaml", (), dict[str, Banner])
    text = "top:\n  text: {zh: 你好, en: Hi}\n  weight: 2\n"
    inputs = _inputs(section, text)
    assert {n: f.widget for n, f in inputs.items()} == {
        "top.text.zh": "text", "top.text.en": "text", "top.style": "select", "top.weight": "number"}
    result = apply_form(section, text, {"top.weight": "x", "top.style": "bold"})
    assert "top.weight" in result.errors and "top.style" not in result.errors
