#!/usr/bin/env bash
# Build the mini corpus (about a minute on 2 cores), then show what the loader makes of it.
set -euo pipefail
out=${1:-data/mini}
spelangy prepare mini "$out"
spelangy stats "$out/cuts.jsonl.gz" --output-dir "$out/stats"
