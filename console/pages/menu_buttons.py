"""One menu button at a time: add it (within WeChat's 3 x 5), edit it (names, click or view, what a click sends
through the rules editor's own reply fields, a key generated when left empty) and delete it after a confirmation.

Every save goes into the draft with the form's revision (a stale one is refused), the content checker judges the
result and its problems show next to the field they concern (``console.fields``); ``save_changes`` audits it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth import role_required
from console.drafting import draft_state, save_changes
from console.drafts import StaleDraft
from console.fields import add_issue_link, issues_by_field
from console.i18n import add_messages, current_lang, notify
from console.pages.rules import reply_form_values as rule_form   # the rules editor's reply fields, shared
from console.services import console_services
from library.menu_editor import (LIMITS, MenuEditError, MenuLimitError, add_button, as_group, check_room,
                                 delete_button, keys_in, make_key, new_button, reply_row, set_action, set_names)
from library.rules_editor import REPLY_KINDS, RuleEdit, RuleEditError, reply_entry   # a rule's form -> YAML, shared
from library.yaml_edit import dump, load

bp = Blueprint("menu_buttons", __name__)
MENU_FILE = "menu.yaml"
REPLY_FIELDS = ("reply_kind", "text_zh", "text_en", "target")
FIELD_OF = {"key": "key", "url": "url", "reply": "reply", "flow": "reply"}     # else: the button's own list
LIMIT_MESSAGES = {"top_buttons": "menu.full_top", "sub_buttons": "menu.full_sub"}
# The kinds this form writes; a random reply already in menu.yaml is shown and kept as it is.
MENU_REPLY_KINDS = tuple(kind for kind in REPLY_KINDS if kind != "random")

add_messages({
    "menu.add_top": ("添加一级按钮", "Add a top-level button"),
    "menu.add_sub": ("添加子按钮", "Add a sub-button"),
    "menu.add_title": ("新的一级按钮", "New top-level button"),
    "menu.add_sub_title": ("在「{parent}」下添加子按钮", "New sub-button under \"{parent}\""),
    "menu.full_top": ("微信最多允许 3 个一级按钮：请先删除一个。",
                      "WeChat allows at most 3 top-level buttons: delete one first."),
    "menu.full_sub": ("微信每组最多允许 5 个子按钮：请先删除或移走一个。",
                      "WeChat allows at most 5 sub-buttons in a group: delete or move one first."),
    "menu.becomes_group": ("「{name}」将变为子菜单：它现在的功能会移到它的第一个子按钮。",
                           "\"{name}\" becomes a sub-menu: what it does now moves to its first sub-button."),
    "menu.key_help": ("留空则根据英文名称自动生成（MENU_…），不与其他按钮重复。修改已发布按钮的 KEY 会让统计从新 KEY 重新计数。",
                      "Leave empty to generate one from the English name (MENU_…), unique in the menu. Changing a "
                      "published button's key starts its statistics afresh."),
    "menu.reply": ("点击后发送", "What tapping it sends"),
    "menu.button_problems": ("这个按钮的问题：", "Problems with this button:"),
    "menu.added": ("按钮「{name}」已添加到草稿", "Button \"{name}\" added to the draft"),
    "menu.deleted": ("按钮「{name}」已从草稿删除", "Button \"{name}\" deleted from the draft"),
    "menu.delete_title": ("删除按钮「{name}」？", "Delete the button \"{name}\"?"),
    "menu.delete_group": ("它的 {n} 个子按钮会一起删除：", "Its {n} sub-buttons are deleted with it:"),
    "menu.delete_note": ("只改动草稿：发布内容、再发布菜单后，粉丝才会看到。",
                         "This changes the draft only: followers see it once you publish the content, then the menu."),
    "menu.delete_confirm": ("确认删除", "Delete"),
    "menu.delete_confirm_group": ("删除按钮及其 {n} 个子按钮", "Delete the button and its {n} sub-buttons"),
    "menu.cancel": ("取消", "Cancel"),
})


def form_index(name: str) -> int | None:
    """A position the request names (``top``, ``sub``, ``to``...): None when absent, 400 when not a number."""
    value = request.values.get(name, "")
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        abort(400)


def position() -> tuple[int | None, int | None]:
    return form_index("top"), form_index("sub")


def form_rev() -> int:
    """The draft revision the form was made from (optimistic concurrency); 400 when missing."""
    try:
        return int(request.form.get("rev", ""))
    except ValueError:
        abort(400)


def _button_at(data: Any, top: int | None, sub: int | None) -> Any:
    buttons = data.get("buttons") or []
    if top is None or not 0 <= top < len(buttons):
        abort(404)
    if sub is None:
        return buttons[top]
    subs = buttons[top].get("sub_buttons") or []
    if not 0 <= sub < len(subs):
        abort(404)
    return subs[sub]


def _names(item: Any) -> dict[str, str]:
    names = item.get("name") if isinstance(item.get("name"), dict) else {}
    return {lang: str(names.get(lang) or "") for lang in ("zh", "en")}


def shown_name(item: Any) -> str:
    """The button's name in the UI's language (the other one when that is empty)."""
    names = _names(item)
    return names[current_lang()] or names["zh"] or names["en"]


def field_base(top: int, sub: int | None) -> str:
    """The checker's field name of a button (``buttons.0.sub_buttons.2``)."""
    return f"buttons.{top}" + ("" if sub is None else f".sub_buttons.{sub}")


def button_issues(issues: dict[str, list], top: int, sub: int | None) -> dict[str, list]:
    """A button's problems by form field: ``key``, ``url``, ``reply`` (reply or flow), else ``button``."""
    base, out = field_base(top, sub), {}
    for name, found in issues.items():
        if name != base and not name.startswith(base + "."):
            continue
        rest = name[len(base) + 1:].split(".")
        if rest[0] == "sub_buttons":
            continue                                   # one of a group's sub-buttons: shown on its own
        out.setdefault(FIELD_OF.get(rest[0], "button"), []).extend(found)
    return out


def _menu_issue_link(issue: Any, field: str) -> str | None:
    if issue.file != MENU_FILE:
        return None
    parts = field.split(".")
    if len(parts) >= 2 and parts[0] == "buttons" and parts[1].isdigit():
        sub = parts[3] if len(parts) >= 4 and parts[2] == "sub_buttons" and parts[3].isdigit() else None
        return url_for("console.menu_buttons.edit", top=parts[1], sub=sub)
    return url_for("console.menu.index")


add_issue_link(_menu_issue_link)


def form_of(item: Any) -> dict[str, str]:
    """The edit form's values: names, kind, key or url, and the reply as the rules editor shows a rule's."""
    reply = rule_form(reply_row(item))
    names = _names(item)
    return {"name_zh": names["zh"], "name_en": names["en"], "type": str(item.get("type") or ""),
            "key": str(item.get("key") or ""), "url": str(item.get("url") or ""),
            **{name: reply[name] for name in REPLY_FIELDS}}


def apply_form(data: Any, item: Any, form: Any, *, top_level: bool) -> None:
    """Write the posted form into ``item`` (a button of ``data`` or a new one): names, and for a button without
    sub-buttons its kind, key (generated and unique when left empty), url or reply."""
    if not isinstance(item.get("name"), dict):
        item["name"] = new_button()["name"]
    set_names(item["name"], form.get("name_zh", "").strip(), form.get("name_en", "").strip())
    if item.get("sub_buttons"):
        return                                         # a group only opens its sub-menu: names only
    kind = form.get("type", "")
    if kind == "group" and top_level:
        as_group(item)
        return
    if kind not in ("click", "view"):
        raise MenuEditError("type")
    answer = None
    if kind == "click" and form.get("reply_kind", "random") != "random":   # random is edited in the file: kept
        answer = reply_entry(RuleEdit("", [], reply_kind=form.get("reply_kind", ""), text_zh=form.get("text_zh", ""),
                                      text_en=form.get("text_en", ""), target=form.get("target", "")))
    key = form.get("key", "").strip() or make_key(form.get("name_en", ""), keys_in(data, skip=item))
    set_action(item, kind=kind, key=key, url=form.get("url", "").strip(), answer=answer)


@dataclass(frozen=True)
class ButtonPage:
    """The button form, for an edit (``top``/``sub``: the button) or an add (``top``: the parent, None: top row)."""

    mode: str
    top: int | None
    sub: int | None
    level: str                       # top | sub: which name limit applies
    group: bool = False              # a group's form has names only
    parent: Any = None

    def render(self, form: Any, rev: int, status: int = 200):
        state = draft_state(console_services())
        tree = state.report.tree
        issues = (button_issues(issues_by_field(state.report, MENU_FILE), self.top, self.sub)
                  if self.mode == "edit" else {})
        parent = self.parent
        return render_template(
            "console/pages/menu_button.html", page=self, top=self.top, sub=self.sub, form=form, rev=rev,
            kinds=("click", "view", "group") if self.level == "top" else ("click", "view"),
            reply_kinds=MENU_REPLY_KINDS,
            issues=issues, limit=LIMITS[f"{self.level}_name_bytes"], limits=LIMITS,
            parent=shown_name(parent) if parent is not None else "",
            becomes_group=parent is not None and bool(parent.get("type")) and not parent.get("sub_buttons"),
            articles=sorted(tree.articles), messages=sorted(tree.messages), flows=sorted(tree.flows)), status


def _anchor(top: int, sub: int | None) -> str:
    return url_for("console.menu.index") + f"#b{top}-{'top' if sub is None else sub}"


def _submit(svc: Any, page: ButtonPage, change: Callable[[], tuple[Any, int, int | None]], message: str, **values: Any):
    """Save what ``change()`` makes of the menu (data, and where the button now is) with the form's revision;
    the same form again, 409, when someone saved the draft since."""
    rev = form_rev()
    try:
        data, top, sub = change()
        save_changes(svc, {MENU_FILE: dump(data)}, rev=rev, author=current_user.name)
    except (MenuEditError, RuleEditError):
        abort(400)
    except StaleDraft:
        notify("error", "menu.stale")
        return page.render(request.form, svc.drafts.load().rev, 409)
    notify("ok", message, **values)
    return redirect(_anchor(top, sub))


def _draft_menu(svc: Any) -> tuple[Any, Any]:
    draft = svc.drafts.load()
    return draft, load(draft.bundle.get(MENU_FILE, ""))


@bp.route("/menu/button", methods=["GET", "POST"])
@role_required("marketer")
def edit():
    svc = console_services()
    top, sub = position()
    draft, data = _draft_menu(svc)
    item = _button_at(data, top, sub)
    page = ButtonPage("edit", top, sub, "top" if sub is None else "sub", group=bool(item.get("sub_buttons")))
    if request.method == "GET":
        return page.render(form_of(item), draft.rev)

    def change():
        apply_form(data, item, request.form, top_level=sub is None)
        return data, top, sub
    return _submit(svc, page, change, "menu.saved")


@bp.route("/menu/add", methods=["GET", "POST"])
@role_required("marketer")
def add():
    """A new button last on the top row (no ``top``) or last under button ``top``; refused past WeChat's 3 x 5."""
    svc = console_services()
    top, _ = position()
    draft, data = _draft_menu(svc)
    page = ButtonPage("add", top, None, "top" if top is None else "sub",
                      parent=None if top is None else _button_at(data, top, None))
    try:
        check_room(data, top=top)
    except MenuLimitError as exc:
        notify("error", LIMIT_MESSAGES[exc.limit])
        if request.method == "GET":
            return redirect(url_for("console.menu.index"))
        return page.render(request.form, draft.rev, 400)
    if request.method == "GET":
        return page.render({"type": "click", "reply_kind": "article"}, draft.rev)

    def change():
        button = new_button()
        apply_form(data, button, request.form, top_level=top is None)
        return add_button(data, top=top, button=button)
    return _submit(svc, page, change, "menu.added", name=shown_name(
        {"name": {lang: request.form.get(f"name_{lang}", "") for lang in ("zh", "en")}}))


@bp.route("/menu/delete", methods=["GET", "POST"])
@role_required("marketer")
def delete():
    """Ask first (naming the sub-buttons a group takes with it), then delete from the draft."""
    svc = console_services()
    top, sub = position()
    _, data = _draft_menu(svc)
    item = _button_at(data, top, sub)
    status = 200
    if request.method == "POST":
        try:
            save_changes(svc, {MENU_FILE: dump(delete_button(data, top=top, sub=sub))}, rev=form_rev(),
                         author=current_user.name)
        except MenuEditError:
            abort(404)
        except StaleDraft:
            notify("error", "menu.stale")
            status = 409
        else:
            notify("ok", "menu.deleted", name=shown_name(item))
            return redirect(url_for("console.menu.index"))
    return render_template("console/pages/menu_delete.html", top=top, sub=sub, name=shown_name(item),
                           subs=[shown_name(s) for s in item.get("sub_buttons") or []],
                           rev=svc.drafts.load().rev), status
