"""``flask --app app worker`` and ``jobs dead-letters|retry|retry-all``: the job worker and its dead letters."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from cli.errors import friendly
from cli.services import services
from leads import RENAMED_JOBS
from leads.alerts import open_live_content
from leads.delivery import start_reconciler
from privacy.aof import start_aof_rewriter
from privacy.retention import start_retention
from wechat.jobs import dead_letters, retry_all_dead_letters, retry_dead_letter, run_worker


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
@with_appcontext
@friendly
def worker_command(burst: bool) -> None:
    """Run the job worker (template and customer-service messages, CRM delivery) with its scheduler."""
    settings = services().settings
    housekeeping = [] if burst else [
        start_reconciler(settings),    # re-queue leads whose delivery job vanished, once a minute
        start_retention(settings),     # erase leads older than LEADS_RETENTION_DAYS, hourly
        start_aof_rewriter(settings),  # erased data leaves Redis's append-only file (at most one rewrite an hour)
    ]
    try:
        open_live_content(settings, services().redis)   # loaded once here; forked work horses inherit it
        run_worker(settings, burst=burst, renames=RENAMED_JOBS)
    finally:                           # SIGTERM ends run_worker (RQ's warm shutdown); then the timers stop
        stopped = [task.name for task in housekeeping if task.stop()]
        if housekeeping:
            click.echo(f"worker stopped; periodic tasks stopped: {', '.join(stopped) or 'none'}", err=True)


@click.group("jobs", cls=AppGroup)
def jobs_group() -> None:
    """Inspect and retry jobs that used up their retries (the dead-letter list)."""


@jobs_group.command("dead-letters")
@friendly
def jobs_dead_letters() -> None:
    """List dead letters: job id, queue, function, last error."""
    letters = dead_letters(services().redis, services().settings)
    if not letters:
        click.echo("no dead letters")
    for letter in letters:
        click.echo(f"{letter.job_id}\t{letter.queue}\t{letter.func}\t{letter.error}")


@jobs_group.command("retry")
@click.argument("job_id")
@friendly
def jobs_retry(job_id: str) -> None:
    """Put one dead letter back on its queue."""
    if not retry_dead_letter(services().redis, services().settings, job_id):
        raise click.ClickException(f"no dead letter with id {job_id}")
    click.echo(f"requeued {job_id}")


@jobs_group.command("retry-all")
@friendly
def jobs_retry_all() -> None:
    """Put every dead letter back on its queue."""
    click.echo(f"requeued {retry_all_dead_letters(services().redis, services().settings)} job(s)")
