# Sourced by run.sh and test.sh: make sure .venv exists with this project installed (and extras "$1").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PYTHON=$(command -v "$candidate"); break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "Python 3.11 or newer is required (apt-get install python3.11)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian and Ubuntu ship venv separately; install it when we may.
    rm -rf .venv
    pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq "python${pyver}-venv" >/dev/null
    elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
      sudo apt-get update -qq && sudo apt-get install -y -qq "python${pyver}-venv" >/dev/null
    else
      echo "cannot create a virtual environment: install python${pyver}-venv" >&2; exit 1
    fi
    "$PYTHON" -m venv .venv
  fi
fi

extras=${1:-}
stamp=".venv/.installed${extras:+-$extras}"
up_to_date() {   # a stamp newer than pyproject.toml; an install with extras (e.g. test) includes the plain one
  local candidate
  for candidate in "$@"; do
    [ -f "$candidate" ] && [ ! pyproject.toml -nt "$candidate" ] && return 0
  done
  return 1
}
if [ -n "$extras" ]; then candidates=("$stamp"); else candidates=("$stamp" .venv/.installed-*); fi
if ! up_to_date "${candidates[@]}"; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
