#!/usr/bin/env bash
# One-time set-up on a fresh machine: system packages (festival voices, espeak-ng, sox),
# a virtual environment in .venv, and spelangy with its C++ extension built in place.
# Safe to re-run: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts espeak-ng sox)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  echo "[setup] installing system packages: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)

# The build runs without isolation so that it reuses these pinned tools.
"${PIP[@]}" install -c constraints.txt scikit-build-core pybind11 cmake ninja
echo "[setup] building and installing spelangy"
# The trainers' extras too: the tests run each documented loop.
"${PIP[@]}" install -c constraints.txt --no-build-isolation -e ".[test,lightning,torchdata,torchtitan,hf]"
