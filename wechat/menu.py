"""Custom menus: validate against WeChat's limits, show, diff against what WeChat has, publish, delete.

A menu set is plain data in WeChat's JSON format, the shape ``menu/create`` takes plus conditional menus::

    {"button": [...], "conditionalmenu": [{"button": [...], "matchrule": {"language": "en"}}]}

Usage::

    desired = menu_from_content(yaml.safe_load(open("content/menu.yaml")))
    print("\\n".join(diff_menus(current_menu(client), desired)) or "no changes")
    publish_menu(client, desired)          # validates first; raises MenuError listing every problem
"""
from __future__ import annotations

import copy
import difflib
from typing import Any

from wechat.api_client import APIClient, WeChatAPIError
from wechat.limits import (MENU_KEY_BYTES, MENU_SUB_BUTTONS, MENU_SUB_NAME_BYTES, MENU_TOP_BUTTONS,
                           MENU_TOP_NAME_BYTES, MENU_URL_BYTES)

MenuSet = dict[str, Any]

# Button types and the field each one needs besides the name.
KEY_TYPES = {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
             "location_select"}
REQUIRED = {
    **{t: ("key",) for t in KEY_TYPES},
    "view": ("url",),
    "miniprogram": ("url", "appid", "pagepath"),  # url is the fallback for clients without mini-programs
    "media_id": ("media_id",),
    "view_limited": ("media_id",),
    "article_id": ("article_id",),
    "article_view_limited": ("article_id",),
}
BUTTON_FIELDS = ("type", "name", "key", "url", "appid", "pagepath", "media_id", "article_id")
# Match-rule fields accepted by menu/addconditional.
MATCHRULE_FIELDS = {"tag_id", "sex", "country", "province", "city", "client_platform_type", "language"}
LANGUAGES = {"zh_CN", "zh_TW", "zh_HK", "en", "id", "ms", "es", "ko", "it", "ja", "pl", "pt", "ru", "th", "vi",
             "ar", "hi", "he", "tr", "de", "fr"}


class MenuError(ValueError):
    """The menu breaks WeChat's rules; ``problems`` names each one by its path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid menu:\n  " + "\n  ".join(problems))


# -- building ------------------------------------------------------------------------------------
def _pick_name(name: Any, lang: str) -> str:
    if isinstance(name, dict):
        return str(name.get(lang) or name.get("zh") or next(iter(name.values()), ""))
    return "" if name is None else str(name)


def _has_lang(name: Any, lang: str) -> bool:
    return isinstance(name, dict) and bool(name.get(lang))


def _content_button(item: dict[str, Any], lang: str) -> dict[str, Any]:
    button: dict[str, Any] = {"name": _pick_name(item.get("name"), lang)}
    subs = item.get("sub_buttons", item.get("sub_button"))
    if subs:
        button["sub_button"] = [_content_button(sub, lang) for sub in subs]
        return button
    for field in BUTTON_FIELDS:
        if field != "name" and item.get(field) not in (None, ""):
            button[field] = str(item[field])
    return button


def menu_from_content(data: dict[str, Any]) -> MenuSet:
    """Turn content/menu.yaml's shape into a menu set: the zh menu as default, English as a conditional menu.

    ``{"buttons": [{"name": {"zh": "洞察", "en": "Insights"}, "sub_buttons": [{"name": {...}, "type": "click",
    "key": "MENU_KOL"}]}]}``; a name may also be a plain string used for both languages. The English menu is
    added only when some name has an ``en`` text; missing ``en`` texts fall back to ``zh``.
    """
    buttons = list((data or {}).get("buttons") or [])
    menus: MenuSet = {"button": [_content_button(b, "zh") for b in buttons]}

    def any_en(items: list[dict[str, Any]]) -> bool:
        return any(_has_lang(i.get("name"), "en") or any_en(list(i.get("sub_buttons") or i.get("sub_button") or []))
                   for i in items)

    if any_en(buttons):
        # WeChat's conditional menus match the client language ("en" for English clients).
        menus["conditionalmenu"] = [{"button": [_content_button(b, "en") for b in buttons],
                                     "matchrule": {"language": "en"}}]
    return menus


# -- validating ----------------------------------------------------------------------------------
def _nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _check_button(button: Any, where: str, top: bool, problems: list[str]) -> None:
    if not isinstance(button, dict):
        problems.append(f"{where}: must be an object")
        return
    name = button.get("name")
    limit = MENU_TOP_NAME_BYTES if top else MENU_SUB_NAME_BYTES
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}.name: required")
    elif _nbytes(name) > limit:
        problems.append(f"{where}.name: {name!r} is {_nbytes(name)} bytes, WeChat allows {limit}")
    subs = button.get("sub_button")
    if top and subs:
        if "type" in button:
            problems.append(f"{where}: a button with sub_button must not have a type")
        if not isinstance(subs, list):
            problems.append(f"{where}.sub_button: must be a list")
            return
        if len(subs) > MENU_SUB_BUTTONS:
            problems.append(f"{where}.sub_button: {len(subs)} sub-buttons, WeChat allows {MENU_SUB_BUTTONS}")
        for j, sub in enumerate(subs):
            _check_button(sub, f"{where}.sub_button[{j}]", False, problems)
        return
    if not top and subs:
        problems.append(f"{where}: sub-buttons cannot have sub-buttons")
    kind = button.get("type")
    if kind not in REQUIRED:
        problems.append(f"{where}.type: {kind!r} is not one of {', '.join(sorted(REQUIRED))}")
        return
    for field in REQUIRED[kind]:
        if not button.get(field):
            problems.append(f"{where}.{field}: required for type {kind}")
    key = button.get("key")
    if isinstance(key, str) and _nbytes(key) > MENU_KEY_BYTES:
        problems.append(f"{where}.key: {_nbytes(key)} bytes, WeChat allows {MENU_KEY_BYTES}")
    url = button.get("url")
    if isinstance(url, str) and url:
        if not url.startswith(("http://", "https://")):
            problems.append(f"{where}.url: must start with http:// or https://")
        elif _nbytes(url) > MENU_URL_BYTES:
            problems.append(f"{where}.url: {_nbytes(url)} bytes, WeChat allows {MENU_URL_BYTES}")


def _check_buttons(buttons: Any, where: str, problems: list[str]) -> None:
    if not isinstance(buttons, list) or not buttons:
        problems.append(f"{where}: at least one button is required")
        return
    if len(buttons) > MENU_TOP_BUTTONS:
        problems.append(f"{where}: {len(buttons)} top-level buttons, WeChat allows {MENU_TOP_BUTTONS}")
    for i, button in enumerate(buttons):
        _check_button(button, f"{where}[{i}]", True, problems)


def validate_menu(menus: MenuSet) -> list[str]:
    """Every way ``menus`` breaks WeChat's limits, as ``path: problem`` lines (empty when publishable)."""
    problems: list[str] = []
    _check_buttons(menus.get("button"), "button", problems)
    keys: dict[str, str] = {}
    for where, button in _leaves(menus.get("button") or [], "button"):
        if button.get("key"):
            if button["key"] in keys:
                problems.append(f"{where}.key: {button['key']!r} is also used by {keys[button['key']]}")
            keys[button["key"]] = where
    seen_rules: list[dict[str, Any]] = []
    for i, cond in enumerate(menus.get("conditionalmenu") or []):
        where = f"conditionalmenu[{i}]"
        _check_buttons(cond.get("button"), f"{where}.button", problems)
        rule = cond.get("matchrule")
        if not isinstance(rule, dict) or not rule:
            problems.append(f"{where}.matchrule: required (e.g. {{\"language\": \"en\"}})")
            continue
        unknown = set(rule) - MATCHRULE_FIELDS
        if unknown:
            problems.append(f"{where}.matchrule: unknown fields {', '.join(sorted(unknown))}")
        if "language" in rule and rule["language"] not in LANGUAGES:
            problems.append(f"{where}.matchrule.language: {rule['language']!r} is not a WeChat client language")
        if rule in seen_rules:
            problems.append(f"{where}.matchrule: duplicates an earlier conditional menu")
        seen_rules.append(rule)
    return problems


def _leaves(buttons: list[dict[str, Any]], where: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for i, button in enumerate(buttons):
        if not isinstance(button, dict):
            continue
        if button.get("sub_button"):
            found += [(f"{where}[{i}].sub_button[{j}]", sub) for j, sub in enumerate(button["sub_button"])
                      if isinstance(sub, dict)]
        else:
            found.append((f"{where}[{i}]", button))
    return found


def menu_keys(menus: MenuSet) -> set[str]:
    """Every click-style key in ``menus`` (default and conditional), to check the router answers each one."""
    keys = {b["key"] for _, b in _leaves(menus.get("button") or [], "button") if b.get("key")}
    for cond in menus.get("conditionalmenu") or []:
        keys |= {b["key"] for _, b in _leaves(cond.get("button") or [], "button") if b.get("key")}
    return keys


# -- reading what WeChat has ---------------------------------------------------------------------
def _clean_buttons(buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for button in buttons or []:
        subs = button.get("sub_button")
        if isinstance(subs, dict):  # get_current_selfmenu_info wraps sub-buttons as {"list": [...]}
            subs = subs.get("list")
        out = {k: button[k] for k in BUTTON_FIELDS if button.get(k) not in (None, "")}
        if subs:
            out.pop("type", None)
            out["sub_button"] = _clean_buttons(subs)
        cleaned.append(out)
    return cleaned


def normalize(menus: MenuSet) -> MenuSet:
    """Canonical form for comparing: no menuids, no empty fields, conditional menus in a stable order."""
    result: MenuSet = {"button": _clean_buttons(menus.get("button") or [])}
    conditional = [{"button": _clean_buttons(c.get("button") or []),
                    "matchrule": {k: v for k, v in (c.get("matchrule") or {}).items() if v not in (None, "")}}
                   for c in menus.get("conditionalmenu") or []]
    if conditional:
        result["conditionalmenu"] = sorted(conditional, key=lambda c: sorted(c["matchrule"].items()))
    return result


def current_menu(client: APIClient) -> MenuSet:
    """The menu WeChat serves now, from ``menu/get`` (the only endpoint that also lists conditional menus).

    An empty menu set means no menu was created through the API (WeChat answers 46003).
    """
    result = client.menu.get()  # wechatpy turns 46003 "menu no exist" into None
    if not result:
        return {"button": []}
    menus: MenuSet = {"button": (result.get("menu") or {}).get("button") or []}
    raw_conditional = result.get("conditionalmenu") or []
    if raw_conditional:
        menus["conditionalmenu"] = raw_conditional
    return menus


def current_selfmenu(client: APIClient) -> MenuSet:
    """The default menu as ``get_current_selfmenu_info`` reports it (includes menus set in the MP console)."""
    result = client.get("get_current_selfmenu_info")
    return {"button": _clean_buttons(((result or {}).get("selfmenu_info") or {}).get("button") or [])}


# -- showing and diffing -------------------------------------------------------------------------
def _button_line(button: dict[str, Any]) -> str:
    kind = button.get("type", "")
    target = button.get("key") or button.get("url") or button.get("media_id") or button.get("article_id") or ""
    if kind == "miniprogram":
        target = f"{button.get('appid')}:{button.get('pagepath')} (fallback {button.get('url')})"
    return f"{button.get('name', '')}  [{kind} {target}]".rstrip()


def _menu_lines(buttons: list[dict[str, Any]]) -> list[str]:
    lines = []
    for button in buttons:
        if button.get("sub_button"):
            lines.append(f"{button.get('name', '')}")
            lines += [f"    {_button_line(sub)}" for sub in button["sub_button"]]
        else:
            lines.append(_button_line(button))
    return lines


def _rule_label(rule: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(rule.items())) or "(empty rule)"


def render_menu(menus: MenuSet) -> list[str]:
    """Readable lines: one per button, sub-buttons indented, each conditional menu under its match rule."""
    menus = normalize(menus)
    if not menus["button"]:
        return ["(no menu)"]
    lines = ["default menu:"] + [f"  {line}" for line in _menu_lines(menus["button"])]
    for cond in menus.get("conditionalmenu", []):
        lines.append(f"conditional menu ({_rule_label(cond['matchrule'])}):")
        lines += [f"  {line}" for line in _menu_lines(cond["button"])]
    return lines


def diff_menus(current: MenuSet, desired: MenuSet, current_label: str = "WeChat (current)",
               desired_label: str = "desired") -> list[str]:
    """Unified-diff lines from ``current`` (by default what WeChat has) to ``desired``; empty when the same."""
    before, after = normalize(current), normalize(desired)
    if before == after:
        return []
    return [line.rstrip("\n") for line in
            difflib.unified_diff(render_menu(before), render_menu(after), current_label, desired_label,
                                 lineterm="", n=2)]


# -- publishing ----------------------------------------------------------------------------------
def publish_menu(client: APIClient, desired: MenuSet, *, current: MenuSet | None = None,
                 force: bool = False) -> bool:
    """Make WeChat serve ``desired``; returns False when it already did (nothing sent) unless ``force``.

    Validates first, so an invalid menu never replaces a working one. ``menu/create`` replaces the default
    menu; conditional menus are replaced one by one (``delconditional`` then ``addconditional``).
    """
    problems = validate_menu(desired)
    if problems:
        raise MenuError(problems)
    raw_current = current if current is not None else current_menu(client)
    if not force and normalize(raw_current) == normalize(desired):
        return False
    client.post("menu/create", data={"button": copy.deepcopy(normalize(desired)["button"])})
    for cond in raw_current.get("conditionalmenu") or []:
        if cond.get("menuid") is not None:
            client.post("menu/delconditional", data={"menuid": str(cond["menuid"])})
    for cond in normalize(desired).get("conditionalmenu", []):
        client.post("menu/addconditional", data={"button": cond["button"], "matchrule": cond["matchrule"]})
    return True


def delete_menu(client: APIClient) -> None:
    """Remove the menu; WeChat deletes every conditional menu with it."""
    try:
        client.get("menu/delete")
    except WeChatAPIError as exc:
        if exc.errcode != 46003:  # nothing to delete is fine
            raise
