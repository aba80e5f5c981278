#!/usr/bin/env bash
# The README's test command: set up what is missing, run the C++ unit tests of the core
# library and a seeded fuzz campaign of it, then the default pytest suite (tests marked
# `slow` are left out; run them with `.venv/bin/pytest -m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "[test] C++ unit tests (ctest)"
.venv/bin/cmake -S . -B build/ctest -DSPELANGY_BUILD_TESTS=ON -DSPELANGY_CUDA=OFF \
  -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE="$PWD/.venv/bin/python" \
  -Dpybind11_DIR="$(.venv/bin/python -m pybind11 --cmakedir)" >/dev/null
.venv/bin/cmake --build build/ctest --target spelangy_core_test spelangy_json_scanner_test \
  spelangy_fuzz_test -j2 >/dev/null
.venv/bin/ctest --test-dir build/ctest --output-on-failure

echo "[test] pytest"
exec .venv/bin/pytest -m "not slow" "$@"
