"""Flask CLI commands (``flask --app app <command>``); each module adds its own group."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from cli import analytics, content, sim

    sim.register(app)
    content.register(app)
    analytics.register(app)
    from cli import leads, outbound
    leads.register(app)
    outbound.register(app)
