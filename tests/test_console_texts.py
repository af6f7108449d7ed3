"""Generated content forms: every section renders from the models, saves land in the draft, problems show
next to their input, stale forms are refused with the submitted values kept."""
from __future__ import annotations

import re

import yaml

from console.services import EXTENSION
from tests.support.pages import form_rev


def _draft(app, file):
    return yaml.safe_load(app.extensions[EXTENSION].drafts.load().bundle[file])


def test_every_section_renders_with_labels(console_client):
    marketer = console_client("marketer")
    for section, expect in (("messages", 'name="welcome.zh"'), ("scenes", 'name="scenes.expo2026.welcome.en"'),
                            ("lead_form", 'name="steps.contact.ask.zh"'),
                            ("templates", 'name="lead_sales_alert.fields.thing1"')):
        page = marketer.get(f"/console/texts/{section}").get_data(as_text=True)
        assert expect in page, section
        ids = re.findall(r'<(?:input|textarea|select) id="([^"]+)"', page)
        assert ids and all(f'<label for="{i}"' in page for i in ids)
    assert marketer.get("/console/texts/nope").status_code == 404


def test_save_a_message_and_a_scene_welcome(console_client, app):
    marketer = console_client("marketer")
    rev = form_rev(marketer.get("/console/texts/messages").get_data(as_text=True))
    assert marketer.post("/console/texts/messages", data={"rev": rev, "busy.zh": "请稍等片刻"}).status_code == 302
    assert _draft(app, "messages.yaml")["busy"]["zh"] == "请稍等片刻"
    rev = form_rev(marketer.get("/console/texts/scenes").get_data(as_text=True))
    marketer.post("/console/texts/scenes", data={"rev": rev, "scenes.expo2026.welcome.en": "Welcome, expo visitor!"})
    assert _draft(app, "messages.yaml")["scenes"]["expo2026"]["welcome"]["en"] == "Welcome, expo visitor!"
    assert _draft(app, "messages.yaml")["busy"]["zh"] == "请稍等片刻"


def test_a_broken_field_shows_its_error_next_to_it(console_client):
    marketer = console_client("marketer")
    rev = form_rev(marketer.get("/console/texts/lead_form").get_data(as_text=True))
    response = marketer.post("/console/texts/lead_form", data={"rev": rev, "steps.company.invalid.en": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    field = html.split('id="f-steps-company-invalid-en"')[1][:600]
    assert 'id="f-steps-company-invalid-en-issues"' in field and "issue-error" in field
    assert 'aria-invalid="true"' in html.split('id="f-steps-company-invalid-en"')[1][:200]


def test_stale_form_keeps_the_submitted_values(console_client, app):
    one, two = console_client("marketer"), console_client("marketer")
    rev = form_rev(one.get("/console/texts/messages").get_data(as_text=True))
    two.post("/console/texts/messages", data={"rev": rev, "busy.en": "Second"})
    stale = one.post("/console/texts/messages", data={"rev": rev, "busy.en": "First"})
    assert stale.status_code == 409 and 'value="First"' in stale.get_data(as_text=True)
    assert _draft(app, "messages.yaml")["busy"]["en"] == "Second"


def test_roles_and_csrf(console_client, app):
    assert console_client("sales").get("/console/texts/messages").status_code == 403
    marketer = console_client("marketer")
    rev = form_rev(marketer.get("/console/texts/messages").get_data(as_text=True))
    before = app.extensions[EXTENSION].drafts.load().bundle["messages.yaml"]
    assert marketer.post("/console/texts/messages", data={"rev": rev, "busy.en": "x"}, csrf=False).status_code == 400
    assert app.extensions[EXTENSION].drafts.load().bundle["messages.yaml"] == before


def test_schema_field_names_read_as_words_in_both_languages(app):
    from console.field_labels import field_label

    with app.test_request_context("/console/"):
        from flask import g
        g.lang = "zh"
        assert (field_label("zh"), field_label("random 2"), field_label("welcome_back")) == ("中文", "随机回复 2",
                                                                                            "welcome_back")
        g.lang = "en"
        assert (field_label("en"), field_label("article"), field_label("policy_url")) == ("English", "Article id",
                                                                                          "Privacy policy link")
