#!/usr/bin/env bash
# Send a message or event to the bot started by scripts/run.sh, signed and encrypted like WeChat.
# Usage: scripts/sim.sh [--as NAME] "KOL" | --click MENU_CONTACT | --subscribe --scene expo2026 | --help
# Settings come from .env (written by run.sh); only the simulator is loaded, not the bot.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "${FLASK_ENV_FILE:-.env}" ] || [ -n "${WECHAT_TOKEN:-}" ] || { echo "start the bot first: ./scripts/run.sh" >&2; exit 1; }
exec .venv/bin/flask --app "cli.sim:simulator_app()" sim "$@"
