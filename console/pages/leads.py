"""Leads, for sales and admins only (marketers never see phone numbers or emails): list with filters, a lead's
delivery story, retry of a dead letter, CSV export, erasure on request and the audit trail.

Everything is the CLI's code: ``leads.browse`` (filters, the export's day range), ``leads.export`` (the very
rows ``leads export`` writes), ``leads.retry_lead``, and ``privacy.requests`` (the same erasure as "delete my
data"). The console's audit log records exports, retries and erasures with ids and counts only.
"""
from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from analytics.counters import CHINA
from console.auth import role_required
from console.dates import requested_range
from console.i18n import add_messages, notify
from console.nav import add_nav
from console.services import console_services
from leads import retry_lead
from leads.browse import (DELIVERY_STATES, SCAN_MAX, SOURCE_KINDS, day_range, lead_story,
                          page_of_leads)
from leads.export import write_rows
from leads.store import LeadStore
from privacy.requests import UnknownLead, erase_on_request, erasure_requests, request_counts

bp = Blueprint("leads", __name__)
add_nav("nav.leads", "console.leads.index", roles=("sales",), order=60,
        match=("console.leads.index", "console.leads.detail"))
add_nav("nav.erasures", "console.leads.erasures", roles=("sales",), order=65)
DEFAULT_DAYS = 30

add_messages({
    "nav.leads": ("销售线索", "Leads"), "nav.erasures": ("删除请求", "Erasures"),
    "leads.title": ("销售线索", "Leads"),
    "leads.from": ("开始日期", "From"), "leads.to": ("结束日期", "To"), "leads.delivery": ("投递状态", "Delivery"),
    "leads.source": ("来源", "Source"), "leads.any": ("全部", "Any"), "leads.filter": ("筛选", "Filter"),
    "leads.export": ("导出 CSV（Excel）", "Export CSV (Excel)"),
    "leads.id": ("线索 ID", "Lead id"), "leads.created": ("创建时间", "Created"), "leads.name": ("姓名", "Name"),
    "leads.company": ("公司", "Company"), "leads.contact": ("联系方式", "Contact"), "leads.need": ("需求", "Need"),
    "leads.none": ("这个范围内没有线索。", "No leads in this range."),
    "leads.count": ("共 {n} 条", "{n} lead(s)"),
    "leads.count_capped": ("至少 {n} 条（只筛选了最新的 {scanned} 条，请缩小日期范围）",
                           "At least {n} lead(s) (only the newest {scanned} were filtered: narrow the dates)"),
    "leads.pages": ("分页", "Pages"), "leads.page_of": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "leads.prev": ("上一页", "Previous"), "leads.next": ("下一页", "Next"),
    "leads.state.pending": ("待投递", "pending"), "leads.state.delivered": ("已投递", "delivered"),
    "leads.state.failed": ("投递失败", "failed"), "leads.state.deleted": ("已删除", "erased"),
    "leads.source.menu": ("菜单", "menu"), "leads.source.keyword": ("关键词", "keyword"),
    "leads.source.scene": ("二维码", "QR code"), "leads.source.unknown": ("未知", "unknown"),
    "leads.bad_range": ("日期范围无效（最多一年）", "Invalid date range (a year at most)"),
    "lead.title": ("线索 {id}", "Lead {id}"), "lead.delivery": ("投递到 CRM", "Delivery to the CRM"),
    "lead.attempts": ("尝试次数：{n}", "Attempts: {n}"), "lead.last_error": ("最近错误：{error}", "Last error: {error}"),
    "lead.dead": ("已放弃投递（死信）", "Delivery gave up (dead letter)"),
    "lead.retry": ("重新投递", "Retry delivery"), "lead.retried": ("已重新排队投递", "Queued for delivery again"),
    "lead.submissions": ("提交记录", "Submissions"), "lead.events": ("审计记录", "Audit trail"),
    "lead.erase": ("按请求删除此粉丝的全部数据", "Erase this follower's data on request"),
    "lead.erase_confirm": ("确认删除？此操作不可撤销，CRM 也会收到删除通知。",
                           "Erase? This cannot be undone; the CRM is told to forget the lead(s) too."),
    "lead.erased": ("已删除 {n} 条线索的数据", "Erased the data of {n} lead(s)"),
    "lead.gone": ("该线索不存在或已删除", "No such lead, or already erased"),
    "erasures.title": ("删除请求与审计记录", "Erasure requests and audit trail"),
    "erasures.intro": ("仅记录线索 ID 和数量，不含任何个人信息。", "Ids and counts only: no personal data."),
    "erasures.channel": ("渠道", "Channel"), "erasures.leads": ("线索数", "Leads"), "erasures.ids": ("线索 ID", "Lead ids"),
    "erasures.when": ("时间", "When"),
    "erasures.how": ("删除请求一提出即执行（粉丝在微信中发送“删除我的数据”、销售代为提出或超过保留期限）；"
                     "之后还需通知 CRM 删除每条线索。“处理中”表示通知仍在排队或重试，“失败”表示通知已放弃重试。",
                     "An erasure is carried out as soon as it is asked for (the follower's \"delete my data\" in "
                     "WeChat, sales on request, or the retention period); then the CRM is told to forget each lead. "
                     "\"Pending\": a notice is still queued or retrying; \"failed\": a notice gave up."),
    "erasures.state": ("状态", "State"),
    "erasures.state.pending": ("处理中", "pending"), "erasures.state.failed": ("失败", "failed"),
    "erasures.state.done": ("已完成", "done"),
    "erasures.counts": ("处理中 {pending} · 失败 {failed} · 已完成 {done}", "Pending {pending} · failed {failed} · done {done}"),
    "erasures.channel.wechat": ("粉丝（微信）", "follower (WeChat)"), "erasures.channel.console": ("销售代为提出", "sales, on request"),
    "erasures.channel.retention": ("超过保留期限", "retention period"), "erasures.event": ("事件", "Event"), "erasures.none": ("暂无记录。", "Nothing yet."),
})


def _store() -> LeadStore:
    svc = console_services()
    return LeadStore(svc.redis, svc.keys)


@bp.app_template_filter("lead_time")
def lead_time(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, CHINA).strftime("%Y-%m-%d %H:%M") if timestamp else ""


def _filters() -> tuple[str, str]:
    delivery = request.args.get("delivery", "")
    source = request.args.get("source", "")
    return (delivery if delivery in DELIVERY_STATES else "", source if source in SOURCE_KINDS else "")


@bp.get("/leads")
@role_required("sales")
def index():
    first, last, valid = requested_range(DEFAULT_DAYS)
    delivery, source = _filters()
    try:
        number = max(1, int(request.args.get("page") or 1))
    except ValueError:
        number = 1
    start, end, _ = day_range(first, last)
    page = page_of_leads(_store(), start, end, delivery=delivery, source=source, page=number)
    # Every link (pages, export) carries the same filters, so paging never drops them.
    query = {"from": first.isoformat(), "to": last.isoformat(), "delivery": delivery, "source": source}
    query = {k: v for k, v in query.items() if v}
    return render_template("console/pages/leads.html", page=page, leads=page.leads, first=first, last=last,
                           valid=valid, delivery=delivery, source=source, states=DELIVERY_STATES,
                           sources=SOURCE_KINDS, query=query, scan_max=SCAN_MAX)


@bp.get("/leads/export.csv")
@role_required("sales")
def export():
    first, last, valid = requested_range(DEFAULT_DAYS)
    if not valid:
        abort(400)
    delivery, source = _filters()
    start, end, tz = day_range(first, last)
    out = io.StringIO()
    # the rows `flask --app app leads export --delivery ... --source ...` writes: every match, not one page
    count = write_rows(_store(), start, end, out, tz, delivery=delivery, source=source)
    filters = "".join(f", {name}={value}" for name, value in (("delivery", delivery), ("source", source)) if value)
    console_services().audit.record(current_user.name, "leads.export",
                                    f"{count} lead(s), {first.isoformat()}..{last.isoformat()}{filters}")
    name = f"leads-{first.isoformat()}-{last.isoformat()}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/leads/<lead_id>")
@role_required("sales")
def detail(lead_id: str):
    story = lead_story(_store(), lead_id[:64])
    if story is None:
        abort(404)
    return render_template("console/pages/lead.html", story=story)


@bp.post("/leads/<lead_id>/retry")
@role_required("sales")
def retry(lead_id: str):
    svc = console_services()
    if retry_lead(svc.redis, svc.settings, lead_id[:64]) is None:
        notify("error", "lead.gone")
        return redirect(url_for("console.leads.index"))
    svc.audit.record(current_user.name, "leads.retry", lead_id)
    notify("ok", "lead.retried")
    return redirect(url_for("console.leads.detail", lead_id=lead_id))


@bp.post("/leads/<lead_id>/erase")
@role_required("sales")
def erase(lead_id: str):
    svc = console_services()
    try:
        erased = erase_on_request(svc.redis, svc.settings, lead_id[:64])
    except UnknownLead:
        notify("error", "lead.gone")
        return redirect(url_for("console.leads.index"))
    svc.audit.record(current_user.name, "leads.erase", f"{len(erased)} lead(s): {', '.join(erased)}")
    notify("ok", "lead.erased", n=len(erased))
    return redirect(url_for("console.leads.erasures"))


@bp.get("/leads/erasures")
@role_required("sales")
def erasures():
    svc = console_services()
    trail = [e for e in _store().audit_entries(300) if e.get("event") != "data.erased"]
    requests = erasure_requests(svc.redis, svc.settings)
    return render_template("console/pages/erasures.html", requests=requests, counts=request_counts(requests),
                           trail=trail)
