"""The custom menu: a phone-frame editor of the draft's menu.yaml (3 x 5 buttons, byte counters from
``wechat.limits`` as you type, reordering by drag and drop or by keyboard-friendly up/down buttons, moving a
sub-button to another group by dragging it across or with a "move to group" select), and publishing the live
version's menu to WeChat through the code ``flask --app app menu publish`` runs, with the diff shown first.
Adding, editing and deleting one button: ``menu_buttons``.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from cli.menu import apply_plan, diff_sections, plan_publish
from console.auth import role_required
from console.drafting import draft_state, save_changes
from console.drafts import StaleDraft
from console.fields import issues_by_field
from console.i18n import add_messages, notify
from console.nav import add_nav
from console.pages.menu_buttons import LIMIT_MESSAGES, button_issues, form_index, form_rev, shown_name
from console.services import console_services
from library.display_limits import SUB_BUTTON_SHOWN, TOP_BUTTON_SHOWN, display_width
from library.menu_editor import (LIMITS, MenuEditError, MenuLimitError, counters, move, nbytes, problems, reorder,
                                 reply_row, transfer)
from library.yaml_edit import dump, load, plain
from wechat.api_client import WeChatAPIError
from wechat.menu import MenuError, menu_from_content

bp = Blueprint("menu", __name__)
add_nav("nav.menu", "console.menu.index", roles=("marketer",), order=30,
        match=("console.menu.index", "console.menu.publish", "console.menu_buttons.edit", "console.menu_buttons.add",
               "console.menu_buttons.delete"))
MENU_FILE = "menu.yaml"

add_messages({
    "nav.menu": ("菜单", "Menu"),
    "menu.title": ("自定义菜单（草稿）", "Custom menu (draft)"),
    "menu.intro": ("最多 3 个一级按钮、每个最多 5 个子按钮。名称字节数按微信的限制计算（一个汉字 3 字节）。修改保存在草稿中；"
                   "发布内容后，再点击“发布菜单到微信”。",
                   "At most 3 top-level buttons with 5 sub-buttons each. Names are counted in bytes as WeChat does "
                   "(a Chinese character is 3). Edits go into the draft; after publishing the content, "
                   "use \"Publish menu to WeChat\"."),
    "menu.up": ("上移", "Move up"), "menu.drag": ("可拖动排序", "Drag to reorder"), "menu.down": ("下移", "Move down"),
    "menu.left": ("左移", "Move left"), "menu.right": ("右移", "Move right"),
    "menu.edit": ("编辑", "Edit"), "menu.save": ("保存到草稿", "Save to draft"), "menu.back": ("返回", "Back"),
    "menu.name_zh": ("中文名称", "Name (Chinese)"), "menu.name_en": ("英文名称", "Name (English)"),
    "menu.type": ("类型", "Kind"), "menu.type.click": ("点击回复（click）", "Reply on tap (click)"),
    "menu.type.view": ("打开网页（view）", "Open a web page (view)"), "menu.type.group": ("子菜单", "Sub-menu"),
    "menu.key": ("按钮 KEY", "Button key"), "menu.url": ("网页地址", "Web page URL"),
    "menu.bytes": ("{n}/{limit} 字节", "{n}/{limit} bytes"),
    "menu.cut": ("手机上会被截断（约显示 {shown} 个字宽）", "a phone cuts it (shows about {shown} characters)"),
    "menu.over": ("超过微信限制", "over WeChat's limit"),
    "menu.problems": ("按微信的规则，这个菜单无法发布：", "WeChat would refuse this menu:"),
    "menu.saved": ("菜单已保存到草稿", "Menu saved to the draft"),
    "menu.stale": ("草稿已被他人修改：您的修改未保存，请核对后重试。", "Someone saved the draft since you opened it: "
                   "your change was not saved. Check and try again."),
    "menu.publish": ("发布菜单到微信", "Publish menu to WeChat"),
    "menu.publish_title": ("发布菜单到微信：先看差异", "Publish the menu to WeChat: the difference first"),
    "menu.publish_intro": ("发布的是当前线上内容版本的菜单（与命令 menu publish 相同）。草稿中的修改需先发布内容。",
                           "This sends the live content version's menu (as the menu publish command does). "
                           "Changes in the draft need a content publish first."),
    "menu.no_changes": ("没有差异", "no changes"),
    "menu.published": ("菜单已发布到微信，客户端约 5 分钟内更新", "Menu published; WeChat clients pick it up within about 5 minutes"),
    "menu.same": ("微信已是这个菜单，未发送", "WeChat already serves this menu; nothing sent"),
    "menu.failed": ("发布失败：{error}", "Publishing failed: {error}"),
    "menu.no_api": ("未配置微信接口（WECHAT_APPID 和 WECHAT_SECRET），无法发布菜单", "The WeChat API is not "
                    "configured (WECHAT_APPID and WECHAT_SECRET): the menu cannot be published"),
    "menu.unreachable": ("无法连接微信接口：{error}", "Could not reach the WeChat API: {error}"),
    "menu.delete": ("删除", "Delete"), "menu.move_to": ("移到分组", "Move to group"), "menu.move": ("移动", "Move"),
    "menu.moved": ("子按钮已移到「{name}」", "Sub-button moved to \"{name}\""),
    "menu.full": ("（已满）", " (full)"),
    "menu.subs_count": ("{n}/{limit} 个子按钮", "{n}/{limit} sub-buttons"),
    "menu.drag_across": ("可拖动排序，或拖到其他分组", "Drag to reorder, or onto another group"),
})


def _page(status: int = 200):
    state = draft_state(console_services())
    data = load(state.draft.bundle.get(MENU_FILE, ""))
    buttons = counters(data)
    issues = issues_by_field(state.report, MENU_FILE)
    by_button = {(b.top, b.sub): [i for found in button_issues(issues, b.top, b.sub).values() for i in found]
                 for top in buttons for b in (top, *top.children)}
    elsewhere = [i for name, found in issues.items() if not name.startswith("buttons.") for i in found]
    answers = {(i, j): reply_row(item) for i, top in enumerate(data.get("buttons") or [])
               for j, item in ((None, top), *enumerate(top.get("sub_buttons") or []))
               if item.get("reply") or item.get("flow")}
    return render_template("console/pages/menu.html", buttons=buttons, state=state, problems=problems(data),
                           limits=LIMITS, by_button=by_button, issues=elsewhere, answers=answers), status


@bp.get("/menu")
@role_required("marketer")
def index():
    return _page()


@bp.post("/menu/transfer")
@role_required("marketer")
def transfer_button():
    """A sub-button into another group (dragged across, or the "move to group" select), at ``position`` or last."""
    svc = console_services()
    rev, top, sub, to = form_rev(), form_index("top"), form_index("sub"), form_index("to")
    position = form_index("position")
    if top is None or sub is None or to is None:
        abort(400)
    data = load(svc.drafts.load().bundle.get(MENU_FILE, ""))
    try:
        moved = transfer(data, top=top, sub=sub, to=to, position=position)
        save_changes(svc, {MENU_FILE: dump(moved)}, rev=rev, author=current_user.name)
    except MenuLimitError as exc:
        notify("error", LIMIT_MESSAGES[exc.limit])
        return _page(400)
    except MenuEditError:
        abort(400)
    except StaleDraft:
        notify("error", "menu.stale")
        return _page(409)
    notify("ok", "menu.moved", name=shown_name(moved["buttons"][to]))
    return redirect(url_for("console.menu.index") + f"#b{to}-top")


@bp.post("/menu/move")
@role_required("marketer")
def move_button():
    svc = console_services()
    rev, top, sub = form_rev(), form_index("top"), form_index("sub")
    try:
        delta = int(request.form.get("delta", ""))
    except ValueError:
        abort(400)
    if top is None or delta not in (-1, 1):
        abort(400)
    text = svc.drafts.load().bundle.get(MENU_FILE, "")
    try:
        moved = move(load(text), top=top, sub=sub, delta=delta)
        save_changes(svc, {MENU_FILE: dump(moved)}, rev=rev, author=current_user.name)
    except MenuEditError:
        abort(404)
    except StaleDraft:
        notify("error", "menu.stale")
    anchor = f"b{top}-{sub if sub is not None else 'top'}"
    return redirect(url_for("console.menu.index") + "#" + anchor)


@bp.post("/menu/reorder")
@role_required("marketer")
def reorder_buttons():
    """Drag and drop: a row (``group=top``) or one column (``group=sub-N``) in its new order, as old positions."""
    svc = console_services()
    rev, group = form_rev(), request.form.get("group", "")
    try:
        order = [int(position) for position in request.form.get("order", "").split(",")]
        top = None if group == "top" else int(group.removeprefix("sub-")) if group.startswith("sub-") else -1
    except ValueError:
        abort(400)
    if top == -1:
        abort(400)
    text = svc.drafts.load().bundle.get(MENU_FILE, "")
    try:
        save_changes(svc, {MENU_FILE: dump(reorder(load(text), top=top, order=order))}, rev=rev,
                     author=current_user.name)
    except MenuEditError:
        abort(400)
    except StaleDraft:
        notify("error", "menu.stale")
    return redirect(url_for("console.menu.index"))


@bp.post("/menu/count")
@role_required("marketer")
def count():
    """htmx: the byte counter of a name, key or url being typed (WeChat's byte limit, and where a phone cuts a
    name)."""
    field = request.form.get("field", "")
    if field in ("key", "url"):
        return render_template("console/pages/_menu_counter.html", n=nbytes(request.form.get(field, "")),
                               limit=LIMITS[f"{field}_bytes"], slot=field, cut=False, shown=0)
    lang = request.form.get("lang", "zh")
    if lang not in ("zh", "en"):
        abort(400)
    name = request.form.get(f"name_{lang}", "")
    top = request.form.get("level") == "top"
    limit = LIMITS["top_name_bytes" if top else "sub_name_bytes"]
    shown = (TOP_BUTTON_SHOWN if top else SUB_BUTTON_SHOWN)[lang]
    return render_template("console/pages/_menu_counter.html", n=nbytes(name), limit=limit, shown=shown,
                           cut=display_width(name, lang) > shown, slot=lang)


@bp.route("/menu/publish", methods=["GET", "POST"])
@role_required("marketer")
def publish():
    svc = console_services()
    if not svc.settings.outbound_enabled:
        notify("error", "menu.no_api")
        return redirect(url_for("console.menu.index"))
    try:
        if request.method == "POST":
            plan = plan_publish()
            sent = apply_plan(plan)
            if sent:
                svc.audit.record(current_user.name, "menu.publish", f"{len(plan.desired.get('button') or [])} buttons")
            notify("ok", "menu.published" if sent else "menu.same")
            return redirect(url_for("console.menu.publish"))
        draft = menu_from_content(plain(load(svc.drafts.load().bundle.get(MENU_FILE, ""))))
        sections = diff_sections(draft, "draft")
    except MenuError as exc:
        notify("error", "menu.failed", error="; ".join(exc.problems))
        return redirect(url_for("console.menu.index"))
    except (WeChatAPIError, OSError) as exc:
        notify("error", "menu.unreachable", error=type(exc).__name__)
        return redirect(url_for("console.menu.index"))
    return render_template("console/pages/menu_publish.html", sections=sections)

