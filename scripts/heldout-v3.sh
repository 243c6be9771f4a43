#!/usr/bin/env bash
# Write data/corpus/ (the held-out splits Tier 1 reads by default) from a generator-v3 corpus,
# leaving out every session whose command sequence the generator-v2 corpus (seed 1, 8,000
# sessions) also produced: the shipped model was warm-started from a model trained on that
# corpus, so those sessions are not held out from it. The v2 command sequences are regenerated
# from the last v2 commit (49c5438~1) in a temporary git worktree; nothing is recorded.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-runs/corpus-v3}
OUT=${OUT:-data/corpus}
V2=$(mktemp -d)
trap 'git worktree remove --force "$V2" >/dev/null 2>&1 || true' EXIT
git worktree add -f --detach "$V2" 49c5438~1 >/dev/null 2>&1
ln -s "$PWD/node_modules" "$V2/node_modules"
cat > "$V2/v2hashes.ts" <<'TS'
import { createHash } from 'node:crypto';
import { generateScript, sessionId, sessionSeed } from './src/corpus/generate/session.js';
const out: string[] = [];
for (let i = 0; i < 8000; i++) out.push(createHash('sha256').update(JSON.stringify(generateScript(sessionSeed(1, i), sessionId(1, i), { median: 12, maxTurns: 60 }).turns.map((t) => t.cmd))).digest('hex'));
console.log(JSON.stringify(out));
TS
(cd "$V2" && node --import tsx v2hashes.ts) > "$V2/v2.json"
node - "$CORPUS" "$OUT" "$V2/v2.json" <<'JS'
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const [corpus, out, v2file] = process.argv.slice(2);
const v2 = new Set(JSON.parse(fs.readFileSync(v2file, 'utf8')));
const key = (s) => createHash('sha256').update(JSON.stringify(s.turns.map((t) => t.cmd))).digest('hex');
const manifest = JSON.parse(fs.readFileSync(`${corpus}/manifest.json`, 'utf8'));
const excluded = {};
fs.mkdirSync(out, { recursive: true });
for (const split of ['valid', 'test']) {
  const lines = fs.readFileSync(`${corpus}/${split}.jsonl`, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => !v2.has(key(JSON.parse(l))));
  excluded[split] = lines.length - kept.length;
  fs.writeFileSync(`${out}/${split}.jsonl`, kept.map((l) => l + '\n').join(''));
  manifest.counts[split] = kept.length;
}
manifest.heldOut = {
  note: 'valid/test of the generator-v3 corpus minus sessions whose command sequence the generator-v2 corpus (seed 1, 8,000 sessions) also holds: the shipped model was warm-started from a model trained on that corpus',
  excluded,
  script: 'scripts/heldout-v3.sh',
};
fs.writeFileSync(`${out}/manifest.json`, JSON.stringify(manifest, null, 2) + '\n');
console.log(`held-out splits in ${out}: valid ${manifest.counts.valid}, test ${manifest.counts.test} (left out as also in the v2 corpus: valid ${excluded.valid}, test ${excluded.test})`);
JS
