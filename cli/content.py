"""``flask --app app content ...``: check, publish, list, roll back, export and diff content versions."""
from __future__ import annotations

import datetime as dt
import getpass
import sys

import click
from flask.cli import AppGroup

from cli.services import services
from library.bundle import Bundle, read_dir, unified_diff, write_dir
from library.checker import check_bundle
from library.issues import ContentInvalid
from library.publishing import NothingToPublish, publish, rollback
from library.versions import VersionStore


@click.group("content", cls=AppGroup)
def content_group() -> None:
    """Check, publish, roll back and export the bot's content."""


def _store() -> VersionStore:
    return VersionStore(services().redis, services().keys)


def _content_dir(directory: str | None) -> str:
    return directory or services().settings.content_dir


def _read(directory: str) -> Bundle:
    try:
        return read_dir(directory)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None


def _print_issues(issues: list) -> None:
    for issue in issues:
        click.echo(str(issue), err=issue.is_error)


def _author(author: str | None) -> str:
    if author:
        return author
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@content_group.command("check")
@click.option("--dir", "directory", default=None, help="Content directory (default: CONTENT_DIR).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_command(directory: str | None, strict: bool) -> None:
    """Validate every content file; list each problem with file:line and a hint."""
    directory = _content_dir(directory)
    report = check_bundle(_read(directory), services().needs)
    _print_issues(report.issues)
    errors, warnings = len(report.errors), len(report.warnings)
    click.echo(f"{directory}: {errors} error(s), {warnings} warning(s), "
               f"{len(report.tree.articles)} articles, {len(report.tree.rules or ())} rules")
    if errors or (strict and warnings):
        sys.exit(1)


@content_group.command("publish")
@click.option("--dir", "directory", default=None, help="Content directory to publish (default: CONTENT_DIR).")
@click.option("--author", default=None, help="Who publishes (default: the OS user).")
@click.option("-m", "--message", default="", help="What changed, in your words.")
@click.option("--force", is_flag=True, help="Publish even if nothing changed.")
def publish_command(directory: str | None, author: str | None, message: str, force: bool) -> None:
    """Check the files and make them the next live version (every worker switches within a second)."""
    directory = _content_dir(directory)
    try:
        number = publish(_store(), _read(directory), services().needs, author=_author(author), message=message,
                         force=force)
    except ContentInvalid as exc:
        _print_issues(exc.issues)
        raise click.ClickException("not published: fix the errors above (the live version is unchanged)") from None
    except NothingToPublish as exc:
        click.echo(f"nothing to publish: {exc}")
        return
    info = _store().info(number)
    click.echo(f"published version {number}: {info.summary if info else ''}")


@content_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--author", default=None)
@click.option("-m", "--message", default="")
@click.pass_context
def import_command(ctx: click.Context, directory: str, author: str | None, message: str) -> None:
    """Publish the content files in DIRECTORY (same checks as publish)."""
    ctx.invoke(publish_command, directory=directory, author=author, message=message or f"import from {directory}",
               force=False)


@content_group.command("versions")
@click.option("--limit", default=20, show_default=True)
def versions_command(limit: int) -> None:
    """List published versions, newest first; * marks the live one."""
    store = _store()
    current = store.current_number()
    infos = store.list()
    if not infos:
        click.echo("no versions yet (the first start seeds version 1 from the files)")
        return
    for info in reversed(infos[-limit:]):
        when = dt.datetime.fromtimestamp(info.created_at).strftime("%Y-%m-%d %H:%M:%S")
        mark = "*" if info.number == current else " "
        click.echo(f"{mark} {info.number:>4}  {when}  {info.author:<12}  {info.summary}")


@content_group.command("rollback")
@click.argument("number", type=int)
@click.option("--author", default=None)
def rollback_command(number: int, author: str | None) -> None:
    """Make version NUMBER live again."""
    try:
        rollback(_store(), number, services().needs, author=_author(author))
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    except ContentInvalid as exc:
        _print_issues(exc.issues)
        raise click.ClickException(f"version {number} does not pass today's checks; not rolled back") from None
    click.echo(f"version {number} is live")


@content_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--version", "number", type=int, default=None, help="Version to export (default: the live one).")
@click.option("--keep", is_flag=True, help="Keep content files in DIRECTORY that the version does not have.")
def export_command(directory: str, number: int | None, keep: bool) -> None:
    """Write a version's files into DIRECTORY (the same layout as content/)."""
    store = _store()
    number = number if number is not None else store.current_number()
    bundle = store.bundle(number) if number is not None else None
    if bundle is None:
        raise click.ClickException(f"no content version {number}")
    pruned = write_dir(bundle, directory, prune=not keep)
    click.echo(f"exported version {number}: {len(bundle)} files to {directory}"
               + (f", removed {len(pruned)} stale file(s)" if pruned else ""))


@content_group.command("diff")
@click.option("--dir", "directory", default=None, help="Files to compare (default: CONTENT_DIR).")
@click.option("--from", "from_version", type=int, default=None, help="Compare from this version (default: live).")
@click.option("--to", "to_version", type=int, default=None, help="Compare to this version (default: the files).")
def diff_command(directory: str | None, from_version: int | None, to_version: int | None) -> None:
    """Show what publishing would change: live version -> files (or between two versions)."""
    store = _store()
    old_number = from_version if from_version is not None else store.current_number()
    old = store.bundle(old_number) if old_number is not None else {}
    if old is None:
        raise click.ClickException(f"no content version {old_number}")
    if to_version is not None:
        new, new_label = store.bundle(to_version), f"v{to_version}"
        if new is None:
            raise click.ClickException(f"no content version {to_version}")
    else:
        new, new_label = _read(_content_dir(directory)), "files"
    lines = list(unified_diff(old, new, f"v{old_number}", new_label))
    click.echo("".join(lines).rstrip("\n") if lines else "no differences")
