"""Outbound CLI: ``flask --app app menu show|diff|publish|delete``, ``worker``, ``jobs ...``, ``fake-wechat``.

Every command builds its settings from the environment and reports problems (bad settings, Redis or WeChat
unreachable, an invalid menu) as one clear line instead of a traceback.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click
import redis as redis_lib
from flask import Flask

from config import Settings, SettingsError, load_settings


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors an operator can fix into a short message and exit status 1."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from wechat.api_client import WeChatAPIError
        from wechat.menu import MenuError

        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        except MenuError as exc:
            raise click.ClickException(str(exc)) from None
        except WeChatAPIError as exc:
            hint = " (is WECHAT_API_BASE_URL reachable?)" if exc.errcode is None else ""
            raise click.ClickException(f"{exc}{hint}") from None
        except redis_lib.RedisError as exc:
            raise click.ClickException(f"cannot reach Redis: {exc}") from None
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
    return wrapper


def _settings() -> Settings:
    return load_settings()


def _client(settings: Settings) -> Any:
    from wechat.api_client import build_client
    from wechat.redis_conn import connect

    return build_client(settings, connect(settings))


def load_content_menu(settings: Settings, path: str | None = None) -> dict[str, Any]:
    """The desired menu: the live content version's (what the bot answers clicks from), else a file.

    ``path`` (``--file``) or no published version yet: read the YAML file (default content/menu.yaml).
    """
    import yaml

    from wechat.menu import menu_from_content

    if path is None:
        live = _live_menu(settings)
        if live is not None:
            return menu_from_content(live)
    path = path or os.path.join(settings.content_dir, "menu.yaml")
    if not os.path.exists(path):
        raise click.ClickException(f"no menu file at {path}: create it (see content/README) or pass --file")
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: expected a mapping with 'buttons'")
    return menu_from_content(data)


def _live_menu(settings: Settings) -> dict[str, Any] | None:
    """menu.yaml of the live content version, or None when nothing is published (or Redis is down)."""
    import redis as redis_lib

    from library.compiled import compile_bundle, menu_data
    from library.versions import VersionStore
    from wechat.redis_conn import Keys, connect

    try:
        store = VersionStore(connect(settings), Keys(settings.key_prefix))
        number = store.current_number()
        bundle = store.bundle(number) if number is not None else None
    except redis_lib.RedisError:
        return None
    if bundle is None:
        return None
    click.echo(f"menu of live content version {number}")
    return menu_data(compile_bundle(bundle, version=number)) or None


# -- menu ----------------------------------------------------------------------------------------
@click.group("menu")
def menu_group() -> None:
    """Show, diff, publish or delete the WeChat custom menu."""


@menu_group.command("show")
@click.option("--selfmenu", is_flag=True, help="Ask get_current_selfmenu_info (also shows MP-console menus).")
@_friendly
def menu_show(selfmenu: bool) -> None:
    """Print the menu WeChat serves now."""
    from wechat.menu import current_menu, current_selfmenu, render_menu

    client = _client(_settings())
    click.echo("\n".join(render_menu(current_selfmenu(client) if selfmenu else current_menu(client))))


@menu_group.command("diff")
@click.option("--file", "path", default=None, help="Menu YAML (default: the live content version's menu).")
@_friendly
def menu_diff(path: str | None) -> None:
    """Dry run: validate the content menu and show how it differs from WeChat's."""
    from wechat.menu import MenuError, current_menu, diff_menus, validate_menu

    settings = _settings()
    desired = load_content_menu(settings, path)
    problems = validate_menu(desired)
    if problems:
        raise MenuError(problems)
    lines = diff_menus(current_menu(_client(settings)), desired)
    click.echo("\n".join(lines) if lines else "no changes: WeChat already serves this menu")


@menu_group.command("publish")
@click.option("--file", "path", default=None, help="Menu YAML (default: the live content version's menu).")
@click.option("--force", is_flag=True, help="Publish even when WeChat already serves the same menu.")
@_friendly
def menu_publish(path: str | None, force: bool) -> None:
    """Validate the content menu, show the difference, and make WeChat serve it."""
    from wechat.menu import current_menu, diff_menus, publish_menu

    settings = _settings()
    desired = load_content_menu(settings, path)
    client = _client(settings)
    current = current_menu(client)
    lines = diff_menus(current, desired)
    if lines:
        click.echo("\n".join(lines))
    if publish_menu(client, desired, current=current, force=force):
        click.echo("published; WeChat clients pick up the new menu within about 5 minutes")
    else:
        click.echo("no changes: WeChat already serves this menu (use --force to publish anyway)")


menu_group.add_command(menu_publish, "push")  # the name content/menu.yaml's comment uses


@menu_group.command("delete")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_friendly
def menu_delete(yes: bool) -> None:
    """Remove the menu (and every conditional menu) from WeChat."""
    from wechat.menu import delete_menu

    if not yes:
        click.confirm("Delete the custom menu for every follower?", abort=True)
    delete_menu(_client(_settings()))
    click.echo("menu deleted")


# -- worker and jobs -----------------------------------------------------------------------------
@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
@_friendly
def worker_command(burst: bool) -> None:
    """Run the job worker (template and customer-service messages, CRM delivery) with its scheduler."""
    from leads import RENAMED_JOBS
    from wechat.jobs import run_worker
    from leads.delivery import start_reconciler
    from privacy.aof import start_aof_rewriter
    from privacy.retention import start_retention

    settings = _settings()
    housekeeping = [] if burst else [
        start_reconciler(settings),    # re-queue leads whose delivery job vanished, once a minute
        start_retention(settings),     # erase leads older than LEADS_RETENTION_DAYS, hourly
        start_aof_rewriter(settings),  # erased data leaves Redis's append-only file (at most one rewrite an hour)
    ]
    try:
        run_worker(settings, burst=burst, renames=RENAMED_JOBS)
    finally:                           # SIGTERM ends run_worker (RQ's warm shutdown); then the timers stop
        stopped = [task.name for task in housekeeping if task.stop()]
        if housekeeping:
            click.echo(f"worker stopped; periodic tasks stopped: {', '.join(stopped) or 'none'}", err=True)


@click.group("jobs")
def jobs_group() -> None:
    """Inspect and retry jobs that used up their retries (the dead-letter list)."""


@jobs_group.command("dead-letters")
@_friendly
def jobs_dead_letters() -> None:
    """List dead letters: job id, queue, function, last error."""
    from wechat.jobs import dead_letters
    from wechat.redis_conn import connect

    settings = _settings()
    letters = dead_letters(connect(settings), settings)
    if not letters:
        click.echo("no dead letters")
    for letter in letters:
        click.echo(f"{letter.job_id}\t{letter.queue}\t{letter.func}\t{letter.error}")


@jobs_group.command("retry")
@click.argument("job_id")
@_friendly
def jobs_retry(job_id: str) -> None:
    """Put one dead letter back on its queue."""
    from wechat.jobs import retry_dead_letter
    from wechat.redis_conn import connect

    settings = _settings()
    if not retry_dead_letter(connect(settings), settings, job_id):
        raise click.ClickException(f"no dead letter with id {job_id}")
    click.echo(f"requeued {job_id}")


@jobs_group.command("retry-all")
@_friendly
def jobs_retry_all() -> None:
    """Put every dead letter back on its queue."""
    from wechat.jobs import retry_all_dead_letters
    from wechat.redis_conn import connect

    settings = _settings()
    click.echo(f"requeued {retry_all_dead_letters(connect(settings), settings)} job(s)")


# -- fake WeChat ---------------------------------------------------------------------------------
@click.command("fake-wechat")
@click.option("--port", default=8088, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
def fake_wechat_command(port: int, host: str) -> None:
    """Run a local fake of the WeChat API; point WECHAT_API_BASE_URL at it."""
    from devtools.fake_wechat_api import serve_forever

    try:
        serve_forever(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None


COMMANDS = (menu_group, worker_command, jobs_group, fake_wechat_command)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
