#!/usr/bin/env bash
# Issue 15's levers, each against state-2 (stage 1 of the state framing + 2,000 steps on the v4
# corpus, configs/terminal-state-stage2.json), on the same held-out turns:
#   state-3  training length: state-2 + 3,500 more steps      (configs/terminal-state-stage3.json)
#   rotary   rotary positions: stage 1 + 2,000 steps, wpe dropped (configs/terminal-state-rotary.json)
#   grammar  data: stage 1 + 2,000 steps on v4 + grammar sessions (configs/terminal-state-grammar.json)
# Steps:
#   1. record the grammar corpus (1,500 sessions, seed 7, --grammar-share 1) where absent
#   2. train the arms (resumable: re-running resumes each from its last checkpoint)
#   3. evaluate every arm on the first EVAL_LIMIT sessions of the v4 test split and of the grammar
#      test split (free-running and teacher-forced, with state accuracy), and on the probes
# Needs runs/corpus-v4, runs/train-state and runs/train-state-2 (scripts/ablation-state.sh makes them).
# Results: runs/ablation-state/<arm>/{tier1,tier1-grammar,probes}.json; tables on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/ablation-state}
EVAL_LIMIT=${EVAL_LIMIT:-20}
GRAMMAR=${GRAMMAR:-runs/corpus-grammar}
[ -f "$GRAMMAR/test.jsonl" ] || node bin/tw.js corpus generate --sessions 1500 --seed 7 --out "$GRAMMAR" --state --grammar-share 1 --jobs 6
train() { # name config init data
  local run="runs/train-$1"
  if [ -f "$run/meta.json" ]; then flags=--resume; else flags="--init $3"; fi
  node bin/tw.js train --config "$2" --data "$4" --out "$run" $flags --quiet >> "runs/train-$1.log" 2>&1
}
if [ "${SKIP_TRAIN:-0}" != 1 ]; then
  train state-3 terminal-state-stage3 runs/train-state-2 runs/corpus-v4 &
  train state-rotary terminal-state-rotary runs/train-state runs/corpus-v4 &
  wait
  train state-grammar terminal-state-grammar runs/train-state "runs/corpus-v4,$GRAMMAR"
fi
ARMS=${ARMS:-state-2:runs/train-state-2 state-3:runs/train-state-3 state-rotary:runs/train-state-rotary state-grammar:runs/train-state-grammar}
for arm in $ARMS; do
  name=${arm%%:*}; model=${arm#*:}
  mkdir -p "$OUT/$name"
  for set in v4:runs/corpus-v4:tier1 grammar:$GRAMMAR:tier1-grammar; do
    IFS=: read -r _ data file <<< "$set"
    [ -f "$OUT/$name/$file.json" ] || node bin/tw.js eval tier1 --backend learned --model "$model" --data "$data" --limit "$EVAL_LIMIT" \
      --no-oracle --ks 1,inf --json "$OUT/$name/$file.json" --out "$OUT/$name/$file" > "$OUT/$name/$file.txt" 2>&1
  done
  [ -f "$OUT/$name/probes.json" ] || TW_MODEL="$model" node bin/tw.js probe --backend learned --no-bounds --no-failures --json "$OUT/$name/probes.json" > "$OUT/$name/probes.txt" 2>&1
done
echo "## v4 test"; node --import tsx scripts/ablation-table.ts "$OUT" tier1.json
echo "## grammar test"; node --import tsx scripts/ablation-table.ts "$OUT" tier1-grammar.json
