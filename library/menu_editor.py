"""What the console's menu editor needs of ``menu.yaml`` data: byte and width counters per button, reordering,
and WeChat's own validation, all from the tables the checker and the publisher use (``wechat.limits``,
``wechat.menu``, ``library.display_limits``), so the editor can never disagree with ``menu publish``.

Usage::

    data = yaml.safe_load(bundle["menu.yaml"])
    for button in counters(data): button.name_bytes["zh"], button.name_limit, button.over
    data = move(data, top=0, sub=2, delta=-1)        # sub-button 3 of the first group moves up
    problems(data)                                   # WeChat's rules, as ``menu publish`` checks them
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from library.display_limits import SUB_BUTTON_SHOWN, TOP_BUTTON_SHOWN, display_width
from wechat.limits import (MENU_KEY_BYTES, MENU_SUB_BUTTONS, MENU_SUB_NAME_BYTES, MENU_TOP_BUTTONS,
                           MENU_TOP_NAME_BYTES, MENU_URL_BYTES)
from wechat.menu import menu_from_content, validate_menu

LANGS = ("zh", "en")


class MenuEditError(ValueError):
    """A move or edit that the menu's shape does not allow (no such button, out of range)."""


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
