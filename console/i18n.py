"""The console's words in Chinese (default) and English, chosen per user.

A page module adds its own words with ``add_messages({...})`` at import, so pages never edit one shared
dict; templates call ``t("key")`` (or ``t("key", n=3)`` for ``{n}`` placeholders). A key missing in the
chosen language falls back to the other, then to the key itself, so a forgotten entry shows, never fails.
"""
from __future__ import annotations

from flask import flash, g, has_request_context

DEFAULT_LANG = "zh"
_CATALOGUE: dict[str, dict[str, str]] = {}


def add_messages(messages: dict[str, tuple[str, str]]) -> None:
    """Register ``{key: (zh, en)}``; a key registered twice with different words is a bug, so it raises."""
    for key, (zh, en) in messages.items():
        if key in _CATALOGUE and _CATALOGUE[key] != {"zh": zh, "en": en}:
            raise ValueError(f"console message {key!r} is defined twice")
        _CATALOGUE[key] = {"zh": zh, "en": en}


def current_lang() -> str:
    return getattr(g, "lang", DEFAULT_LANG) if has_request_context() else DEFAULT_LANG


def t(key: str, /, **values: object) -> str:
    entry = _CATALOGUE.get(key)
    if entry is None:
        return key
    lang = current_lang()
    text = entry.get(lang) or entry.get("zh" if lang == "en" else "en") or key
    return text.format(**values) if values else text


def notify(kind: str, key: str, **values: object) -> None:
    """Show ``t(key, **values)`` on the next page; ``kind`` is ok, error or warning."""
    flash((kind, key, values))


add_messages({
    "app.title": ("公众号内容控制台", "Account console"),
    "nav.home": ("首页", "Home"),
    "nav.articles": ("文章", "Articles"),
    "nav.drafts": ("草稿与发布", "Draft & publish"),
    "nav.versions": ("版本", "Versions"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.users": ("用户", "Users"),
    "nav.logout": ("退出", "Log out"),
    "nav.lang": ("English", "中文"),
    "nav.menu": ("菜单", "Menu"),
    "login.title": ("登录", "Log in"),
    "login.name": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.limited": ("尝试次数过多，请稍后再试", "Too many attempts; try again in a minute"),
    "login.expired": ("长时间未操作，请重新登录", "You were idle too long; please log in again"),
    "login.required": ("请先登录", "Please log in"),
    "error.forbidden": ("您的角色无权访问此页面", "Your role cannot open this page"),
    "error.csrf": ("表单已过期或来源无效，请刷新页面后重试（内容未保存）",
                   "The form expired or came from elsewhere; reload the page and try again (nothing was saved)"),
    "error.not_found": ("未找到", "Not found"),
    "home.title": ("欢迎", "Welcome"),
    "home.live": ("线上版本", "Live version"),
    "home.draft": ("草稿修订号", "Draft revision"),
    "home.problems": ("草稿问题", "Problems in the draft"),
    "role.marketer": ("市场", "Marketer"),
    "role.sales": ("销售", "Sales"),
    "role.admin": ("管理员", "Admin"),
    "common.save": ("保存草稿", "Save draft"),
    "common.saved": ("已保存到草稿（修订 {rev}）", "Saved to the draft (revision {rev})"),
    "common.errors": ("{n} 个错误", "{n} error(s)"),
    "common.warnings": ("{n} 个提示", "{n} warning(s)"),
    "common.none": ("无", "none"),
    "draft.stale": ("{author} 在您打开此页后保存了草稿（修订 {rev}）。您的修改没有保存，仍在下方表单中：请复制后刷新页面再改。",
                    "{author} saved the draft (revision {rev}) after you opened this page. Your changes were NOT "
                    "saved and are still in the form below: copy them, reload, and apply them again."),
    "draft.based_on": ("草稿基于版本 {base}；线上版本 {live}", "Draft based on version {base}; live is {live}"),
    "draft.discard": ("放弃草稿", "Discard draft"),
    "draft.discarded": ("草稿已重置为线上版本", "The draft is reset to the live version"),
    "draft.clean": ("草稿与线上版本相同", "The draft is the same as the live version"),
    "publish.title": ("发布草稿", "Publish the draft"),
    "publish.note": ("说明（改了什么）", "Note (what changed)"),
    "publish.note_required": ("请填写说明", "Write a note saying what changed"),
    "publish.submit": ("发布", "Publish"),
    "publish.refused": ("草稿有错误，不能发布", "The draft has errors, so it cannot be published"),
    "publish.done": ("已发布版本 {n}", "Published version {n}"),
    "publish.nothing": ("没有可发布的修改", "Nothing to publish"),
    "publish.diff": ("与线上版本的差异", "Changes against the live version"),
    "versions.title": ("版本", "Versions"),
    "versions.number": ("版本", "Version"),
    "versions.author": ("作者", "Author"),
    "versions.time": ("时间", "Time"),
    "versions.note": ("说明", "Note"),
    "versions.live": ("线上", "live"),
    "versions.rollback": ("回滚到此版本", "Roll back to this"),
    "versions.rolled_back": ("版本 {n} 已上线", "Version {n} is live"),
    "versions.diff": ("比较", "Compare"),
    "versions.from": ("从", "From"),
    "versions.to": ("到", "To"),
    "versions.no_diff": ("没有差异", "No differences"),
    "draft.stale_discard": ("草稿在您打开此页后已被修改，未放弃", "The draft changed after you opened this page; not discarded"),
    "draft.title": ("草稿", "Draft"),
    "draft.rev": ("修订 {rev}，{author} 于 {at} 保存", "Revision {rev}, saved by {author} at {at}"),
    "draft.changes": ("与线上版本相比的修改", "Changes against the live version"),
    "draft.behind": ("线上版本已变为 {live}（草稿基于 {base}）：发布会用草稿替换线上内容",
                     "The live version is now {live} (the draft started from {base}): publishing replaces it with the draft"),
    "draft.problems": ("检查结果", "Checker results"),
    "draft.ok": ("没有错误", "No errors"),
    "publish.stale": ("草稿在您打开此页后已被修改：请查看新的差异后再发布",
                      "The draft changed after you opened this page: review the new diff, then publish"),
    "publish.errors_first": ("先修正以下错误", "Fix these errors first"),
    "versions.rollback_invalid": ("版本 {n} 不能通过当前检查，未回滚", "Version {n} fails today's checks; not rolled back"),
    "versions.confirm": ("确定让版本 {n} 上线？", "Make version {n} live?"),
    "audit.all": ("全部", "All"),
    "audit.filter": ("筛选", "Filter"),
    "audit.title": ("审计日志", "Audit log"),
    "audit.who": ("用户", "Who"),
    "audit.what": ("操作", "What"),
    "audit.detail": ("详情", "Detail"),
    "audit.when": ("时间", "When"),
})
