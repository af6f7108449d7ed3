"""``flask --app app sim``: send a message or event to a running server exactly as WeChat would.

``scripts/sim.sh`` runs it as ``flask --app "cli.sim:simulator_app()" sim``: an app with only this command,
so a call imports the simulator and the settings, not the bot.
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from cli.services import EXTENSION, Services, services
from devtools.simulator import Follower, HttpTransport, follower_openid


@click.command("sim")
@click.argument("text", required=False)
@click.option("--url", default=None, help="Server base URL (default http://127.0.0.1:$PORT).")
@click.option("--as", "name", default=None, help="Be the follower called NAME (a stable openid per name).")
@click.option("--openid", default=None, help="Follower openid (default: the follower called 'you').")
@click.option("--click", "click_key", default=None, help="Send a menu CLICK event with this key.")
@click.option("--subscribe", is_flag=True, help="Send a subscribe event.")
@click.option("--scene", default="", help="QR scene for --subscribe or --scan.")
@click.option("--scan", is_flag=True, help="Send a SCAN event (an existing follower scans a QR code).")
@click.option("--voice", is_flag=True, help="Send TEXT as a voice message's recognition result.")
@click.option("--mode", type=click.Choice(["auto", "plain", "compat", "safe"]), default="auto", show_default=True)
@click.option("--repeat", default=1, show_default=True, help="Send the same message N times, like WeChat's retries.")
@with_appcontext
def sim_command(text, url, name, openid, click_key, subscribe, scene, scan, voice, mode, repeat) -> None:
    """Send TEXT (or an event) to /wechat, signed and encrypted like WeChat, and print the decoded reply."""
    if name and openid:
        raise click.UsageError("give --as NAME or --openid, not both")
    openid = openid or follower_openid(name or "you")
    settings = services().settings
    url = url or f"http://127.0.0.1:{settings.port}"
    follower = Follower(HttpTransport(url), settings.wechat_token,
                        aes_key=settings.wechat_aes_key, appid=settings.wechat_appid, openid=openid, mode=mode)
    try:
        if click_key:
            reply = follower.click(click_key)
        elif subscribe:
            reply = follower.subscribe(scene)
        elif scan:
            reply = follower.scan(scene)
        elif text is not None:
            reply = follower.voice(text) if voice else follower.send(text)
        else:
            raise click.UsageError("give TEXT, --click KEY, --subscribe or --scan")
        click.echo(str(reply))
        for _ in range(repeat - 1):
            click.echo("-- retry --")
            click.echo(str(follower.resend()))
    except OSError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
        raise click.ClickException(f"cannot reach the server at {url}: {reason}") from None


def simulator_app() -> Flask:
    """The smallest app that runs ``sim``: settings from the environment (and ``.env``), nothing else."""
    app = Flask("simulator")
    app.extensions[EXTENSION] = Services()
    app.cli.add_command(sim_command)
    return app
