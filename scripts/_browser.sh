# Sourced by test.sh: the console's browser tests drive Debian's chromium through Playwright (browsers
# cannot be downloaded here, so Playwright gets this path instead of its own build), with a Chinese font
# so pages and screenshots show the zh UI. Install what is missing, as _venv.sh installs python's venv.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; then
  missing+=(fonts-wqy-microhei)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} for the console's browser tests (once)..." >&2
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "cannot install ${missing[*]}: run 'apt-get install ${missing[*]}' (the browser tests need them)" >&2
    exit 1
  fi
fi
export CHROMIUM
