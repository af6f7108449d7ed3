#!/usr/bin/env bash
# Send a message or event to the bot started by scripts/run.sh, signed and encrypted like WeChat.
# Usage: scripts/sim.sh "KOL" | --click MENU_CONTACT | --subscribe --scene expo2026 | --help
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f var/demo.env ] || { echo "start the bot first: ./scripts/run.sh" >&2; exit 1; }
set -a; source var/demo.env; set +a
exec .venv/bin/flask --app app sim "$@"
