"""What the console's menu editor needs of ``menu.yaml`` data: byte and width counters per button, reordering,
adding, deleting and moving buttons between groups within WeChat's 3 x 5, unique keys, and WeChat's own
validation, all from the tables the checker and the publisher use (``wechat.limits``, ``wechat.menu``,
``library.display_limits``), so the editor can never disagree with ``menu publish``.

Usage::

    data = yaml.safe_load(bundle["menu.yaml"])
    for button in counters(data): button.name_bytes["zh"], button.name_limit, button.over
    data = move(data, top=0, sub=2, delta=-1)        # sub-button 3 of the first group moves up
    data, top, sub = add_button(data, top=1, button=new_button())   # MenuLimitError on a 6th sub-button
    data = transfer(data, top=1, sub=sub, to=2)      # into another group (a plain button there becomes a group)
    problems(data)                                   # WeChat's rules, as ``menu publish`` checks them
"""
from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from library.display_limits import SUB_BUTTON_SHOWN, TOP_BUTTON_SHOWN, display_width
from library.rules_editor import RuleRow, rule_rows
from library.yaml_edit import dump, plain
from wechat.limits import (MENU_KEY_BYTES, MENU_SUB_BUTTONS, MENU_SUB_NAME_BYTES, MENU_TOP_BUTTONS,
                           MENU_TOP_NAME_BYTES, MENU_URL_BYTES)
from wechat.menu import menu_from_content, validate_menu

LANGS = ("zh", "en")


class MenuEditError(ValueError):
    """A move or edit that the menu's shape does not allow (no such button, out of range)."""


class MenuLimitError(MenuEditError):
    """An add or move WeChat's 3 x 5 refuses; ``limit`` is ``top_buttons`` or ``sub_buttons``."""

    def __init__(self, limit: str, message: str):
        self.limit = limit
        super().__init__(message)


def nbytes(text: str | None) -> int:
    return len((text or "").encode("utf-8"))


@dataclass(frozen=True)
class ButtonCount:
    """One button's sizes against WeChat's byte limits and a phone's display width."""

    top: int
    sub: int | None                    # None: a top-level button
    names: dict[str, str]
    name_bytes: dict[str, int]
    name_limit: int
    name_width: dict[str, float]
    name_shown: dict[str, int]         # what a phone shows before cutting with "…" (a warning, not an error)
    type: str = ""
    key: str = ""
    key_bytes: int = 0
    url: str = ""
    url_bytes: int = 0
    children: list["ButtonCount"] = field(default_factory=list)

    @property
    def over(self) -> list[str]:
        """What breaks a byte limit WeChat enforces ("name zh", "key", "url")."""
        out = [f"name {lang}" for lang, n in self.name_bytes.items() if n > self.name_limit]
        if self.key_bytes > MENU_KEY_BYTES:
            out.append("key")
        if self.url_bytes > MENU_URL_BYTES:
            out.append("url")
        return out

    @property
    def cut(self) -> list[str]:
        """Languages whose name a phone cuts with "…"."""
        return [lang for lang, w in self.name_width.items() if w > self.name_shown[lang]]


def _names(button: dict[str, Any]) -> dict[str, str]:
    name = button.get("name")
    if isinstance(name, dict):
        return {lang: str(name.get(lang) or "") for lang in LANGS}
    return {lang: "" if name is None else str(name) for lang in LANGS}


def _count(button: dict[str, Any], top: int, sub: int | None) -> ButtonCount:
    names = _names(button)
    shown = TOP_BUTTON_SHOWN if sub is None else SUB_BUTTON_SHOWN
    subs = button.get("sub_buttons") or []
    return ButtonCount(
        top, sub, names, {lang: nbytes(n) for lang, n in names.items()},
        MENU_TOP_NAME_BYTES if sub is None else MENU_SUB_NAME_BYTES,
        {lang: display_width(n, lang) for lang, n in names.items()}, dict(shown),
        str(button.get("type") or ""), str(button.get("key") or ""), nbytes(button.get("key")),
        str(button.get("url") or ""), nbytes(button.get("url")),
        [_count(child, top, j) for j, child in enumerate(subs)] if sub is None else [])


def counters(data: dict[str, Any]) -> list[ButtonCount]:
    """Every top-level button with its sub-buttons, counted."""
    return [_count(button, i, None) for i, button in enumerate((data or {}).get("buttons") or [])]


def problems(data: dict[str, Any]) -> list[str]:
    """WeChat's rules broken by this menu, exactly as ``menu publish`` would refuse it (empty: publishable)."""
    return validate_menu(menu_from_content(data or {}))


def _group(data: dict[str, Any], top: int, sub: int | None) -> list[Any]:
    buttons = data.get("buttons")
    if not isinstance(buttons, list) or not 0 <= top < len(buttons):
        raise MenuEditError(f"no top-level button {top + 1}")
    if sub is None:
        return buttons
    subs = buttons[top].get("sub_buttons")
    if not isinstance(subs, list) or not 0 <= sub < len(subs):
        raise MenuEditError(f"no sub-button {sub + 1} under button {top + 1}")
    return subs


def move(data: dict[str, Any], *, top: int, sub: int | None = None, delta: int) -> dict[str, Any]:
    """A copy of ``data`` with one button moved ``delta`` places within its row or column (clamped at the ends)."""
    out = copy.deepcopy(data)
    group = _group(out, top, sub)
    index = top if sub is None else sub
    target = max(0, min(len(group) - 1, index + delta))
    group.insert(target, group.pop(index))
    return out


def reorder(data: dict[str, Any], *, top: int | None, order: list[int]) -> dict[str, Any]:
    """A copy of ``data`` with the top-level buttons (``top`` None) or one group's sub-buttons in ``order``
    (the old positions, as a drag-and-drop list reports them)."""
    out = copy.deepcopy(data)
    group = _group(out, top, 0) if top is not None else _group(out, 0, None)
    if sorted(order) != list(range(len(group))):
        raise MenuEditError(f"order must list each of the {len(group)} positions once")
    group[:] = [group[i] for i in order]
    return out


LIMITS = {"top_buttons": MENU_TOP_BUTTONS, "sub_buttons": MENU_SUB_BUTTONS, "top_name_bytes": MENU_TOP_NAME_BYTES,
          "sub_name_bytes": MENU_SUB_NAME_BYTES, "key_bytes": MENU_KEY_BYTES, "url_bytes": MENU_URL_BYTES}

# What makes a button do something; a button with sub_buttons has none of these (WeChat only opens the sub-menu).
ACTION_FIELDS = ("type", "key", "url", "appid", "pagepath", "media_id", "article_id", "reply", "flow")
KEY_BASE_CHARS = 40        # a readable key; WeChat allows 128 bytes


def new_button(zh: str = "", en: str = "") -> CommentedMap:
    """A button with only its names: the caller gives it a kind (``set_action``) or sub-buttons."""
    button = CommentedMap()
    button["name"] = set_names(CommentedMap(), zh, en)
    return button


def set_names(names: CommentedMap, zh: str, en: str) -> CommentedMap:
    """Both names, written in the file's own ``name: {zh: "...", en: "..."}`` style."""
    names["zh"], names["en"] = DoubleQuotedScalarString(zh), DoubleQuotedScalarString(en)
    names.fa.set_flow_style()
    return names


def _flow(value: Any) -> Any:
    """A reply as the file writes it: on one line, ``reply: {article: weibo-2021}``."""
    if isinstance(value, dict):
        out = CommentedMap((k, _flow(v)) for k, v in value.items())
        out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_flow(v) for v in value)
        seq.fa.set_flow_style()
        return seq
    return value


def _buttons(data: dict[str, Any]) -> list[Any]:
    if data.get("buttons") is None:
        data["buttons"] = CommentedSeq()
    if not isinstance(data["buttons"], list):
        raise MenuEditError("buttons must be a list")
    return data["buttons"]


def keys_in(data: dict[str, Any], *, skip: Any = None) -> set[str]:
    """Every click key the menu uses (``skip``: a button whose own key does not count)."""
    out: set[str] = set()
    for button in (data or {}).get("buttons") or []:
        for item in [button, *(button.get("sub_buttons") or [])]:
            if item is not skip and item.get("key"):
                out.add(str(item["key"]))
    return out


def make_key(name: str, taken: Iterable[str]) -> str:
    """``MENU_UPPER_SNAKE`` from a (English) name, with ``_2``, ``_3``... when another button has it."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Z0-9]+", "_", ascii_name.upper()).strip("_")[:KEY_BASE_CHARS].strip("_") or "BUTTON"
    base, taken = f"MENU_{stem}", set(taken)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def as_group(button: dict[str, Any]) -> list[Any]:
    """The button's sub-buttons, making it a group first: a button that did something keeps doing it as its
    first sub-button (same name), since a button with a sub-menu can only open it."""
    subs = button.get("sub_buttons")
    if isinstance(subs, list):
        return subs
    subs = CommentedSeq()
    if button.get("type"):
        first = new_button(*_names(button).values())
        for name in ACTION_FIELDS:
            if name in button:
                first[name] = button.pop(name)
        subs.append(first)
    for name in ACTION_FIELDS:
        button.pop(name, None)
    button["sub_buttons"] = subs
    return subs


def _room(group: list[Any], top: int | None) -> None:
    if top is None and len(group) >= MENU_TOP_BUTTONS:
        raise MenuLimitError("top_buttons", f"the menu has {len(group)} top-level buttons; WeChat allows "
                                            f"{MENU_TOP_BUTTONS}")
    if top is not None and len(group) >= MENU_SUB_BUTTONS:
        raise MenuLimitError("sub_buttons", f"button {top + 1} has {len(group)} sub-buttons; WeChat allows "
                                            f"{MENU_SUB_BUTTONS}")


def check_room(data: dict[str, Any], *, top: int | None) -> None:
    """``MenuLimitError`` when WeChat's 3 x 5 has no room for one more button there; ``MenuEditError`` if no
    such button."""
    buttons = (data or {}).get("buttons") or []
    if top is None:
        _room(buttons, None)
        return
    if not 0 <= top < len(buttons):
        raise MenuEditError(f"no top-level button {top + 1}")
    subs = buttons[top].get("sub_buttons")
    if isinstance(subs, list):
        _room(subs, top)


def add_button(data: dict[str, Any], *, top: int | None, button: dict[str, Any]) -> tuple[dict[str, Any], int,
                                                                                          int | None]:
    """A copy of ``data`` with ``button`` added last: on the top row (``top`` None) or under button ``top``.
    Returns the copy and where the button landed, ``(top, sub)``."""
    check_room(data, top=top)
    out = copy.deepcopy(data)
    buttons = _buttons(out)
    if top is None:
        buttons.append(button)
        return out, len(buttons) - 1, None
    subs = as_group(buttons[top])
    subs.append(button)
    return out, top, len(subs) - 1


def delete_button(data: dict[str, Any], *, top: int, sub: int | None = None) -> dict[str, Any]:
    """A copy of ``data`` without that button (a group goes with all its sub-buttons). A group left empty keeps
    its name and needs a kind or new sub-buttons (the checker says so)."""
    out = copy.deepcopy(data)
    group = _group(out, top, sub)
    del group[top if sub is None else sub]
    if sub is not None and not group:
        del out["buttons"][top]["sub_buttons"]
    return out


def transfer(data: dict[str, Any], *, top: int, sub: int, to: int, position: int | None = None) -> dict[str, Any]:
    """A copy of ``data`` with sub-button ``sub`` of group ``top`` moved into group ``to`` at ``position``
    (None: last). ``MenuLimitError`` when that group is full."""
    if to == top:
        raise MenuEditError("the button is in that group already")
    out = copy.deepcopy(data)
    source = _group(out, top, sub)
    buttons = _buttons(out)
    if not 0 <= to < len(buttons):
        raise MenuEditError(f"no top-level button {to + 1}")
    target = as_group(buttons[to])        # a plain button becoming a group brings its own first sub-button
    _room(target, to)
    at = len(target) if position is None else max(0, min(len(target), position))
    target.insert(at, source.pop(sub))
    if not source:
        del buttons[top]["sub_buttons"]
    return out


def set_action(button: dict[str, Any], *, kind: str, key: str = "", url: str = "",
               answer: tuple[str, Any] | None = None) -> None:
    """Make ``button`` a click (``key`` and ``answer``: ``("reply", {...})`` or ``("flow", name)``; None keeps the
    current one) or a view button (``url``), dropping what the other kind used; the file keeps name, type,
    key/url, reply/flow in that order."""
    if kind not in ("click", "view"):
        raise MenuEditError("a button is click or view here")
    wanted: dict[str, Any] = {"type": kind}
    if kind == "view":
        wanted["url"] = url
    else:
        wanted["key"] = key
        if answer is not None:
            wanted[answer[0]] = _flow(answer[1])
        else:
            wanted.update({name: button[name] for name in ("reply", "flow") if name in button})
    for name in ACTION_FIELDS:
        if name in button and name not in wanted:
            del button[name]
    position = list(button).index("name") + 1 if "name" in button else 0
    for name, value in wanted.items():
        if name in button:
            button[name] = value
            position = list(button).index(name) + 1
        elif isinstance(button, CommentedMap):
            button.insert(position, name, value)
            position += 1
        else:
            button[name] = value


def reply_row(button: dict[str, Any]) -> RuleRow:
    """What a click button answers, read exactly as the rules editor reads a rule's reply (``rule_rows``), so
    both editors show and edit replies with one piece of code."""
    rule = {"name": "button", "keywords": ["button"],
            **{name: plain(button[name]) for name in ("reply", "flow") if name in button}}
    return rule_rows(dump({"rules": [rule]}))[0]
