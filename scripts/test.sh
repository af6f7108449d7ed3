#!/usr/bin/env bash
# Install everything and run the whole test suite. Uses the Redis at $REDIS_URL (default
# redis://127.0.0.1:6379/9) when one answers, else starts an embedded one: no setup needed. The console's
# browser tests use Debian's chromium, installed here with apt when /usr/bin/chromium is missing.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test
source scripts/_browser.sh      # Debian's chromium for the console's Playwright tests (installed when missing)
exec python -m pytest "$@"
