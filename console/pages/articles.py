"""Articles: the list (search, tag, language, missing translation) and the side-by-side zh/en editor with
the news card in a phone frame, display-limit counters and a Markdown preview, updated while typing (htmx).

Saving writes the two Markdown files into the draft; the checker's problems come back next to each field.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from console.articles import (FIELDS, LANGS, ArticleForm, article_rows, card, counters, field_problems, filter_rows,
                              path_of, render_markdown)
from console.auth import role_required
from console.drafting import DraftState, draft_state, save_changes
from console.drafts import StaleDraft
from console.fields import add_issue_link
from console.i18n import add_messages, notify
from console.nav import add_nav
from console.services import console_services
from library.issues import Issue
from library.models import ARTICLE_ID

bp = Blueprint("articles", __name__)
add_nav("nav.articles", "console.articles.index", roles=("marketer",), order=10)
add_messages({
    "articles.title": ("文章", "Articles"),
    "articles.search": ("搜索", "Search"),
    "articles.tag": ("标签", "Tag"),
    "articles.lang": ("语言", "Language"),
    "articles.any": ("全部", "Any"),
    "articles.missing": ("缺少译文", "Missing translation"),
    "articles.filter": ("筛选", "Filter"),
    "articles.count": ("{n} 篇文章", "{n} article(s)"),
    "articles.id": ("ID", "ID"),
    "articles.problems": ("问题", "Problems"),
    "articles.new": ("新文章", "New article"),
    "articles.new_id": ("文章 ID（小写英文单词用连字符连接，如 wechat-education）",
                        "Article id (lowercase words joined by hyphens, e.g. wechat-education)"),
    "articles.bad_id": ("ID 只能是小写英文单词加连字符", "An id is lowercase ASCII words joined by hyphens"),
    "articles.exists": ("已有此 ID 的文章", "An article with this id exists"),
    "articles.create": ("创建", "Create"),
    "articles.edit": ("编辑文章 {id}", "Edit article {id}"),
    "articles.lang_zh": ("中文", "Chinese"),
    "articles.lang_en": ("英文", "English"),
    "articles.absent": ("此语言还没有文件：填写后保存即创建", "No file in this language yet: fill it in and save to create it"),
    "field.title": ("标题", "Title"),
    "field.summary": ("摘要", "Summary"),
    "field.url": ("文章链接 (https://)", "Article URL (https://)"),
    "field.image": ("封面图片链接 (https://)", "Cover image URL (https://)"),
    "field.tags": ("标签（逗号分隔）", "Tags (comma separated)"),
    "field.date": ("日期", "Date"),
    "field.keywords": ("关键词（逗号分隔）", "Keywords (comma separated)"),
    "field.body": ("正文 (Markdown)", "Body (Markdown)"),
    "counter.chars": ("{chars}/{limit} 字", "{chars}/{limit} characters"),
    "counter.width": ("手机显示约 {shown} 宽，现 {width:g}", "a phone shows about {shown}, this is {width:g}"),
    "counter.over": ("超出上限", "over the limit"),
    "counter.cut": ("手机上会被截断", "a phone cuts it"),
    "preview.title": ("手机预览", "Phone preview"),
    "preview.reply": ("回复消息时（单图文）", "As a reply (one card)"),
    "preview.list": ("点击菜单时（多图文中的一条）", "In a menu reply (one of several)"),
    "preview.body": ("正文预览", "Body preview"),
    "articles.saved": ("已保存到草稿（修订 {rev}）", "Saved to the draft (revision {rev})"),
    "articles.unchanged": ("没有修改", "No changes to save"),
    "articles.has_errors": ("已保存，但有 {n} 个错误：修正后才能发布", "Saved, but {n} error(s): fix them before publishing"),
})


def _article_issue_link(issue: Issue, field: str) -> str | None:
    parts = issue.file.split("/")
    if len(parts) != 3 or parts[0] != "articles" or not parts[2].endswith(".md") or not ARTICLE_ID.match(parts[2][:-3]):
        return None
    name = field.split(".")[0]                       # keywords.3 -> the keywords input
    anchor = f"{parts[1]}-{name}" if name in FIELDS + ("body",) else f"lang-{parts[1]}"
    return url_for("console.articles.edit", article_id=parts[2][:-3]) + "#" + anchor


add_issue_link(_article_issue_link)


def _problems(state: DraftState, article_id: str) -> dict[str, Any]:
    return field_problems(state.report, article_id)


def _article_exists(bundle: dict[str, str], article_id: str) -> bool:
    return any(path_of(article_id, lang) in bundle for lang in LANGS)


@bp.get("/articles")
@role_required("marketer")
def index():
    state = draft_state(console_services())
    rows = article_rows(state.draft.bundle, state.report)
    args = request.args
    shown = filter_rows(rows, query=args.get("q", ""), tag=args.get("tag", ""), lang=args.get("lang", ""),
                        missing=bool(args.get("missing")))
    tags = sorted({tag for row in rows for tag in row.tags})
    return render_template("console/articles.html", rows=shown, total=len(rows), tags=tags, args=args)


@bp.route("/articles/new", methods=["GET", "POST"])
@role_required("marketer")
def new():
    article_id, problem = request.form.get("id", "").strip(), None
    if request.method == "POST":
        if not ARTICLE_ID.match(article_id):
            problem = "articles.bad_id"
        elif _article_exists(console_services().drafts.load().bundle, article_id):
            problem = "articles.exists"
        else:
            return redirect(url_for(".edit", article_id=article_id, new=1))
    return render_template("console/article_new.html", article_id=article_id, problem=problem), 400 if problem else 200


def _render_editor(state: DraftState, form: ArticleForm, *, status: int = 200, stale: Any = None,
                   rev: int | None = None) -> Any:
    """The editor page. A stale form keeps its old ``rev``: saving it again is refused again, until a reload."""
    return render_template("console/article_edit.html", form=form, rev=rev if rev is not None else state.draft.rev,
                           problems=_problems(state, form.article_id), counters={l: counters(v) for l, v in form.variants.items()},
                           cards={l: card(v) for l, v in form.variants.items()},
                           bodies={l: render_markdown(v.body) for l, v in form.variants.items()},
                           stale=stale, langs=LANGS), status


@bp.get("/articles/<article_id>")
@role_required("marketer")
def edit(article_id: str):
    if not ARTICLE_ID.match(article_id):
        abort(404)
    state = draft_state(console_services())
    if not _article_exists(state.draft.bundle, article_id) and not request.args.get("new"):
        abort(404)
    return _render_editor(state, ArticleForm.from_bundle(state.draft.bundle, state.report, article_id))


@bp.post("/articles/<article_id>")
@role_required("marketer")
def save(article_id: str):
    if not ARTICLE_ID.match(article_id):
        abort(404)
    svc = console_services()
    try:
        rev = int(request.form.get("rev", ""))
    except ValueError:
        abort(400)
    draft = svc.drafts.load()
    form = ArticleForm.from_form(request.form, article_id, draft.bundle)
    changes = form.changes(draft.bundle)
    if draft.rev != rev:
        # Someone saved since this form was loaded: keep the submitted text on screen, save nothing.
        state = draft_state(svc)
        return _render_editor(state, form, status=409, stale=state.draft, rev=rev)
    if not changes:
        notify("ok", "articles.unchanged")
        return redirect(url_for(".edit", article_id=article_id), 303)
    try:
        state = save_changes(svc, changes, rev=rev, author=current_user.name)
    except StaleDraft as exc:
        return _render_editor(draft_state(svc), form, status=409, stale=exc.current, rev=rev)
    errors = sum(len([i for i in issues if i.is_error]) for per_lang in _problems(state, article_id).values()
                 for issues in per_lang.values())
    if errors:
        notify("error", "articles.has_errors", n=errors)
    else:
        notify("ok", "articles.saved", rev=state.draft.rev)
    return redirect(url_for(".edit", article_id=article_id), 303)


@bp.post("/articles/<article_id>/preview")
@role_required("marketer")
def preview(article_id: str):
    """The card, counters and body preview for the form as typed (htmx, while typing); saves nothing."""
    if not ARTICLE_ID.match(article_id):
        abort(404)
    form = ArticleForm.from_form(request.form, article_id, {})
    return render_template("console/_article_preview.html", form=form, langs=LANGS,
                           counters={l: counters(v) for l, v in form.variants.items()},
                           cards={l: card(v) for l, v in form.variants.items()},
                           bodies={l: render_markdown(v.body) for l, v in form.variants.items()}, oob=True)
