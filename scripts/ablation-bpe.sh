#!/bin/bash
# Issue 15's tokenizer lever: bytes vs BPE (vocab 1024), from a seeded init, same data, shape, seed and
# schedule, the same wall-clock budget (--max-minutes, default 30), trained side by side with one thread each;
# then Tier 1 (free-running and teacher-forced, no oracle) on 20 held-out sessions of each corpus and the decode
# speed. A run folder that exists is resumed for another MINUTES; SKIP_TRAIN=1 only evaluates (latest checkpoints).
#   MINUTES=30 scripts/ablation-bpe.sh          (needs runs/corpus-v4 and runs/corpus-grammar)
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${MINUTES:-30}
OUT=runs/ablation-bpe
RES=docs/results/ablation-bpe
DATA=runs/corpus-v4,runs/corpus-grammar
mkdir -p $OUT $RES
[ -f $OUT/tok-1024.json ] || node bin/tw.js tokenizer train --data $DATA --vocab 1024 --out $OUT/tok-1024.json
if [ -z "${SKIP_TRAIN:-}" ]; then
  node bin/tw.js train --config terminal-bpe-bytes --data $DATA --out $OUT/bytes --max-minutes $MIN --quiet $( [ -f $OUT/bytes/meta.json ] && echo --resume ) &
  node bin/tw.js train --config terminal-bpe-1024 --data $DATA --out $OUT/1024 --max-minutes $MIN --quiet --tokenizer $OUT/tok-1024.json $( [ -f $OUT/1024/meta.json ] && echo --resume ) &
  wait
fi
for d in corpus-v4 corpus-grammar; do
  name=tier1; [ $d = corpus-grammar ] && name=tier1-grammar
  for a in bytes 1024; do
    mkdir -p $RES/$a
    node bin/tw.js eval tier1 --backend learned --model $OUT/$a --data runs/$d --limit 20 --no-oracle --ks 1,inf --json $RES/$a/$name.json --out $OUT/eval-$a-$d &
  done
  wait
done
node --import tsx scripts/bpe-decode.ts runs/corpus-v4 $OUT/bytes $OUT/1024 | tee $RES/decode.jsonl
node --import tsx scripts/ablation-table.ts $RES tier1.json
node --import tsx scripts/ablation-table.ts $RES tier1-grammar.json
