/**
 * A fingerprint of the session generator: sha256 over the scripts generateScript makes for the
 * first N sessions of corpora 1 and 7, at grammar shares 0 and 1. A refactor of the generator
 * (families, scratch moves, grammar) must leave it unchanged; a change of the scripts must bump
 * GENERATOR_VERSION (src/corpus/record/record.ts). Usage: node --import tsx scripts/generator-hash.ts [N]
 */
import { createHash } from 'node:crypto';
import { generateScript, sessionId, sessionSeed } from '../src/corpus/generate/session.js';

const n = Number(process.argv[2] ?? 3000);
const all = createHash('sha256');
for (const grammarShare of [0, 1]) {
  for (const corpus of [1, 7]) {
    const h = createHash('sha256');
    for (let i = 0; i < n; i++) h.update(JSON.stringify(generateScript(sessionSeed(corpus, i), sessionId(corpus, i), { grammarShare })) + '\n');
    const d = h.digest('hex');
    all.update(d);
    process.stdout.write(`corpus ${corpus}, grammarShare ${grammarShare}, ${n} scripts: ${d}\n`);
  }
}
process.stdout.write(`all: ${all.digest('hex')}\n`);
