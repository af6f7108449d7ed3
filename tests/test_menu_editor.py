"""The console's menu editor backend: counters from WeChat's limits, reordering, the same validation as publish."""
from __future__ import annotations

import pytest
import yaml

from library.bundle import read_dir
from library.menu_editor import (MenuEditError, MenuLimitError, add_button, as_group, counters, delete_button,
                                 keys_in, make_key, move, new_button, problems, reorder, reply_row, set_action,
                                 transfer)
from library.yaml_edit import dump, load
from wechat.limits import MENU_SUB_NAME_BYTES, MENU_TOP_NAME_BYTES


@pytest.fixture
def menu():
    return yaml.safe_load(read_dir("content")["menu.yaml"])


def test_counters_use_wechat_byte_limits(menu):
    first = counters(menu)[0]
    assert first.name_bytes["zh"] == len("洞察".encode()) == 6 and first.name_limit == MENU_TOP_NAME_BYTES
    sub = first.children[0]
    assert sub.name_limit == MENU_SUB_NAME_BYTES and sub.key == "MENU_KOL" and sub.key_bytes == 8
    assert not first.over and not sub.over


def test_a_name_over_16_bytes_is_flagged_and_refused_like_menu_publish(menu):
    menu["buttons"][0]["name"]["zh"] = "洞察洞察洞察"          # 18 bytes
    assert counters(menu)[0].over == ["name zh"]
    assert any("18 bytes, WeChat allows 16" in p for p in problems(menu))


def test_long_names_a_phone_cuts_are_warned_not_refused(menu):
    menu["buttons"][0]["name"]["en"] = "Insights galore"     # 15 bytes: fits WeChat, cut on a phone
    button = counters(menu)[0]
    assert button.cut == ["en"] and not button.over


def test_move_and_reorder(menu):
    names = [s["key"] for s in menu["buttons"][0]["sub_buttons"]]
    moved = move(menu, top=0, sub=1, delta=-1)
    assert [s["key"] for s in moved["buttons"][0]["sub_buttons"]][:2] == [names[1], names[0]]
    assert [s["key"] for s in menu["buttons"][0]["sub_buttons"]] == names          # the input is untouched
    assert move(menu, top=0, sub=0, delta=-1) == menu                              # clamped at the top
    tops = [b["name"]["zh"] for b in menu["buttons"]]
    flipped = reorder(menu, top=None, order=list(reversed(range(len(tops)))))
    assert [b["name"]["zh"] for b in flipped["buttons"]] == tops[::-1]
    with pytest.raises(MenuEditError):
        reorder(menu, top=None, order=[0, 0, 1])
    with pytest.raises(MenuEditError):
        move(menu, top=7, delta=1)


def test_add_refuses_past_three_by_five_and_leaves_the_input_alone(menu):
    with pytest.raises(MenuLimitError) as full:
        add_button(menu, top=0, button=new_button("新", "New"))
    assert full.value.limit == "sub_buttons" and "WeChat allows 5" in str(full.value)
    with pytest.raises(MenuLimitError) as full:
        add_button(menu, top=None, button=new_button("新", "New"))
    assert full.value.limit == "top_buttons"
    smaller = delete_button(menu, top=1)
    added, top, sub = add_button(smaller, top=None, button=new_button("新", "New"))
    assert (top, sub) == (2, None) and len(added["buttons"]) == 3 and len(smaller["buttons"]) == 2
    assert len(menu["buttons"]) == 3


def test_transfer_between_groups_and_into_a_plain_button(menu):
    with pytest.raises(MenuLimitError):
        transfer(menu, top=0, sub=0, to=1)                     # both groups hold 5
    room = delete_button(menu, top=1, sub=0)
    moved = transfer(room, top=0, sub=0, to=1, position=0)
    assert moved["buttons"][1]["sub_buttons"][0]["key"] == "MENU_KOL" and len(moved["buttons"][0]["sub_buttons"]) == 4
    into_plain = transfer(moved, top=0, sub=0, to=2)
    assert [s["key"] for s in into_plain["buttons"][2]["sub_buttons"]] == ["MENU_CONTACT", "MENU_BILIBILI"]
    assert "key" not in into_plain["buttons"][2] and "flow" not in into_plain["buttons"][2]
    assert problems(into_plain) == []
    with pytest.raises(MenuEditError):
        transfer(menu, top=0, sub=0, to=0)


def test_keys_are_upper_snake_from_the_english_name_and_unique(menu):
    taken = keys_in(menu)
    assert "MENU_KOL" in taken and "MENU_CONTACT" in taken
    assert make_key("Case studies", taken) == "MENU_CASE_STUDIES"
    assert make_key("Weibo", taken) == "MENU_WEIBO_2"
    assert make_key("微博", taken) == "MENU_BUTTON" and make_key("Café & co.", []) == "MENU_CAFE_CO"
    assert len(make_key("x" * 500, [])) <= 128


def test_set_action_and_as_group_keep_the_files_style():
    data = load("""# a comment
buttons:
  - name: {zh: "联系我们", en: "Contact us"}
    type: click
    key: MENU_CONTACT
    flow: lead
""")
    button = data["buttons"][0]
    set_action(button, kind="click", key="MENU_CONTACT", answer=("reply", {"articles": ["a", "b"]}))
    assert dump(data).endswith('key: MENU_CONTACT\n    reply: {articles: [a, b]}\n') and "# a comment" in dump(data)
    assert reply_row(button).reply_kind == "articles" and reply_row(button).summary == "a, b"
    set_action(button, kind="view", url="https://example.com/")
    assert list(button) == ["name", "type", "url"]
    set_action(button, kind="click", key="MENU_X")
    assert list(button) == ["name", "type", "key"]             # no reply yet: the checker will ask for one
    as_group(button)
    assert list(button) == ["name", "sub_buttons"] and button["sub_buttons"][0]["key"] == "MENU_X"
    assert '- name: {zh: "联系我们", en: "Contact us"}' in dump(data).split("sub_buttons:")[1]
