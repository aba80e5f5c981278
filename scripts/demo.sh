#!/usr/bin/env bash
# The README's main command: set up, prepare the mini corpus if missing, measure the loader,
# and train the tiny config on CPU with 2 processes (FSDP2 over gloo). A few minutes.
#
#   scripts/demo.sh                 # STEPS=300 OUT=outputs/demo by default
#   STEPS=600 scripts/demo.sh       # longer; SKIP_SETUP=1 skips scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=${STEPS:-300}
OUT=${OUT:-outputs/demo}
DATA=${DATA:-data/mini}

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  scripts/setup.sh
fi

if [ ! -f "$DATA/spm.model" ]; then
  echo "[demo] preparing the mini corpus in $DATA (festival voices read a dozen documents)"
  .venv/bin/spelangy prepare mini "$DATA"
fi

echo "[demo] loader alone: one DataLoader worker packing rows of 16,384 tokens (the paper's)"
.venv/bin/python - "$DATA" <<'EOF'
import sys

from spelangy.train.config import DataConfig
from spelangy.train.data import CorpusDataset, loader_throughput

dataset = CorpusDataset(sys.argv[1], DataConfig(seq_len=16384, batch_size=1), seed=0)()
r = loader_throughput(dataset, num_batches=100, num_workers=1)
print(f"[demo] loader: {r['tokens_per_s']:,.0f} packed tokens/s "
      f"({r['tokens']:,} tokens in {r['seconds']:.2f} s)")
EOF

echo "[demo] training the tiny config for $STEPS steps on 2 CPU processes -> $OUT"
rm -rf "$OUT"
.venv/bin/spelangy train --config tiny --steps "$STEPS" --output-dir "$OUT" --nproc 2 --data "$DATA"
echo "[demo] per-step metrics: $OUT/metrics.jsonl"
