#!/usr/bin/env bash
# Long recordings in IN_DIR, each with <name>.words.tsv (and optionally <name>.rttm) beside it.
set -euo pipefail
in=${1:?usage: run.sh IN_DIR [OUT_DIR]}
out=${2:-data/web}
spelangy prepare web "$in" "$out"
cat "$out/web_stats.json"
spelangy stats "$out/cuts.jsonl.gz" --output-dir "$out/stats"
