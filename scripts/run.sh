#!/usr/bin/env bash
# Install and start the bot locally: an embedded Redis (data under $VAR_DIR, default var/), a local fake of
# the WeChat API (unless WECHAT_SECRET is set), the worker, and gunicorn on $PORT (default 8000).
# Ctrl-C or SIGTERM stops every process it started, Redis last.
# The demo settings go to .env ($ENV_FILE), which `flask --app app ...` and scripts/sim.sh read: the CLI
# works from this folder with nothing exported.
set -euo pipefail
source "$(dirname "$0")/_venv.sh"

VAR_DIR=${VAR_DIR:-var}
ENV_FILE=${ENV_FILE:-.env}
ENV_MARKER="# Written by scripts/run.sh"
export PORT=${PORT:-8000}
export WECHAT_TOKEN=${WECHAT_TOKEN:-demotoken2026}
export WECHAT_APPID=${WECHAT_APPID:-wxd3m0a1b2c3d4e5f6}
export WECHAT_AES_KEY=${WECHAT_AES_KEY-d3m0EncodingAESKeyForLocalTrialsOnly0000000}
export SALES_OPENIDS=${SALES_OPENIDS:-o_demo_sales_phone}

mkdir -p "$VAR_DIR"
export REDIS_EMBEDDED_DIR=${REDIS_EMBEDDED_DIR:-$VAR_DIR}   # also keeps the demo console's generated session key
pids=()          # the app's processes, stopped first
redis_pid=""     # stopped last, once nothing writes to it any more

running() {      # is any of these processes still running? (an exited one waiting to be reaped is not)
  local pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != Z ] && return 0
  done
  return 1
}
stop_pids() {    # SIGTERM, then SIGKILL whatever is still running after 20 s; reap them all
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for _ in $(seq 200); do
    running "$@" || break
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null || true
  wait "$@" 2>/dev/null || true
}
stop_all() {
  trap - EXIT INT TERM
  stop_pids ${pids[@]+"${pids[@]}"}
  [ -z "$redis_pid" ] || stop_pids "$redis_pid"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() {     # wait_for DESCRIPTION PYTHON-CONDITION: poll for up to 30 s
  python - "$1" "$2" <<'WAIT'
import sys, time
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        if eval(sys.argv[2]):
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.1)
sys.exit(f"{sys.argv[1]} did not start")
WAIT
}

if [ -z "${REDIS_URL:-}" ]; then
  # One embedded Redis for every process here, in its own session so Ctrl-C reaches it only through stop_all.
  setsid python -m devtools.embedded_redis "$VAR_DIR" >"$VAR_DIR/redis.log" 2>&1 &
  redis_pid=$!
  export REDIS_URL="unix://$(cd "$VAR_DIR" && pwd)/redis.socket"
  wait_for "the embedded Redis" "__import__('redis').Redis.from_url('$REDIS_URL').ping()"
fi

if [ -z "${WECHAT_SECRET:-}" ]; then
  # No real AppSecret: talk to a local fake of the WeChat API so menus and template messages work offline,
  # with template ids for the demo from settings (content/templates.yaml ships them empty).
  fake_port=${FAKE_WECHAT_PORT:-8088}
  export WECHAT_SECRET=demo-app-secret WECHAT_API_BASE_URL="http://127.0.0.1:${fake_port}"
  export WECHAT_TEMPLATE_IDS=${WECHAT_TEMPLATE_IDS:-lead_sales_alert=demo-lead-alert-template,lead_confirmation=demo-lead-confirmation-template}
  python -m devtools.fake_wechat_api --port "$fake_port" --appid "$WECHAT_APPID" --secret "$WECHAT_SECRET" \
    >"$VAR_DIR/fake-wechat.log" 2>&1 &
  pids+=($!)
  wait_for "the fake WeChat API" "__import__('socket').create_connection(('127.0.0.1', $fake_port), timeout=0.5)"
  echo "fake WeChat API on http://127.0.0.1:${fake_port} (requests it received: /_fake/requests)"
fi

# What `flask --app app ...` and scripts/sim.sh need to reach this bot (a .env of your own is left alone).
if [ ! -e "$ENV_FILE" ] || head -n 1 "$ENV_FILE" | grep -qF "$ENV_MARKER"; then
  {
    echo "$ENV_MARKER for the local demo; it rewrites this file on every start. Not for production."
    for name in PORT WECHAT_TOKEN WECHAT_APPID WECHAT_AES_KEY WECHAT_SECRET WECHAT_API_BASE_URL REDIS_URL \
                 SALES_OPENIDS WECHAT_TEMPLATE_IDS CONTENT_DIR REDIS_KEY_PREFIX; do
      [ -n "${!name:-}" ] || continue
      value=${!name//\\/\\\\}
      printf '%s="%s"\n' "$name" "${value//\"/\\\"}"
    done
  } >"$ENV_FILE"
else
  echo "note: $ENV_FILE was not written by run.sh, so it is left as it is" >&2
fi

flask --app app content check
# The console's first login: CONSOLE_PASSWORD, or a generated password shown this once (fresh install only).
console_login=$(flask --app app users first-admin)
flask --app app menu publish || echo "menu not published (see above); the bot still runs"
flask --app app worker >"$VAR_DIR/worker.log" 2>&1 &
pids+=($!)
gunicorn --config config/gunicorn.py "app:create_app()" --bind "127.0.0.1:${PORT}" --log-level warning &
pids+=($!)

cat <<INFO

WeChat bot running on http://127.0.0.1:${PORT}/wechat   (health: http://127.0.0.1:${PORT}/healthz)
  Token           ${WECHAT_TOKEN}
  AppID           ${WECHAT_APPID}
  EncodingAESKey  ${WECHAT_AES_KEY:-"(none: plaintext mode)"}
Try it in another terminal (from this folder), as followers would:
  ./scripts/sim.sh --as anna "KOL"
  ./scripts/sim.sh --as bo "微博还有用吗"
  ./scripts/sim.sh --as carla --click MENU_CONTACT
  ./scripts/sim.sh --as dan --subscribe --scene expo2026
The CLI reads ${ENV_FILE}: .venv/bin/flask --app app content diff

Console (edit, preview, publish, roll back): http://127.0.0.1:${PORT}/console/
INFO
if [ -n "$console_login" ]; then
  echo "  log in as  ${console_login% *}  with password  ${console_login#* }   (shown once: note it down)"
elif [ -n "${CONSOLE_PASSWORD:-}" ]; then
  echo "  log in as  admin  with your CONSOLE_PASSWORD"
else
  echo "  log in with your console account (new one: .venv/bin/flask --app app users add NAME --role marketer)"
fi
wait -n "${pids[@]}"
