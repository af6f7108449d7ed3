#!/usr/bin/env bash
# Install and start the bot locally: embedded Redis (under var/), a local fake of the WeChat API
# (unless WECHAT_SECRET is set), the worker, and gunicorn on $PORT (default 8000). Ctrl-C stops all.
set -euo pipefail
source "$(dirname "$0")/_venv.sh"

export PORT=${PORT:-8000}
export WECHAT_TOKEN=${WECHAT_TOKEN:-demotoken2026}
export WECHAT_APPID=${WECHAT_APPID:-wxd3m0a1b2c3d4e5f6}
export WECHAT_AES_KEY=${WECHAT_AES_KEY-d3m0EncodingAESKeyForLocalTrialsOnly0000000}
export SALES_OPENIDS=${SALES_OPENIDS:-o_demo_sales_phone}

mkdir -p var
pids=()
stop_all() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop_all EXIT
trap 'exit 130' INT TERM

if [ -z "${WECHAT_SECRET:-}" ]; then
  # No real AppSecret: talk to a local fake of the WeChat API so menus and template messages work offline.
  fake_port=${FAKE_WECHAT_PORT:-8088}
  export WECHAT_SECRET=demo-app-secret WECHAT_API_BASE_URL="http://127.0.0.1:${fake_port}"
  python -m devtools.fake_wechat_api --port "$fake_port" --appid "$WECHAT_APPID" --secret "$WECHAT_SECRET" \
    >var/fake-wechat.log 2>&1 &
  pids+=($!)
  python - "$fake_port" <<'WAIT'
import socket, sys, time
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
        break
    except OSError:
        time.sleep(0.1)
WAIT
  echo "fake WeChat API on http://127.0.0.1:${fake_port} (requests it received: /_fake/requests)"
  # Demo content: the same files, with template ids filled in so lead alerts reach the fake end to end.
  if [ -z "${CONTENT_DIR:-}" ]; then
    rm -rf var/demo-content && cp -r content var/demo-content
    python - <<'IDS'
import re
path = "var/demo-content/templates.yaml"
text = open(path, encoding="utf-8").read()
ids = iter(["demo-lead-alert-template", "demo-lead-confirmation-template"])
open(path, "w", encoding="utf-8").write(re.sub(r'template_id: ""', lambda m: f'template_id: "{next(ids, "")}"', text))
IDS
    export CONTENT_DIR=var/demo-content
  fi
fi

# What scripts/sim.sh needs to talk to this server like WeChat does.
printf 'PORT=%q\nWECHAT_TOKEN=%q\nWECHAT_APPID=%q\nWECHAT_AES_KEY=%q\n' \
  "$PORT" "$WECHAT_TOKEN" "$WECHAT_APPID" "$WECHAT_AES_KEY" >var/demo.env

flask --app app content check
flask --app app menu publish || echo "menu not published (see above); the bot still runs"
flask --app app worker >var/worker.log 2>&1 &
pids+=($!)
gunicorn --config config/gunicorn.py "app:create_app()" --bind "127.0.0.1:${PORT}" --log-level warning &
pids+=($!)

cat <<INFO

WeChat bot running on http://127.0.0.1:${PORT}/wechat   (health: http://127.0.0.1:${PORT}/healthz)
  Token           ${WECHAT_TOKEN}
  AppID           ${WECHAT_APPID}
  EncodingAESKey  ${WECHAT_AES_KEY:-"(none: plaintext mode)"}
Try it in another terminal (from this folder), as a follower would:
  ./scripts/sim.sh "KOL"
  ./scripts/sim.sh "微博还有用吗"
  ./scripts/sim.sh --click MENU_CONTACT
  ./scripts/sim.sh --subscribe --scene expo2026
INFO
wait -n "${pids[@]}"
