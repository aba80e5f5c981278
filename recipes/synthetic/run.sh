#!/usr/bin/env bash
# Read a JSONL text corpus aloud: prose with festival, and a qa set with espeak-ng accents.
set -euo pipefail
prose=${1:?usage: run.sh PROSE.jsonl [QA.jsonl]}
spelangy prepare synthetic "$prose" data/synthetic-prose --variant prose --tts festival
if [[ $# -ge 2 ]]; then
  spelangy prepare synthetic "$2" data/synthetic-qa --variant qa --tts espeak-ng
fi
