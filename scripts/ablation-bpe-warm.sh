#!/bin/bash
# Issue 15's tokenizer lever at a longer budget, from a warm start: the byte model state-grammar2 trained on for
# MINUTES (default 110) of wall clock in bytes (terminal-bytes-warm) and, side by side, warm-started into BPE-1024
# (terminal-bpe-warm: the byte embedding carried over to the BPE vocabulary, src/train/run.ts transferVocab), on
# the same data, schedule and seed, one thread each; then Tier 1 (free-running and teacher-forced, no oracle) on
# the first 20 held-out sessions of the v4 and grammar test splits, Tier 2 (the probes), and the real SWE-agent
# sessions (evaluation only). A run folder that exists is resumed for another MINUTES; SKIP_TRAIN=1 only evaluates.
#   scripts/ablation-bpe-warm.sh    (needs runs/train-state-grammar2 from scripts/ablation-grammar2.sh, and its corpora)
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${MINUTES:-110}
OUT=runs/ablation-bpe-warm
RES=docs/results/ablation-bpe-warm
DATA=runs/corpus-v4,runs/corpus-grammar,runs/corpus-grammar-2
TOK=docs/results/ablation-bpe/1024/tokenizer.json
INIT=runs/train-state-grammar2
mkdir -p $OUT $RES
if [ -z "${SKIP_TRAIN:-}" ]; then
  node bin/tw.js train --config terminal-bytes-warm --data $DATA --out $OUT/bytes --max-minutes $MIN --quiet \
    $( [ -f $OUT/bytes/meta.json ] && echo --resume || echo --init $INIT ) > $OUT/train-bytes.log 2>&1 &
  node bin/tw.js train --config terminal-bpe-warm --data $DATA --out $OUT/bpe --max-minutes $MIN --quiet \
    $( [ -f $OUT/bpe/meta.json ] && echo --resume || echo --init $INIT --tokenizer $TOK ) > $OUT/train-bpe.log 2>&1 &
  wait
fi
for a in bytes bpe; do
  mkdir -p $RES/$a
  cp $OUT/$a/meta.json $RES/$a/train-meta.json
  cp $OUT/$a/metrics.jsonl $RES/$a/train-metrics.jsonl
done
for d in corpus-v4 corpus-grammar; do
  name=tier1; [ $d = corpus-grammar ] && name=tier1-grammar
  for a in bytes bpe; do
    [ -f $RES/$a/$name.json ] || node bin/tw.js eval tier1 --backend learned --model $OUT/$a --data runs/$d --limit 20 --no-oracle --ks 1,inf \
      --json $RES/$a/$name.json --out $OUT/eval-$a-$d > $OUT/eval-$a-$d.log 2>&1 &
  done
  wait
done
for a in bytes bpe; do
  [ -f $RES/$a/probes.json ] || TW_MODEL=$OUT/$a node bin/tw.js probe --backend learned --no-bounds --no-failures --json $RES/$a/probes.json > $OUT/probes-$a.txt 2>&1 &
done
wait
for a in bytes bpe; do
  [ -f $RES/$a/swe-agent.json ] || node bin/tw.js eval tier1 --backend learned --model $OUT/$a --data ../shared/external/swe-agent-sessions.jsonl --no-oracle --ks 1,inf \
    --json $RES/$a/swe-agent.json --out $OUT/eval-$a-swe > $OUT/eval-$a-swe.log 2>&1 &
done
wait
node --import tsx scripts/ablation-table.ts $RES tier1.json
node --import tsx scripts/ablation-table.ts $RES tier1-grammar.json
