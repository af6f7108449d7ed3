"""Wire the engine (``wechat/``), this account's handlers (``handlers/``) and content into one Flask app.

Gunicorn serves ``app:create_app()``; ``flask --app app <command>`` runs the CLI.
A message's route, first match wins, in this order (see README "Architecture"):
system plumbing (language, MORE, silent events) -> privacy -> active flow -> welcome events -> menu clicks
-> keyword rules (numbered-list digit, exact, regex, contains) -> search -> fallback.
"""
from __future__ import annotations

import logging
import sys
from typing import Any

import redis as redis_lib
from flask import Flask, Response, jsonify

from cli.registry import commands_app, commands_only, register as register_commands
from cli.services import Services
from config import Settings, SettingsError, load_settings
from handlers import fallback, keywords, leads, menu, privacy, search, system, welcome
from handlers.content_needs import CONTENT_NEEDS
from analytics.counters import Analytics
from wechat.bot import Bot
from library import ContentLibrary
from wechat.context import SideEffect
from wechat.custom_messages import CustomQuota
from wechat.jobs import enqueue_side_effect
from wechat.redis_conn import Keys, connect
from wechat.router import Router
from wechat.webhook import MAX_BODY_BYTES, create_blueprint


BOOT_ERROR = 3   # gunicorn stops (rather than respawning workers) when a worker exits with this code


def build_router() -> Router:
    """The account's routes in priority order; the first handler that returns a reply wins."""
    root = Router("root")
    root.include(system.router)     # language detection and switch, MORE, events that need no words
    root.include(privacy.router)    # "delete my data" wins over everything below, an open form included
    root.include(leads.router)      # an open flow takes typed text; an expired one is explained
    root.include(welcome.router)    # subscribe (with QR scene) and SCAN
    root.include(menu.router)       # menu clicks: each key's reply or flow from content/menu.yaml
    root.include(keywords.router)   # a digit picking from a numbered list; keyword rules: exact, regex, contains
    root.include(search.router)     # free text: the most relevant article(s), BM25 over the live version
    root.include(fallback.router)   # nothing matched
    return root


def queue_side_effects(bot: Bot, effects: list[SideEffect]) -> None:
    """Hand a message's side effects to the worker; ids tied to the message make a retry's enqueue a no-op."""
    for effect in effects:
        enqueue_side_effect(bot.redis, bot.settings, effect.func, effect.kwargs, effect.job_id)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s %(process)d: %(message)s")


def create_app(settings: Settings | None = None, *, redis: redis_lib.Redis | None = None,
               library: ContentLibrary | None = None, router: Router | None = None,
               **services: Any) -> Flask:
    """Build the app; tests pass their own settings, Redis client and content."""
    if settings is None and commands_only():
        return commands_app()   # `flask --app app <command>`: each command builds what it needs, --help nothing
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as exc:   # a clear list for the operator, not a traceback (gunicorn, flask CLI)
            print(exc, file=sys.stderr)
            raise SystemExit(BOOT_ERROR) from None
    configure_logging(settings)
    redis = redis if redis is not None else connect(settings)
    library = library or ContentLibrary.open(redis, Keys(settings.key_prefix), settings.content_dir, CONTENT_NEEDS)
    bot = Bot(settings, redis, router or build_router(), library, services=services)
    bot.finish_hooks.append(Analytics(bot.keys).record)   # per-day counters, inside the finish round trip
    bot.flows = leads.install(bot)   # the flow engine (lead form) and its expiry marker hook
    bot.enqueue = lambda effects: queue_side_effects(bot, effects)
    if settings.outbound_enabled:    # customer-service windows only matter when we can send
        quota = CustomQuota(redis, bot.keys)
        bot.finish_hooks.append(lambda ctx, rendered, pipe: ctx.notes.get("erased") or quota.queue_interaction(
            pipe, ctx.openid, ctx.message.event if ctx.message.is_event else ctx.message.type))

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["SECRET_KEY"] = settings.secret_key or None
    app.extensions["wxbot"] = bot
    app.register_blueprint(create_blueprint(bot))

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(bot.health())

    for status, text in ((400, "bad request"), (404, "not found"), (405, "method not allowed"),
                         (413, "request body too large"), (500, "internal error")):
        app.register_error_handler(status, lambda exc, s=status, t=text: Response(t + "\n", s, mimetype="text/plain"))
    register_commands(app, Services(settings=settings, redis=redis, needs=library.needs))
    return app
