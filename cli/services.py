"""The one way CLI commands get settings, Redis, the WeChat API client and the content needs.

The app that ``flask --app app`` loads keeps a ``Services`` in ``app.extensions``. Built by ``create_app``
with a bot, it hands out the bot's own settings and connections; built for commands only, it reads the
environment (and ``.env``) on first use, so ``--help`` needs no settings and a command builds only what it
touches (``sim`` never starts Redis or loads content).

Usage::

    settings = services().settings          # bad settings: one clear list, exit status 3
    store = LeadStore(services().redis, services().keys)
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import click
from flask import current_app

from config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    import redis as redis_lib

    from library.needs import ContentNeeds
    from wechat.redis_conn import Keys

EXTENSION = "wxbot.cli"
BAD_SETTINGS = 3          # the app's exit status for bad settings (gunicorn stops instead of respawning)


class SettingsProblem(click.ClickException):
    """Bad or missing settings, reported as the list ``load_settings`` builds."""

    exit_code = BAD_SETTINGS


class Services:
    def __init__(self, *, settings: Settings | None = None, redis: "redis_lib.Redis | None" = None,
                 needs: "ContentNeeds | None" = None):
        self._settings = settings
        self._redis = redis
        self._needs = needs

    @cached_property
    def settings(self) -> Settings:
        if self._settings is not None:
            return self._settings
        try:
            return load_settings()
        except SettingsError as exc:
            raise SettingsProblem(str(exc)) from None

    @cached_property
    def redis(self) -> "redis_lib.Redis":
        if self._redis is not None:
            return self._redis
        from wechat.redis_conn import connect   # deferred: redis-py is a heavy import sim and --help never need

        return connect(self.settings)

    @property
    def keys(self) -> "Keys":
        from wechat.redis_conn import Keys      # deferred with connect, above

        return Keys(self.settings.key_prefix)

    @cached_property
    def client(self) -> Any:
        """The WeChat API client (token shared through Redis)."""
        from wechat.api_client import build_client   # deferred: wechatpy's client is the heaviest import here

        return build_client(self.settings, self.redis)

    @property
    def needs(self) -> "ContentNeeds":
        """What the account's code asks of content (``handlers/content_needs.py``), for content commands."""
        if self._needs is None:
            raise RuntimeError("this app serves no content commands")
        return self._needs


def services() -> Services:
    """The running app's services (Flask's CLI pushes the app context for every app command)."""
    return current_app.extensions[EXTENSION]
