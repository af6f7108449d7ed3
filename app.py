"""Wire the engine (``wechat/``), this account's handlers (``handlers/``) and content into one Flask app.

Gunicorn serves ``app:create_app()``; ``flask --app app <command>`` runs the CLI.
A message goes ``/wechat`` (wechat/webhook.py: verify, parse; a WSGI app in front of Flask) -> ``Bot.handle`` (claim, dispatch, persist)
-> the first route in ``ROUTERS`` that answers (below, in priority order) -> the reply.
"""
from __future__ import annotations

import atexit
import functools
import logging
import sys
from typing import Any, Callable, Mapping

import redis as redis_lib
from flask import Flask, Response, jsonify
from rq import Retry

from analytics.counters import Analytics
from cli.registry import commands_app, commands_only, register as register_commands
from cli.services import Services
from config import Settings, SettingsError, load_settings
from config.gc_tuning import tune_for_serving
from console.commands import COMMANDS as CONSOLE_COMMANDS
from console.secret import secret_key as console_secret_key
from console.wiring import init_console
from handlers import fallback, keywords, leads, menu, privacy, search, system, welcome
from handlers.content_needs import CONTENT_NEEDS
from handlers.context import Context, promised_periods
from leads.durability import warn_without_aof
from leads.intake import LeadIntake
from leads.store import LeadStore
from library.live import ContentLibrary
from privacy.aof import settle_seconds
from privacy.erasure import Erasure
from wechat.bot import Bot, FinishHook
from wechat.custom_messages import CustomQuota, interaction_windows
from wechat.flow import FlowEngine
from wechat.jobs import JobQueue
from config.log_redaction import redact_handlers
from wechat.redis_conn import Keys, connect
from wechat.router import Router
from wechat.templates import delivery_results
from wechat.webhook import MAX_BODY_BYTES, NOSNIFF, Webhook, mount


BOOT_ERROR = 3   # gunicorn stops (rather than respawning workers) when a worker exits with this code

# The account's routes in priority order; the first handler that returns a reply wins.
ROUTERS: tuple[Router, ...] = (
    system.router,     # language detection and switch, MORE, events that need no words
    privacy.router,    # "delete my data" wins over everything below, an open form included
    leads.router,      # an open flow takes typed text; an expired one is explained
    welcome.router,    # subscribe (with QR scene) and SCAN
    menu.router,       # menu clicks: each key's reply or flow from content/menu.yaml
    keywords.router,   # a digit picking from a numbered list; keyword rules: exact, regex, contains
    search.router,     # free text: the most relevant article(s), BM25 over the live version
    fallback.router,   # nothing matched
)
FLOWS = (leads.LEAD_FLOW,)


def build_router(routers: tuple[Router, ...] = ROUTERS) -> Router:
    root = Router("root")
    for part in routers:
        root.include(part)
    return root


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s %(process)d: %(message)s")
    redact_handlers(logging.getLogger())   # no WeChat query string in any app or worker log line


def build_flows(settings: Settings, redis: redis_lib.Redis, keys: Keys) -> FlowEngine:
    """The flow engine with this account's flows. Their wording comes from each live content version, which
    the content checker guarantees words every step (``handlers/content_needs.py``): a typo in a flow file
    is refused by ``content check`` and publish, never served."""
    engine = FlowEngine(redis=redis, keys=keys, session_ttl=settings.session_ttl)
    for flow in FLOWS:
        engine.register(flow)
    return engine


def build_analytics(settings: Settings, redis: redis_lib.Redis, keys: Keys) -> Analytics:
    """Per-day counters, summed in process; whatever is gathered is written when the process exits cleanly
    (gunicorn's graceful stop and restart, ``flask run``), so only a crash can lose an interval of them."""
    analytics = Analytics(keys, unmatched_days=settings.unmatched_retention_days,
                          unmatched_cap=settings.unmatched_samples_per_day,
                          flush_seconds=settings.analytics_flush_seconds)
    atexit.register(analytics.flush, redis)
    return analytics


def finish_hooks(settings: Settings, redis: redis_lib.Redis, keys: Keys, flows: FlowEngine,
                 analytics: Analytics) -> list[FinishHook]:
    """What rides each message's finish round trip, in order."""
    hooks: list[FinishHook] = [
        analytics.record,                  # per-day counters (written once per interval)
        flows.keep_expiry_marker,          # tell a follower later why their expired form went nowhere
        delivery_results(keys),            # TEMPLATESENDJOBFINISH: did the template message arrive?
    ]
    if settings.outbound_enabled:          # customer-service windows only matter when we can send
        hooks.append(interaction_windows(CustomQuota(redis, keys)))
    return hooks


def create_app(settings: Settings | None = None, *, redis: redis_lib.Redis | None = None,
               library: ContentLibrary | None = None, router: Router | None = None,
               job_retries: Mapping[Callable[..., Any], Retry] | None = None) -> Flask:
    """Build the app. Tests pass their own settings, Redis client, content, router and (short) job retries."""
    if settings is None and commands_only():
        app = commands_app()    # `flask --app app <command>`: each command builds what it needs, --help nothing
        add_console_commands(app)
        return app
    serving = settings is None     # gunicorn's (and `flask run`'s) call: this process is a web worker
    if settings is None:
        try:
            settings = load_settings()
            console_secret_key(settings)       # production needs SECRET_KEY: say so now, with the rest
        except SettingsError as exc:   # a clear list for the operator, not a traceback (gunicorn, flask CLI)
            print(exc, file=sys.stderr)
            raise SystemExit(BOOT_ERROR) from None
    configure_logging(settings)
    redis = redis if redis is not None else connect(settings)
    keys = Keys(settings.key_prefix)
    library = library or ContentLibrary.open(redis, keys, settings.content_dir, CONTENT_NEEDS)
    flows = build_flows(settings, redis, keys)
    lead_store = LeadStore(redis, keys)
    make_context = functools.partial(Context, leads=LeadIntake(lead_store),
                                     transfer_to_agents=settings.transfer_customer_service,
                                     **promised_periods(settings),
                                     privacy=Erasure(redis, keys, lead_store, flows,
                                                     aof_settle=settle_seconds(settings)))
    analytics = build_analytics(settings, redis, keys)
    bot = Bot(settings, redis, router or build_router(), library, make_context=make_context, flows=flows,
              enqueue=JobQueue(redis, settings, job_retries).put,
              finish_hooks=finish_hooks(settings, redis, keys, flows, analytics))
    warn_without_aof(redis)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["wxbot"] = bot
    app.extensions["wxbot.analytics"] = analytics     # tests and shutdown hooks flush it
    # /wechat is answered before Flask sees the request (wechat/webhook.py says why); the rest is Flask's.
    app.wsgi_app = mount(app.wsgi_app, Webhook(bot))   # type: ignore[method-assign]

    @app.after_request
    def no_sniffing(response: Response) -> Response:
        """Browsers must not guess a type for what we send; /wechat sets the same header itself."""
        response.headers[NOSNIFF[0]] = NOSNIFF[1]
        return response

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(bot.health())

    for status, text in ((400, "bad request"), (404, "not found"), (405, "method not allowed"),
                         (413, "request body too large"), (500, "internal error")):
        app.register_error_handler(status, lambda exc, s=status, t=text: Response(t + "\n", s, mimetype="text/plain"))
    register_commands(app, Services(settings=settings, redis=redis, needs=library.needs))
    add_console_commands(app)
    init_console(app, settings=settings, redis=redis, needs=library.needs)   # /console/; nothing runs for /wechat
    if serving:
        tune_for_serving()     # last: what start-up built is frozen out of every later collection
    return app


def add_console_commands(app: Flask) -> None:
    for command in CONSOLE_COMMANDS:
        app.cli.add_command(command)
