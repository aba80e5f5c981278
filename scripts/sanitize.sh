#!/usr/bin/env bash
# The C++ core under AddressSanitizer and UndefinedBehaviorSanitizer: its unit tests, a fuzz
# campaign of every core entry point, then the Python fuzz targets (tests/fuzz.py) through an
# instrumented extension. Needs scripts/setup.sh first (the .venv); .ci/run calls it.
#   scripts/sanitize.sh [iterations per C++ fuzz target] [Python fuzz minutes]
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS=${1:-100000}
PY_MINUTES=${2:-1}
BUILD=build/sanitize

echo "[sanitize] building the core, its tests and the extension with -fsanitize=address,undefined"
.venv/bin/cmake -S . -B "$BUILD" -DSPELANGY_BUILD_TESTS=ON -DSPELANGY_SANITIZE=ON \
  -DSPELANGY_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPython_EXECUTABLE="$PWD/.venv/bin/python" \
  -Dpybind11_DIR="$(.venv/bin/python -m pybind11 --cmakedir)" >/dev/null
.venv/bin/cmake --build "$BUILD" -j2 >/dev/null

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
echo "[sanitize] C++ unit tests and the seeded fuzz campaign (ctest)"
.venv/bin/ctest --test-dir "$BUILD" --output-on-failure
SEED=${SPELANGY_FUZZ_SEED:-$(date +%s)}
echo "[sanitize] C++ fuzz campaign: $ITERATIONS inputs per target, seed $SEED"
"$BUILD/spelangy_fuzz_test" "$ITERATIONS" "$SEED"

# The instrumented extension, imported instead of the installed one: a venv whose path has
# the package (a tree of links to the sources, plus the instrumented _C) and the installed
# dependencies, without the editable install's import hook.
echo "[sanitize] Python fuzz targets through the instrumented extension ($PY_MINUTES min)"
rm -rf "$BUILD/py" && mkdir -p "$BUILD/py"
cp -rs "$PWD/spelangy" "$BUILD/py/spelangy"
cp "$BUILD"/_C.*.so "$BUILD/py/spelangy/"
[ -x "$BUILD/venv/bin/python" ] || .venv/bin/python -m venv --without-pip "$BUILD/venv"
SITE=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
VENV_SITE=$("$BUILD/venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
printf '%s\n%s\n' "$PWD/$BUILD/py" "$SITE" > "$VENV_SITE/spelangy-sanitize.pth"
# The ASan runtime must load first; libstdc++ with it, so that its exception interceptor
# finds the real __cxa_throw (else the first C++ exception aborts the interpreter).
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)"
"$BUILD/venv/bin/python" -P -c \
  "import spelangy._C as c, sys; assert '$BUILD/py' in c.__file__, c.__file__"
"$BUILD/venv/bin/python" -P tests/fuzz.py \
  --minutes "$PY_MINUTES" --examples 300 --seed "$SEED"
