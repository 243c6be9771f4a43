#!/usr/bin/env bash
# Regenerate every figure the README quotes for the shipped learned terminal (docs/results/):
#   Tier 1 on the first 120 held-out test sessions (~11 min on 2 cores) and on the external
#   SWE-agent sessions (evaluation only), Tier 2 probes (~1 min) and the Oils conformance cases (~1 min).
# MODEL=DIR evaluates another checkpoint; OUT=DIR writes somewhere else than docs/results.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-models/terminal-state}
OUT=${OUT:-docs/results}
SWE=${SWE:-../shared/external/swe-agent-sessions.jsonl}
mkdir -p "$OUT"
node bin/tw.js eval tier1 --backend learned --model "$MODEL" --data data/corpus --limit 120 \
  --out runs/eval-tier1-test --json "$OUT/tier1-learned-test.json"
cp runs/eval-tier1-test/*.svg "$OUT/"
if [ -f "$SWE" ]; then
  node bin/tw.js eval tier1 --backend learned --model "$MODEL" --data "$SWE" \
    --out runs/eval-tier1-swe --json "$OUT/tier1-learned-swe.json"
fi
TW_MODEL="$MODEL" node bin/tw.js probe --backend learned --json "$OUT/probe-learned.json" --no-failures
TW_MODEL="$MODEL" node bin/tw.js conformance --backend learned --json "$OUT/conformance-learned.json" --show 0
