"""``flask --app app fake-wechat``: the local fake of the WeChat API (``devtools/fake_wechat_api.py``)."""
from __future__ import annotations

import click

from devtools.fake_wechat_api import serve_forever


@click.command("fake-wechat")
@click.option("--port", default=8088, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
def fake_wechat_command(port: int, host: str) -> None:
    """Run a local fake of the WeChat API; point WECHAT_API_BASE_URL at it."""
    try:
        serve_forever(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None
