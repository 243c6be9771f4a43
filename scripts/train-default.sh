#!/usr/bin/env bash
# Reproduce the shipped learned terminal, models/terminal-small/, from nothing but this checkout:
#   1. record the corpus on the real sandbox (12,000 generated sessions, seed 1; ~5 min on 2 cores)
#   2. train configs/terminal-small.json on its train split (10,000 steps; ~65 min on 2 cores)
#   3. ship the last checkpoint with its card and training curve into models/terminal-small/
# Resumable: re-running skips recorded sessions and resumes training from the last checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-runs/corpus-v3}
RUN=${RUN:-runs/terminal-small}
OUT=${OUT:-models/terminal-small}
node bin/tw.js corpus generate --sessions 12000 --seed 1 --out "$CORPUS"
if [ -f "$RUN/meta.json" ]; then RESUME=--resume; else RESUME=; fi
node bin/tw.js train --data "$CORPUS" --config terminal-small --out "$RUN" $RESUME
node bin/tw.js model ship --run "$RUN" --out "$OUT"
