"""``flask --app app analytics report --from 2026-01-01 --to 2026-01-31``: what followers asked and tapped."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from analytics.counters import Analytics, today
from cli.services import services


@click.group("analytics", cls=AppGroup)
def analytics_group() -> None:
    """Counters of messages, rules, menu clicks and searches."""


def _date(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from None


@analytics_group.command("report")
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD (default: 7 days ago).")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (default: today, China time).")
@click.option("--top", default=10, show_default=True, help="How many rules, buttons and questions to list.")
def report_command(start: str | None, end: str | None, top: int) -> None:
    """Print top rules, menu clicks, search hit rate and unmatched questions for a date range."""
    last = _date(end, today())
    first = _date(start, last - dt.timedelta(days=6))
    if first > last:
        raise click.BadParameter("--from is after --to")
    if (last - first).days > 366:
        raise click.BadParameter("at most a year per report")
    report = Analytics(services().keys).report(services().redis, first, last)
    click.echo("\n".join(report.lines(top)))
