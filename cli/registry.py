"""Every CLI command, registered on the app ``flask --app app`` loads, with the services they share.

``create_app`` registers them on the full app (its bot's settings and Redis); under ``flask --app app
<command>`` it builds ``commands_app()`` instead: the same commands, with settings, Redis and content
built on first use, so ``--help`` needs no settings and each command pays only for what it uses.
"""
from __future__ import annotations

import os

import click
from flask import Flask

from cli import analytics, content, fake_wechat, jobs, leads, menu, sim
from cli.services import EXTENSION, Services
from handlers.content_needs import CONTENT_NEEDS

COMMANDS = (sim.sim_command, content.content_group, menu.menu_group, jobs.worker_command, jobs.jobs_group,
            leads.leads_group, analytics.analytics_group, fake_wechat.fake_wechat_command)
# Flask's own commands that serve or inspect the real app: these get the full app, with its webhook.
FULL_APP_COMMANDS = {"run", "shell", "routes"}


def register(app: Flask, services: Services | None = None) -> None:
    """Add every command to ``app.cli``; ``services`` default to the environment's, built on first use."""
    app.extensions[EXTENSION] = services or Services(needs=CONTENT_NEEDS)
    for command in COMMANDS:
        app.cli.add_command(command)


def commands_only() -> bool:
    """True when Flask's CLI loads the app to run (or list) one of our commands rather than to serve it."""
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return False
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.command.name not in FULL_APP_COMMANDS


def commands_app() -> Flask:
    """An app with every command and nothing built yet."""
    app = Flask("app")
    register(app)
    return app
