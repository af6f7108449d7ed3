"""``flask --app app menu show|diff|publish|delete``: the custom menu WeChat shows, from the published content."""
from __future__ import annotations

import os
from dataclasses import dataclass

import click
import redis as redis_lib
import yaml
from flask.cli import AppGroup

from cli.errors import friendly
from cli.services import services
from config import Settings
from library.compiled import compile_bundle, menu_data
from library.versions import VersionStore
from wechat.menu import (MenuError, MenuSet, current_menu, current_selfmenu, delete_menu, diff_menus,
                         menu_from_content, publish_menu, render_menu, validate_menu)


def load_content_menu(settings: Settings, path: str | None = None) -> tuple[str, MenuSet]:
    """(where it comes from, menu) to publish: the live content version's (what the bot answers clicks from),
    else a file.

    ``path`` (``--file``) or no published version yet: read the YAML file (default content/menu.yaml).
    """
    if path is None:
        published = published_menu()
        if published is not None:
            return f"menu of live content version {published[0]}", published[1]
    return path or os.path.join(settings.content_dir, "menu.yaml"), file_menu(settings, path)


@dataclass(frozen=True)
class MenuPlan:
    """What ``menu publish`` would do: send ``desired`` (from ``source``) where WeChat now serves ``current``."""

    source: str
    desired: MenuSet
    current: MenuSet

    @property
    def lines(self) -> list[str]:
        return diff_menus(self.current, self.desired)


def plan_publish(path: str | None = None) -> MenuPlan:
    """Read the menu to publish and what WeChat serves; nothing is sent (the console shows this first)."""
    source, desired = load_content_menu(services().settings, path)
    return MenuPlan(source, desired, current_menu(services().client))


def apply_plan(plan: MenuPlan, force: bool = False) -> bool:
    """Make WeChat serve ``plan.desired``; False when it already does (validated first: ``MenuError``)."""
    return publish_menu(services().client, plan.desired, current=plan.current, force=force)


def diff_sections(draft: MenuSet | None = None, draft_label: str = "") -> list[tuple[str, list[str]]]:
    """(title, diff lines) from the files (or a console draft) to the published version, and from the
    published version to what WeChat serves: the dry run ``menu diff`` prints."""
    settings = services().settings
    current = current_menu(services().client)
    files = _valid(draft if draft is not None else file_menu(settings))
    files_label = draft_label or os.path.join(settings.content_dir, "menu.yaml")
    published = published_menu()
    if published is None:
        return [(f"nothing published yet: menu publish sends {files_label}", []),
                (f"{files_label} -> WeChat (menu publish sends this)",
                 diff_menus(current, files, "WeChat (current)", files_label))]
    number, live = published
    return [(f"{files_label} -> published version {number} (content publish changes this)",
             diff_menus(live, files, f"published v{number}", files_label)),
            (f"published version {number} -> WeChat (menu publish sends this)",
             diff_menus(current, live, "WeChat (current)", f"published v{number}"))]


def file_menu(settings: Settings, path: str | None = None) -> MenuSet:
    """The menu in ``path`` (default: menu.yaml in CONTENT_DIR), published or not."""
    path = path or os.path.join(settings.content_dir, "menu.yaml")
    if not os.path.exists(path):
        raise click.ClickException(f"no menu file at {path}: create it (see content/README) or pass --file")
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: expected a mapping with 'buttons'")
    return menu_from_content(data)


def published_menu() -> tuple[int, MenuSet] | None:
    """(number, menu) of the live content version, or None when nothing is published (or Redis is down)."""
    try:
        store = VersionStore(services().redis, services().keys)
        number = store.current_number()
        bundle = store.bundle(number) if number is not None else None
    except redis_lib.RedisError:
        return None
    if bundle is None or number is None:
        return None
    data = menu_data(compile_bundle(bundle, version=number))
    return (number, menu_from_content(data)) if data else None


@click.group("menu", cls=AppGroup)
def menu_group() -> None:
    """Show, diff, publish or delete the WeChat custom menu."""


@menu_group.command("show")
@click.option("--selfmenu", is_flag=True, help="Ask get_current_selfmenu_info (also shows MP-console menus).")
@friendly
def menu_show(selfmenu: bool) -> None:
    """Print the menu WeChat serves now."""
    client = services().client
    click.echo("\n".join(render_menu(current_selfmenu(client) if selfmenu else current_menu(client))))


@menu_group.command("diff")
@click.option("--file", "path", default=None, help="Compare this menu YAML with WeChat's instead.")
@friendly
def menu_diff(path: str | None) -> None:
    """Dry run: the menu in the files vs the published content version vs what WeChat serves.

    First what `content publish` would change in the menu (files -> published version), then what
    `menu publish` would send to WeChat (published version -> WeChat). Nothing is sent.
    """
    if path is not None:
        current = current_menu(services().client)
        _show_diff(f"{path} -> WeChat (menu publish --file sends this)", current,
                   _valid(file_menu(services().settings, path)), "WeChat (current)", path)
        return
    for title, lines in diff_sections():
        click.echo(f"{title}:" if lines or "->" in title else title)
        if "->" in title:
            click.echo("\n".join(f"  {line}" for line in lines) if lines else "  no changes")


def _valid(menus: MenuSet) -> MenuSet:
    problems = validate_menu(menus)
    if problems:
        raise MenuError(problems)
    return menus


def _show_diff(title: str, before: MenuSet, after: MenuSet, before_label: str, after_label: str) -> None:
    lines = diff_menus(before, after, before_label, after_label)
    click.echo(f"{title}:")
    click.echo("\n".join(f"  {line}" for line in lines) if lines else "  no changes")


@menu_group.command("publish")
@click.option("--file", "path", default=None, help="Menu YAML (default: the live content version's menu).")
@click.option("--force", is_flag=True, help="Publish even when WeChat already serves the same menu.")
@friendly
def menu_publish(path: str | None, force: bool) -> None:
    """Validate the content menu, show the difference, and make WeChat serve it."""
    plan = plan_publish(path)
    click.echo(plan.source)
    if plan.lines:
        click.echo("\n".join(plan.lines))
    if apply_plan(plan, force=force):
        click.echo("published; WeChat clients pick up the new menu within about 5 minutes")
    else:
        click.echo("no changes: WeChat already serves this menu (use --force to publish anyway)")


menu_group.add_command(menu_publish, "push")  # the name content/menu.yaml's comment uses


@menu_group.command("delete")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@friendly
def menu_delete(yes: bool) -> None:
    """Remove the menu (and every conditional menu) from WeChat."""
    if not yes:
        click.confirm("Delete the custom menu for every follower?", abort=True)
    delete_menu(services().client)
    click.echo("menu deleted")
