"""``flask --app app users ...``: add, list and disable console accounts.

Registered like every CLI group (``cli.registry``'s commands-only app): ``--help`` needs no settings, and a
command connects to Redis only when it runs.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from cli.services import services
from console.users import FIRST_ADMIN, MIN_PASSWORD, ROLES, UserError, UserStore, new_password


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Console accounts (marketer, sales, admin)."""


def _store() -> UserStore:
    return UserStore(services().redis, services().keys)


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="marketer: content; sales: leads; admin: all.")
@click.option("--password", "ask", is_flag=True, help=f"Type a password (at least {MIN_PASSWORD} characters) "
              "instead of getting a generated one.")
def add_command(name: str, role: str, ask: bool) -> None:
    """Create console user NAME; prints a generated password unless --password asks for one."""
    password = click.prompt("password", hide_input=True, confirmation_prompt=True) if ask else None
    try:
        password = _store().add(name, role, password)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {name} ({role})")
    if not ask:
        click.echo(f"one-time password: {password}   (shown once; the first login sets a new one)")


@users_group.command("list")
def list_command() -> None:
    """List console users with their role and state."""
    users = _store().list()
    if not users:
        click.echo("no console users yet (CONSOLE_PASSWORD seeds 'admin' on the first start)")
    for user in users:
        click.echo(f"{user.name:<20} {user.role:<9} {'disabled' if user.disabled else 'active'}")


@users_group.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Refuse NAME's logins and end their open sessions."""
    try:
        _store().disable(name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"disabled {name}")


@users_group.command("password")
@click.argument("name")
def password_command(name: str) -> None:
    """Give NAME a new generated one-time password (the next login must replace it)."""
    try:
        password = _store().set_password(name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"new one-time password for {name}: {password}   (shown once; the next login sets a new one)")


@users_group.command("first-admin")
def first_admin_command() -> None:
    """On a fresh install, create 'admin' (password: CONSOLE_PASSWORD, else generated) and print the login.

    Prints nothing when console users exist already (scripts/run.sh calls this on every start)."""
    settings = services().settings
    store = _store()
    password = settings.console_password or new_password()
    if store.seed_admin(password, one_time=not settings.console_password):
        click.echo(f"{FIRST_ADMIN} {password}")


COMMANDS = (users_group,)
