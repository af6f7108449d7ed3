"""``flask --app app leads ...``: export leads, check a lead's delivery, list and retry dead letters."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click
from flask.cli import AppGroup

from cli.services import services
from leads import LeadStore, reconcile, retry_lead
from leads.browse import DELIVERY_STATES, SOURCE_KINDS, day_range
from leads.export import write_csv


def _store() -> LeadStore:
    return LeadStore(services().redis, services().keys)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ") if ts else "-"


@click.group("leads", cls=AppGroup)
def leads_group() -> None:
    """Export leads and manage their delivery to the CRM."""


@leads_group.command("export")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (inclusive).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day (inclusive).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="CSV file to write.")
@click.option("--utc-offset", default=8.0, show_default=True, help="Hours from UTC the days are counted in (China: 8).")
@click.option("--delivery", type=click.Choice(DELIVERY_STATES), default=None, help="Only leads in this delivery state.")
@click.option("--source", type=click.Choice(SOURCE_KINDS), default=None, help="Only leads from this kind of source.")
def export_command(start: datetime, end: datetime, out: str, utc_offset: float, delivery: str | None,
                   source: str | None) -> None:
    """Write leads created from --from to --to as CSV (UTF-8 with BOM, opens in Excel). Holds phone and email."""
    try:
        first, after, tz = day_range(start.date(), end.date(), utc_offset)
    except ValueError:
        raise click.BadParameter("--to is before --from") from None
    count = write_csv(_store(), first, after, out, tz, delivery=delivery or "", source=source or "")
    click.echo(f"{count} lead(s) written to {out}")


@leads_group.command("status")
@click.argument("lead_id")
def status_command(lead_id: str) -> None:
    """Show a lead's delivery state (no personal data)."""
    lead = _store().get(lead_id)
    if lead is None:
        raise click.ClickException(f"no lead {lead_id}")
    status = lead.status()
    for key in ("created_at", "updated_at", "delivered_at", "dead_at", "deleted_at"):
        status[key] = _when(status[key])
    click.echo(json.dumps(status, indent=2, ensure_ascii=False))


@leads_group.command("dead-letters")
def dead_letters_command() -> None:
    """List leads whose delivery gave up (after reconciling leads whose job died without saying so)."""
    reconcile(services().redis, services().settings, older_than=0)
    store = _store()
    dead = store.dead()
    if not dead:
        click.echo("no dead letters")
        return
    for lead_id, at in dead:
        lead = store.get(lead_id)
        attempts, error = (lead.attempts, lead.last_error) if lead else (0, "")
        click.echo(f"{lead_id}  dead since {_when(at)}  attempts={attempts}  last_error={error or '-'}")


@leads_group.command("retry")
@click.argument("lead_id", required=False)
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead letter.")
def retry_command(lead_id: str | None, retry_all: bool) -> None:
    """Queue a fresh delivery (full retry schedule) for one dead lead, or --all of them."""
    if bool(lead_id) == retry_all:
        raise click.UsageError("give a LEAD_ID or --all")
    if retry_all:
        reconcile(services().redis, services().settings, older_than=0)
        ids = [lead for lead, _ in _store().dead()]
    else:
        ids = [lead_id]
    done = 0
    for one in ids:
        if retry_lead(services().redis, services().settings, one) is None:
            click.echo(f"{one}: no such lead (or erased)", err=True)
            continue
        done += 1
        click.echo(f"{one}: queued")
    if not retry_all and not done:
        raise click.ClickException("nothing retried")
    click.echo(f"{done} lead(s) queued for delivery")


@leads_group.command("reconcile")
def reconcile_command() -> None:
    """Re-queue pending leads whose job vanished; dead-letter those whose job failed silently."""
    result = reconcile(services().redis, services().settings, older_than=0)
    click.echo(f"requeued {len(result['requeued'])}, dead-lettered {len(result['dead'])}")
