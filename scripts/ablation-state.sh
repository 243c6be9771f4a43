#!/usr/bin/env bash
# Issue 15's first ablation: the state framing vs the turns framing, same shape, same warm start
# (the shipped terminal-small stage 3, git 25b0c2c), same data (the v4 corpus, recorded with state),
# same steps, batch, learning rate and seed; the two arms trained side by side (1 thread each).
#   1. record the v4 corpus (tw corpus generate --state; skipped where already recorded)
#   2. train both arms (resumable: re-running resumes from the last checkpoints)
#   3. evaluate each arm and the warm start on the same held-out turns (EVAL_LIMIT sessions of the
#      v4 test split, teacher-forced and free-running, with state accuracy) and on the probe suite
# Results: runs/ablation-state/<arm>/{tier1,probes}.json and a table on stdout.
# ARMS="name:model-dir ..." evaluates other models the same way (e.g. a later stage).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-runs/corpus-v4}
INIT=${INIT:-runs/init-stage3}
OUT=${OUT:-runs/ablation-state}
EVAL_LIMIT=${EVAL_LIMIT:-20}
[ -f "$CORPUS/test.jsonl" ] || node bin/tw.js corpus generate --sessions 12000 --seed 1 --out "$CORPUS" --state
if [ ! -f "$INIT/model.safetensors" ]; then
  mkdir -p "$INIT"
  for f in config.json model.safetensors card.json; do git show "25b0c2c:models/terminal-small/$f" > "$INIT/$f"; done
fi
if [ "${SKIP_TRAIN:-0}" != 1 ]; then
  pids=()
  for arm in state turns-v4; do
    run="runs/train-$arm"
    if [ -f "$run/meta.json" ]; then flags=--resume; else flags="--init $INIT"; fi
    node bin/tw.js train --config "terminal-$arm" --data "$CORPUS" --out "$run" $flags --quiet > "runs/train-$arm.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
fi
ARMS=${ARMS:-init:$INIT turns-v4:runs/train-turns-v4 state:runs/train-state}
for arm in $ARMS; do
  name=${arm%%:*}; model=${arm#*:}
  mkdir -p "$OUT/$name"
  [ -f "$OUT/$name/tier1.json" ] || node bin/tw.js eval tier1 --backend learned --model "$model" --data "$CORPUS" --limit "$EVAL_LIMIT" \
    --no-oracle --ks 1,inf --json "$OUT/$name/tier1.json" --out "$OUT/$name/tier1" > "$OUT/$name/tier1.txt" 2>&1
  [ -f "$OUT/$name/probes.json" ] || TW_MODEL="$model" node bin/tw.js probe --backend learned --no-bounds --no-failures --json "$OUT/$name/probes.json" > "$OUT/$name/probes.txt" 2>&1
done
node --import tsx scripts/ablation-table.ts "$OUT"
