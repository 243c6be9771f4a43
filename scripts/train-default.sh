#!/usr/bin/env bash
# Reproduce the shipped learned terminal, models/terminal-small/, from this checkout:
#   1. record the corpus on the real sandbox (12,000 generator-v3 sessions, seed 1; ~11 min on 2 cores)
#   2. warm start: the weights of the first shipped model (commit 46bc6b6: 6,000 steps on the
#      generator-v2 corpus, itself made by that commit's scripts/train-default.sh), taken from git
#   3. stage 2: train configs/terminal-small-continue.json on the v3 train split from those weights (5,000 steps)
#   4. stage 3: train configs/terminal-small-stage3.json on the same split from stage 2 (14,000 steps, new data order)
#   5. ship stage 3's last checkpoint with its card (lineage included) and training curve into models/terminal-small/
#   6. write data/corpus/ (the held-out splits) from the v3 corpus, minus sessions the v2 corpus also held
# FROM_SCRATCH=1 skips the warm starts and trains configs/terminal-small.json (10,000 steps) instead.
# Note: `ls -l` dates in the corpus are the recording day's (file times are not faked, docs/sandbox.md),
# so a corpus recorded on another day differs in those bytes.
# Resumable: re-running skips recorded sessions and resumes training from the last checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-runs/corpus-v3}
RUN=${RUN:-runs/terminal-small-v2}
RUN3=${RUN3:-runs/terminal-small-v3}
OUT=${OUT:-models/terminal-small}
INIT=${INIT:-runs/init-v1}
node bin/tw.js corpus generate --sessions 12000 --seed 1 --out "$CORPUS"
if [ -f "$RUN/meta.json" ]; then RESUME=--resume; else RESUME=; fi
if [ "${FROM_SCRATCH:-0}" = 1 ]; then
  node bin/tw.js train --data "$CORPUS" --config terminal-small --out "$RUN" $RESUME
else
  if [ ! -f "$INIT/model.safetensors" ]; then
    if ! git cat-file -e 46bc6b6:models/terminal-small/model.safetensors 2>/dev/null; then
      echo "train-default: stage 1's weights (commit 46bc6b6) are not in this clone's history" >&2
      echo "fix: git fetch --unshallow (or put a checkpoint in $INIT, or run FROM_SCRATCH=1 $0)" >&2
      exit 1
    fi
    mkdir -p "$INIT"
    for f in config.json model.safetensors card.json; do git show "46bc6b6:models/terminal-small/$f" > "$INIT/$f"; done
  fi
  if [ -n "$RESUME" ]; then INIT_FLAG=; else INIT_FLAG="--init $INIT"; fi
  node bin/tw.js train --data "$CORPUS" --config terminal-small-continue --out "$RUN" $RESUME $INIT_FLAG
  if [ -f "$RUN3/meta.json" ]; then RESUME3=--resume; INIT3=; else RESUME3=; INIT3="--init $RUN"; fi
  node bin/tw.js train --data "$CORPUS" --config terminal-small-stage3 --out "$RUN3" $RESUME3 $INIT3
  RUN=$RUN3
fi
node bin/tw.js model ship --run "$RUN" --out "$OUT"
CORPUS="$CORPUS" scripts/heldout-v3.sh
