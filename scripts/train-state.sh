#!/usr/bin/env bash
# Reproduce the shipped default learned terminal, models/terminal-state/, from this checkout: every stage of
# its lineage (card.json holds it), each a `tw train` run warm-started from the one before; no evaluation.
#   0. corpora on the real sandbox, with state (tw corpus generate --state): the v4 generator (12,000 sessions,
#      seed 1) and the grammar generator (1,500 sessions of seed 7, 4,000 of seed 8)
#   1. the turns-framed model it grew from: models/terminal-small as of git 25b0c2c (scripts/train-default.sh
#      rebuilds that one)
#   2. state framing on v4 (configs/terminal-state.json, 2,500 steps)
#   3. + grammar sessions (terminal-state-grammar, 2,000 steps), + the second grammar corpus
#      (terminal-state-grammar2, 6,000 steps)
#   4. into BPE-1024 (terminal-bpe-warm, 5,000 steps; the committed merges docs/results/ablation-bpe/1024/tokenizer.json)
#   5. the FINAL stage from it (configs/terminal-$FINAL.json; default bpe-warm2, 4,000 steps; the depth and context levers are
#      FINAL=bpe-deep / bpe-long, see docs/learned.md), then `tw model ship` into OUT
# Stages run one after the other; each resumes from its last checkpoint when re-run (kill -9 safe).
# Wall clock on the shared 2-core machine: about 6 hours in all (docs/learned.md lists each stage's).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-models/terminal-state}
FINAL=${FINAL:-bpe-warm2}
V4=runs/corpus-v4
G1=runs/corpus-grammar
G2=runs/corpus-grammar-2
[ -f $V4/test.jsonl ] || node bin/tw.js corpus generate --sessions 12000 --seed 1 --out $V4 --state
[ -f $G1/test.jsonl ] || node bin/tw.js corpus generate --sessions 1500 --seed 7 --out $G1 --state --grammar-share 1 --jobs 6
[ -f $G2/test.jsonl ] || node bin/tw.js corpus generate --sessions 4000 --seed 8 --out $G2 --state --grammar-share 1 --jobs 6
INIT=runs/init-stage3
if [ ! -f $INIT/model.safetensors ]; then
  mkdir -p $INIT
  for f in config.json model.safetensors card.json; do git show "25b0c2c:models/terminal-small/$f" > "$INIT/$f"; done
fi
stage() { # run config init data [extra flags]
  local run=$1 cfg=$2 init=$3 data=$4
  shift 4
  if [ -f "$run/meta.json" ]; then set -- --resume; else set -- --init "$init" "$@"; fi
  echo "== $run ($cfg)" >&2
  node bin/tw.js train --config "$cfg" --data "$data" --out "$run" "$@" --quiet
}
stage runs/train-state terminal-state $INIT $V4
stage runs/train-state-grammar terminal-state-grammar runs/train-state $V4,$G1
stage runs/train-state-grammar2 terminal-state-grammar2 runs/train-state-grammar $V4,$G1,$G2
stage runs/ablation-bpe-warm/bpe terminal-bpe-warm runs/train-state-grammar2 $V4,$G1,$G2 --tokenizer docs/results/ablation-bpe/1024/tokenizer.json
stage runs/train-$FINAL terminal-$FINAL runs/ablation-bpe-warm/bpe $V4,$G1,$G2
node bin/tw.js model ship --run runs/train-$FINAL --out "$OUT"
