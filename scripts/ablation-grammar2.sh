#!/usr/bin/env bash
# Issue 15's data lever, pushed further: the grammar arm (scripts/ablation-levers.sh) + 6,000 steps on v4
# pooled with 5,500 grammar sessions (the 1,500 of seed 7 and 4,000 more of seed 8), then the same evaluation
# as the other arms (20 held-out v4 sessions, 20 grammar-test sessions of seed 7, the probes).
# Resumable: re-running resumes training from its last checkpoint and skips finished evaluations.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/ablation-state}
GRAMMAR2=${GRAMMAR2:-runs/corpus-grammar-2}
[ -f "$GRAMMAR2/test.jsonl" ] || node bin/tw.js corpus generate --sessions 4000 --seed 8 --out "$GRAMMAR2" --state --grammar-share 1 --jobs 6
run=runs/train-state-grammar2
if [ -f "$run/meta.json" ]; then flags=--resume; else flags="--init runs/train-state-grammar"; fi
node bin/tw.js train --config terminal-state-grammar2 --data "runs/corpus-v4,runs/corpus-grammar,$GRAMMAR2" --out "$run" $flags --quiet >> runs/train-state-grammar2.log 2>&1
SKIP_TRAIN=1 OUT="$OUT" ARMS="state-grammar2:$run" bash scripts/ablation-levers.sh
