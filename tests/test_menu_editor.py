"""The console's menu editor backend: counters from WeChat's limits, reordering, the same validation as publish."""
from __future__ import annotations

import pytest
import yaml

from library.bundle import read_dir
from library.menu_editor import MenuEditError, counters, move, problems, reorder
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
