"""Keyword rules: the table from the draft's rules.yaml, the rule editor, and "which rule answers this?".

The table and editor read and write the draft through ``library.rules_editor`` (the file keeps its comments);
the checker judges each save. The "which rule" box runs the text through the app's real dispatch against the
compiled draft (``preview.explain``) with no side effects: a typed text, a tap on one of the draft menu's
buttons, or a follow / scan with a QR scene.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from analytics.counters import Analytics, today
from console.auth import role_required
from console.draft_content import draft_content, live_bot
from console.drafting import draft_state, save_changes
from console.drafts import StaleDraft
from console.fields import issues_by_field
from console.i18n import add_messages, current_lang, notify
from console.nav import add_nav
from console.services import console_services
from library.forms import append_item, apply_form, build_form, remove_item
from library.rules_editor import (MATCH_KINDS, RANDOM_KINDS, REPLY_KINDS, RuleEdit, RuleEditError, blank_reply,
                                  delete_rule, reply_kind_of, reply_section, rule_from_question, rule_index, rule_rows,
                                  save_rule)
from preview.explain import explain, menu_buttons

bp = Blueprint("rules", __name__)
add_nav("nav.rules", "console.rules.index", roles=("marketer",), order=20,
        match=("console.rules.index", "console.rules.edit"))
RULES_FILE = "rules.yaml"
UNMATCHED_DAYS = 30
QUESTION_MAX = 200
KEY_MAX = 128                 # WeChat's limit for a menu key; a QR scene is at most 64 characters
WHICH_KINDS = ("text", "click", "subscribe", "scan")

add_messages({
    "nav.rules": ("关键词规则", "Keyword rules"),
    "rules.title": ("关键词规则", "Keyword rules"),
    "rules.intro": ("规则按匹配方式依次检查：整句、指令、正则、包含；同一方式内优先级高者胜出。修改保存在草稿中，发布后才生效。",
                    "Rules are tried by kind: whole message, command, regex, then contains; within a kind the "
                    "higher priority wins. Edits go into the draft and are live only once published."),
    "rules.name": ("名称", "Name"), "rules.keywords": ("关键词", "Keywords"), "rules.match": ("匹配方式", "Match"),
    "rules.priority": ("优先级", "Priority"), "rules.reply": ("回复", "Reply"), "rules.actions": ("操作", "Actions"),
    "rules.match.exact": ("整句", "whole message"), "rules.match.contains": ("包含", "contains"),
    "rules.match.regex": ("正则", "regex"),
    "rules.match.command": ("指令（可多几个字）", "command (a few extra characters)"),
    "rules.new": ("新建规则", "New rule"), "rules.edit": ("编辑", "Edit"), "rules.delete": ("删除", "Delete"),
    "rules.save": ("保存到草稿", "Save to draft"), "rules.cancel": ("返回", "Back"),
    "rules.keywords_help": ("每行一个关键词；写成 contains:词 或 regex:^模式 可单独指定匹配方式。",
                            "One keyword per line; write contains:word or regex:^pattern to give one keyword its own kind."),
    "rules.reply_kind": ("回复类型", "Reply kind"),
    "rules.kind.text": ("文字", "Text"), "rules.kind.article": ("一篇文章", "One article"),
    "rules.kind.articles": ("多篇文章", "Several articles"), "rules.kind.message": ("消息模板", "Named message"),
    "rules.kind.flow": ("表单流程", "Flow"),
    "rules.kind.random": ("随机（从几条回复中随机选一条）", "Random (one of several replies, picked at random)"),
    "rules.random.title": ("随机回复的备选项", "The random reply's alternatives"),
    "rules.random.help": ("粉丝每次随机收到其中一条。可以增加、删除和修改备选项；保存后由检查器核对。",
                          "A follower gets one of these, picked at random. Add, remove and edit them; the checker "
                          "judges the result when you save."),
    "rules.random.one": ("备选 {n}", "Alternative {n}"),
    "rules.random.remove": ("删除备选 {n}", "Remove alternative {n}"),
    "rules.random.add_kind": ("新备选项的类型", "Kind of the new alternative"),
    "rules.random.add": ("增加备选项", "Add an alternative"),
    "rules.random.text_note": ("下面的文字与目标只在回复类型不是“随机”时使用。",
                               "The texts and target below are used only when the reply kind is not random."),
    "rules.saved_with_errors": ("规则「{name}」已保存到草稿，但有错误需要修正（见字段旁）",
                                "Rule \"{name}\" saved to the draft, with errors to fix (next to each field)"),
    "rules.text_zh": ("中文回复", "Reply (Chinese)"), "rules.text_en": ("英文回复", "Reply (English)"),
    "rules.target": ("文章 ID / 消息名 / 流程名（多篇文章用逗号分隔）",
                     "Article id / message name / flow name (several articles: comma separated)"),
    "rules.saved": ("规则「{name}」已保存到草稿", "Rule \"{name}\" saved to the draft"),
    "rules.deleted": ("规则「{name}」已从草稿删除", "Rule \"{name}\" deleted from the draft"),
    "rules.stale": ("草稿已被他人修改：您的修改未保存，请核对后重试。", "Someone saved the draft since you opened it: "
                    "your change was not saved. Check and try again."),
    "rules.draft_errors": ("草稿有错误，修正后才能试用和发布：", "The draft has errors; fix them to try it and publish:"),
    "which.title": ("哪条规则会回答？", "Which rule answers this?"),
    "which.text": ("粉丝发送的文字", "What a follower types"), "which.try": ("试一试", "Try it"),
    "which.by_text": ("输入文字", "A typed message"), "which.by_menu": ("点击菜单按钮", "A menu tap"),
    "which.by_event": ("扫码关注 / 扫码", "A QR code follow or scan"),
    "which.button": ("菜单按钮", "Menu button"), "which.tap": ("点这个按钮", "Tap this button"),
    "which.no_buttons": ("草稿菜单中没有点击类按钮。", "The draft menu has no click buttons."),
    "which.scene": ("二维码场景值（可留空）", "QR scene value (may be empty)"),
    "which.subscribe": ("关注（新粉丝）", "Follow (new follower)"),
    "which.scan": ("扫码（已关注）", "Scan (already following)"),
    "which.menu_key": ("菜单按钮「{name}」（{button_key}）的回复", "The reply of menu button \"{name}\" ({button_key})"),
    "which.menu_unknown": ("草稿菜单中没有按键 {button_key}：发送帮助文字", "The draft menu has no key {button_key}: the help text"),
    "which.scene_welcome": ("二维码场景「{scene}」的欢迎语", "The welcome of QR scene \"{scene}\""),
    "which.default_welcome": ("默认欢迎语（{message}）", "The default welcome ({message})"),
    "which.no_scene": ("场景「{scene}」没有自己的欢迎语", "Scene \"{scene}\" has no welcome of its own"),
    "which.flow_started": ("并开始表单「{flow}」", "and starts the form \"{flow}\""),
    "which.rule": ("关键词规则「{name}」", "Keyword rule \"{name}\""),
    "which.menu": ("菜单按钮名称「{name}」", "Menu button name \"{name}\""),
    "which.article": ("文章关键词（{name}）", "Article keyword ({name})"),
    "which.search": ("没有规则匹配：搜索找到文章", "No rule matched: search found an article"),
    "which.fallback": ("没有规则匹配，搜索也没有结果：发送兜底回复", "No rule and no search result: the fallback reply"),
    "which.other": ("由「{handler}」回答", "Answered by \"{handler}\""),
    "which.welcome": ("欢迎语", "Welcome"), "which.flow": ("表单流程", "Flow"),
    "which.detail": ("匹配方式：{kind}，关键词：{keyword}，优先级：{priority}",
                     "Matched as {kind} on keyword \"{keyword}\", priority {priority}"),
    "which.scores": ("搜索得分", "Search scores"), "which.sent": ("已发送", "sent"),
    "which.unavailable": ("草稿有错误，暂时无法试用。", "The draft has errors; fix them to try it."),
    "unmatched.title": ("没有回答的问题（近 30 天）", "Unanswered questions (last 30 days)"),
    "unmatched.count": ("次数", "Times"), "unmatched.make": ("据此新建规则", "Make a rule from this"),
    "unmatched.none": ("暂无没有回答的问题。", "No unanswered questions."),
})


def _unmatched(limit: int = 20) -> list[tuple[str, int]]:
    svc = console_services()
    last = today()
    report = Analytics(svc.keys).report(svc.redis, last - dt.timedelta(days=UNMATCHED_DAYS - 1), last)
    return report.unmatched.most_common(limit)


@bp.get("/rules")
@role_required("marketer")
def index():
    state = draft_state(console_services())
    try:
        rows = rule_rows(state.draft.bundle.get(RULES_FILE, ""))
    except RuleEditError:
        rows = []
    problems = issues_by_field(state.report, RULES_FILE)
    row_issues = {row.index: [i for name, issues in problems.items()
                              if name == f"rules.{row.index}" or name.startswith(f"rules.{row.index}.")
                              for i in issues] for row in rows}
    return render_template("console/pages/rules.html", rows=rows, row_issues=row_issues, state=state,
                           unmatched=_unmatched(), file_issues=problems.get("_file", []),
                           buttons=menu_buttons(state.report.tree), scenes=sorted(state.report.tree.scenes))


def _edit_from_form(form) -> RuleEdit:
    try:
        priority = int(form.get("priority") or 0)
    except ValueError:
        raise RuleEditError("priority", "priority must be a whole number") from None
    kinds = [k.strip() for k in (form.get("random_kinds") or "").split(",") if k.strip()]
    return RuleEdit(name=form.get("name", ""), keywords=form.get("keywords", "").splitlines(),
                    match=form.get("match", "exact"), priority=priority, reply_kind=form.get("reply_kind", "text"),
                    text_zh=form.get("text_zh", ""), text_en=form.get("text_en", ""), target=form.get("target", ""),
                    random_kinds=kinds)


def reply_form_values(row) -> dict[str, str]:
    """A rule's (or menu button's) reply as the editor's form fields; the menu editor uses it too."""
    reply = row.reply.get(row.reply_kind)
    alternatives = reply if row.reply_kind == "random" and isinstance(reply, list) else []
    first_text = next((a["text"] for a in alternatives if reply_kind_of(a) == "text" and isinstance(a["text"], dict)),
                      {})
    text = reply if row.reply_kind == "text" and isinstance(reply, dict) else first_text
    target = ", ".join(reply) if isinstance(reply, list) and row.reply_kind == "articles" else (
        "" if isinstance(reply, (dict, list)) or reply is None else str(reply))
    return {"name": row.name, "keywords": "\n".join(row.keywords), "match": row.match, "priority": str(row.priority),
            "reply_kind": row.reply_kind, "text_zh": text.get("zh", ""), "text_en": text.get("en", ""),
            "target": target, "original": row.name}


def _alternatives(text: str, name: str):
    """The random reply's alternatives of rule ``name`` in ``text`` as generated form groups, with their kinds."""
    try:
        section = reply_section(rule_index(text, name))
    except RuleEditError:
        return None, []
    form = build_form(section, text)
    group = next((c for c in form.children if c.path[-1] == "random"), None)
    if group is None:
        return None, []
    return group.children, [reply_kind_of({c.path[-1]: None for c in alt.children}) for alt in group.children]


def _render_edit(form: dict, rev: int, text: str, *, error=None, issues=None, status: int = 200):
    name = (form.get("name") or "").strip() if form.get("reply_kind") == "random" else ""
    alternatives, kinds = _alternatives(text, name) if name else (None, [])
    return render_template("console/pages/rule_edit.html", form=form, rev=rev, error=error, kinds=MATCH_KINDS,
                           reply_kinds=REPLY_KINDS, random_kinds=RANDOM_KINDS, alternatives=alternatives,
                           alternative_kinds=kinds, issues=issues or {}), status


def _with_alternatives(text: str, edit: RuleEdit, posted) -> str:
    """``text`` with the random alternatives' values as posted (the generated form of the rule's reply)."""
    if edit.reply_kind != "random" or not edit.random_kinds:
        return text
    return apply_form(reply_section(rule_index(text, edit.name.strip())), text, posted).text


def _random_op(text: str, edit: RuleEdit, op: str, add_kind: str) -> str:
    """Add or remove one alternative (``add`` / ``remove:<n>``) in ``text``; nothing is saved."""
    path = reply_section(rule_index(text, edit.name.strip())).path + ("random",)
    try:
        if op == "add":
            return append_item(text, path, blank_reply(add_kind))
        return remove_item(text, path, int(op.removeprefix("remove:")))
    except ValueError as exc:
        raise RuleEditError("random", str(exc)) from None


def _rule_issues(report, text: str, name: str) -> dict[str, list]:
    try:
        prefix = f"rules.{rule_index(text, name)}"
    except RuleEditError:
        return {}
    return {field: found for field, found in issues_by_field(report, RULES_FILE).items()
            if field == prefix or field.startswith(prefix + ".")}


@bp.route("/rules/edit", methods=["GET", "POST"])
@role_required("marketer")
def edit():
    svc = console_services()
    state = draft_state(svc)
    text = state.draft.bundle.get(RULES_FILE, "")
    if request.method == "POST":
        form = request.form.to_dict()
        original = form.get("original") or None
        op = form.get("random_op", "")
        try:
            rev = int(form.get("rev", ""))
        except ValueError:
            abort(400)
        if op and op != "add" and not op.startswith("remove:"):
            abort(400)
        new_text = text
        try:
            rule = _edit_from_form(request.form)
            new_text = _with_alternatives(save_rule(text, rule, original), rule, request.form)
            if op:          # add or remove an alternative: shown, saved with the rest on "save"
                if rev != state.draft.rev:
                    raise StaleDraft(svc.drafts.load())
                new_text = _random_op(new_text, rule, op, form.get("random_add_kind", ""))
                form["reply_kind"] = "random"
                return _render_edit(form, rev, new_text)
            state = save_changes(svc, {RULES_FILE: new_text}, rev=rev, author=current_user.name)
        except RuleEditError as exc:
            return _render_edit(form, rev, text, error=(exc.field, str(exc)), status=400)
        except StaleDraft:
            notify("error", "rules.stale")      # the submitted values stay on screen, alternatives included
            return _render_edit(form, svc.drafts.load().rev, new_text, status=409)
        name = rule.name.strip()
        if any(i.is_error for found in _rule_issues(state.report, new_text, name).values() for i in found):
            notify("error", "rules.saved_with_errors", name=name)
            return redirect(url_for("console.rules.edit", name=name))
        notify("ok", "rules.saved", name=form.get("name", ""))
        return redirect(url_for("console.rules.index"))
    name = request.args.get("name")
    if name:
        row = next((r for r in rule_rows(text) if r.name == name), None)
        if row is None:
            abort(404)
        form = reply_form_values(row)
        return _render_edit(form, state.draft.rev, text, issues=_rule_issues(state.report, text, name))
    question = (request.args.get("q") or "")[:QUESTION_MAX]
    new = rule_from_question(question) if question.strip() else RuleEdit("", [])
    form = {"name": new.name, "keywords": "\n".join(new.keywords), "match": new.match, "priority": "0",
            "reply_kind": "text", "text_zh": "", "text_en": "", "target": "", "original": ""}
    return _render_edit(form, state.draft.rev, text)


@bp.post("/rules/delete")
@role_required("marketer")
def delete():
    svc = console_services()
    name = request.form.get("name", "")
    try:
        rev = int(request.form.get("rev", ""))
    except ValueError:
        abort(400)
    try:
        new_text = delete_rule(svc.drafts.load().bundle.get(RULES_FILE, ""), name)
        save_changes(svc, {RULES_FILE: new_text}, rev=rev, author=current_user.name)
    except RuleEditError:
        abort(404)
    except StaleDraft:
        notify("error", "rules.stale")
        return redirect(url_for("console.rules.index"))
    notify("ok", "rules.deleted", name=name)
    return redirect(url_for("console.rules.index"))


@bp.post("/rules/which")
@role_required("marketer")
def which():
    """htmx: the route a text, a menu tap or a follow/scan takes through the real dispatch against the draft."""
    kind = request.form.get("kind") or "text"
    if kind not in WHICH_KINDS:
        abort(400)
    text = (request.form.get("text") or "")[:QUESTION_MAX]
    key = (request.form.get("key") or "").strip()[:KEY_MAX]
    content, report = draft_content(console_services())
    if content is None:
        return render_template("console/pages/_which.html", route=None, errors=report.errors, text=text)
    if kind == "text":
        route = explain(live_bot(), content, text=text) if text.strip() else None
    elif kind == "click":
        if not key:
            abort(400)
        route = explain(live_bot(), content, event="click", key=key)
    else:       # a new follower's subscribe carries qrscene_<scene>; a follower's scan the scene itself
        route = explain(live_bot(), content, event=kind, key=f"qrscene_{key}" if kind == "subscribe" and key else key)
    names = content.button_names.get(key, {}) if kind == "click" else {}
    return render_template("console/pages/_which.html", route=route, errors=[], text=text, kind=kind,
                           asked=key, button=names.get(current_lang()) or key)
