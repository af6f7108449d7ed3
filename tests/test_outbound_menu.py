"""Menus: content shape to WeChat's format, WeChat's limits, diff and publish against the fake."""
from __future__ import annotations

import copy

import pytest

from wechat.api_client import build_client
from wechat.menu import (MenuError, current_menu, current_selfmenu, delete_menu, diff_menus, menu_from_content,
                         menu_keys, publish_menu, render_menu, validate_menu)

CONTENT = {
    "buttons": [
        {"name": {"zh": "洞察", "en": "Insights"}, "sub_buttons": [
            {"name": {"zh": "KOL 洞察", "en": "KOL insights"}, "type": "click", "key": "MENU_KOL"},
            {"name": {"zh": "案例", "en": "Cases"}, "type": "view", "url": "https://example.com/cases"},
        ]},
        {"name": {"zh": "联系我们", "en": "Contact"}, "type": "click", "key": "MENU_CONTACT"},
    ]
}


@pytest.fixture
def client(outbound_settings, redis):
    return build_client(outbound_settings, redis)


def test_menu_from_content_builds_zh_default_and_en_conditional():
    menus = menu_from_content(CONTENT)
    assert menus["button"] == [
        {"name": "洞察", "sub_button": [
            {"name": "KOL 洞察", "type": "click", "key": "MENU_KOL"},
            {"name": "案例", "type": "view", "url": "https://example.com/cases"}]},
        {"name": "联系我们", "type": "click", "key": "MENU_CONTACT"},
    ]
    [english] = menus["conditionalmenu"]
    assert english["matchrule"] == {"language": "en"}
    assert [b["name"] for b in english["button"]] == ["Insights", "Contact"]
    assert english["button"][0]["sub_button"][0] == {"name": "KOL insights", "type": "click", "key": "MENU_KOL"}
    assert menu_keys(menus) == {"MENU_KOL", "MENU_CONTACT"}
    assert validate_menu(menus) == []


def test_menu_without_english_names_has_no_conditional_menu():
    menus = menu_from_content({"buttons": [{"name": "联系", "type": "click", "key": "MENU_CONTACT"}]})
    assert "conditionalmenu" not in menus
    partial = menu_from_content({"buttons": [{"name": {"zh": "联系", "en": "Contact"}, "type": "click",
                                              "key": "MENU_CONTACT"},
                                             {"name": {"zh": "洞察"}, "type": "click", "key": "MENU_KOL"}]})
    assert [b["name"] for b in partial["conditionalmenu"][0]["button"]] == ["Contact", "洞察"]  # zh fallback


def leaf(name="a", **kw):
    return {"name": name, "type": "click", "key": "K_" + name.encode().hex()[:20], **kw}


def test_limits_at_their_edges():
    ok = {"button": [
        {"name": "一二三四五a", "sub_button": [  # a 16-byte name with five 60-byte sub-buttons
            {"name": "子" * 20, "type": "click", "key": f"K{i}"} for i in range(5)]},
        {"name": "b", "type": "click", "key": "K" * 128},
        {"name": "c", "type": "view", "url": "https://example.com/" + "x" * 1004},
    ]}
    assert len("一二三四五a".encode()) == 16 and len(("子" * 20).encode()) == 60
    assert validate_menu(ok) == []

    too_much = copy.deepcopy(ok)
    too_much["button"][0]["name"] = "一二三四五六"                       # 18 bytes
    too_much["button"][0]["sub_button"].append({"name": "子" * 21, "type": "click", "key": "K5"})  # 6th, 63 bytes
    too_much["button"][1]["key"] = "K" * 129
    too_much["button"].append(leaf("d"))                                  # 4th top-level button
    problems = validate_menu(too_much)
    assert any(p.startswith("button:") and "4 top-level" in p for p in problems)
    assert any(p.startswith("button[0].name:") and "18 bytes" in p for p in problems)
    assert any(p.startswith("button[0].sub_button:") and "6 sub-buttons" in p for p in problems)
    assert any(p.startswith("button[0].sub_button[5].name:") and "63 bytes" in p for p in problems)
    assert any(p.startswith("button[1].key:") and "129 bytes" in p for p in problems)


def test_types_and_their_required_fields():
    menus = {"button": [
        {"name": "a", "type": "view"},                                  # no url
        {"name": "b", "type": "miniprogram", "url": "https://example.com"},  # no appid/pagepath
        {"name": "c", "sub_button": [{"name": "x", "type": "teleport", "key": "K"},
                                     {"name": "y", "type": "click", "key": "DUP"},
                                     {"name": "z", "type": "scancode_push", "key": "DUP"}]},
    ], "conditionalmenu": [{"button": [leaf("e")], "matchrule": {"language": "klingon"}},
                           {"button": [leaf("f")]}]}
    problems = validate_menu(menus)
    assert "button[0].url: required for type view" in problems
    assert "button[1].appid: required for type miniprogram" in problems
    assert "button[1].pagepath: required for type miniprogram" in problems
    assert any(p.startswith("button[2].sub_button[0].type:") for p in problems)
    assert any(p.startswith("button[2].sub_button[2].key:") and "also used" in p for p in problems)
    assert any(p.startswith("conditionalmenu[0].matchrule.language:") for p in problems)
    assert any(p.startswith("conditionalmenu[1].matchrule:") for p in problems)


def test_diff_publish_and_diff_again(fake_wechat, client):
    desired = menu_from_content(CONTENT)
    assert current_menu(client) == {"button": []}
    first = diff_menus(current_menu(client), desired)
    assert "-(no menu)" in first and "+  联系我们  [click MENU_CONTACT]" in first
    assert "+conditional menu (language=en):" in first

    assert publish_menu(client, desired) is True
    assert fake_wechat.menu["button"] == desired["button"]
    [english] = fake_wechat.conditional_menus
    assert english["matchrule"] == {"language": "en"} and english["button"] == desired["conditionalmenu"][0]["button"]
    assert diff_menus(current_menu(client), desired) == []

    creates = len(fake_wechat.requests_to("/cgi-bin/menu/create"))
    assert publish_menu(client, desired) is False  # unchanged: nothing sent
    assert len(fake_wechat.requests_to("/cgi-bin/menu/create")) == creates


def test_changed_menu_shows_a_readable_diff_and_replaces_conditional_menus(fake_wechat, client):
    publish_menu(client, menu_from_content(CONTENT))
    changed = copy.deepcopy(CONTENT)
    changed["buttons"][1]["name"] = {"zh": "合作", "en": "Work with us"}
    desired = menu_from_content(changed)

    diff = diff_menus(current_menu(client), desired)
    assert "-  联系我们  [click MENU_CONTACT]" in diff
    assert "+  合作  [click MENU_CONTACT]" in diff
    assert "+  Work with us  [click MENU_CONTACT]" in diff

    publish_menu(client, desired)
    assert [b["name"] for b in fake_wechat.menu["button"]] == ["洞察", "合作"]
    assert len(fake_wechat.conditional_menus) == 1  # the old English menu was removed, not stacked
    assert fake_wechat.conditional_menus[0]["button"][1]["name"] == "Work with us"
    assert len(fake_wechat.requests_to("/cgi-bin/menu/delconditional")) == 1


def test_invalid_menu_is_never_sent(fake_wechat, client):
    bad = {"button": [leaf(str(i)) for i in range(4)]}
    with pytest.raises(MenuError) as info:
        publish_menu(client, bad)
    assert "4 top-level" in str(info.value)
    assert not fake_wechat.requests_to("/cgi-bin/menu/create")


def test_delete_and_selfmenu_view(fake_wechat, client):
    publish_menu(client, menu_from_content(CONTENT))
    assert current_selfmenu(client)["button"] == menu_from_content(CONTENT)["button"]
    delete_menu(client)
    assert fake_wechat.menu is None and fake_wechat.conditional_menus == []
    delete_menu(client)  # deleting nothing is fine
    assert render_menu(current_menu(client)) == ["(no menu)"]
