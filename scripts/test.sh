#!/usr/bin/env bash
# The README's test command: set up what is missing, then run the default test suite
# (tests marked `slow` are left out; run them with `.venv/bin/pytest -m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/pytest -m "not slow" "$@"
