#!/usr/bin/env bash
# Install everything and run the whole test suite. Uses the Redis at $REDIS_URL (default
# redis://127.0.0.1:6379/9) when one answers, else starts an embedded one: no setup needed.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test
exec python -m pytest "$@"
