#!/bin/bash
# Issue 15's shape levers, from the BPE model runs/ablation-bpe-warm/bpe (d=256, 4 layers, context 512),
# each at the same 4,000 steps x 2,048 tokens, data, tokenizer, schedule and seed as bpe2 (configs/terminal-bpe-warm2,
# the same source kept at its shape, what models/terminal-state holds):
#   deep: grown to 6 layers (configs/terminal-bpe-deep: 2 identity blocks on top, src/train/run.ts growLayers)
#   long: context 1,024 (configs/terminal-bpe-long: the position table tiled, growContext; batch 2, so the same tokens)
# then the evaluation of scripts/ablation-bpe-warm.sh: Tier 1 free-running and teacher-forced (no oracle) on the
# first 20 held-out sessions of the v4 and grammar test splits, Tier 2 (the probes) and the real SWE-agent sessions.
# Resumable: a run folder that exists is resumed; a result that exists is kept. ARMS="deep long" picks arms.
#   scripts/ablation-shape.sh    (needs runs/ablation-bpe-warm/bpe from scripts/ablation-bpe-warm.sh, and its corpora)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=runs/ablation-bpe-warm
RES=docs/results/ablation-bpe-warm
DATA=runs/corpus-v4,runs/corpus-grammar,runs/corpus-grammar-2
ARMS=${ARMS:-deep long}
for a in $ARMS; do
  if [ -z "${SKIP_TRAIN:-}" ]; then
    node bin/tw.js train --config terminal-bpe-$a --data $DATA --out $OUT/$a --quiet \
      $( [ -f $OUT/$a/meta.json ] && echo --resume || echo --init $OUT/bpe ) >> $OUT/train-$a.log 2>&1
  fi
  mkdir -p $RES/$a
  cp $OUT/$a/meta.json $RES/$a/train-meta.json
  cp $OUT/$a/metrics.jsonl $RES/$a/train-metrics.jsonl
  for d in corpus-v4 corpus-grammar; do
    name=tier1; [ $d = corpus-grammar ] && name=tier1-grammar
    [ -f $RES/$a/$name.json ] || node bin/tw.js eval tier1 --backend learned --model $OUT/$a --data runs/$d --limit 20 --no-oracle --ks 1,inf \
      --json $RES/$a/$name.json --out $OUT/eval-$a-$d > $OUT/eval-$a-$d.log 2>&1
  done
  [ -f $RES/$a/probes.json ] || TW_MODEL=$OUT/$a node bin/tw.js probe --backend learned --no-bounds --no-failures --json $RES/$a/probes.json > $OUT/probes-$a.txt 2>&1
  [ -f $RES/$a/swe-agent.json ] || node bin/tw.js eval tier1 --backend learned --model $OUT/$a --data ../shared/external/swe-agent-sessions.jsonl --no-oracle --ks 1,inf \
    --json $RES/$a/swe-agent.json --out $OUT/eval-$a-swe > $OUT/eval-$a-swe.log 2>&1
done
node --import tsx scripts/ablation-table.ts $RES tier1.json
node --import tsx scripts/ablation-table.ts $RES tier1-grammar.json
