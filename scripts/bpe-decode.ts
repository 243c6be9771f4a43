/**
 * Decode speed of the tokenizer arms (issue 15): for each model, the same 16 prompts (the state
 * framing's context before turn 3 of the first 16 sessions of --data's test split, in the model's
 * ids), greedy, 128 new tokens each with no stop, batched (one Sampler.generate call), one thread.
 * Prints ids/s and bytes/s (the generated ids expanded to byte-level positions), best of 3.
 *   node --import tsx scripts/bpe-decode.ts DATA MODEL...
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SESSION_HOME } from '../src/core/terminal.js';
import { Sampler } from '../src/model/sampler.js';
import { fitStateContext } from '../src/model/stateframing.js';
import { sessionStateTurns } from '../src/train/data.js';
import type { Session } from '../src/session/format.js';

const [data, ...models] = process.argv.slice(2);
if (!data || models.length === 0) throw new Error('usage: bpe-decode.ts DATA MODEL...');
const sessions = readFileSync(join(data, 'test.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .slice(0, 16)
  .map((l) => JSON.parse(l) as Session);
const out: Record<string, unknown>[] = [];
for (const m of models) {
  const s = await Sampler.load(m, 1);
  const tok = s.tokenizer;
  const prompts = sessions.map((se) => {
    const turns = sessionStateTurns(se);
    const k = Math.min(2, turns.length - 1);
    return fitStateContext(turns.slice(0, k), SESSION_HOME, 0, turns[k]?.cmd ?? 'ls', s.config.context, 160, tok.kind === 'bytes' ? undefined : tok).tokens;
  });
  let best = Infinity;
  let ids = 0;
  let bytes = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    const gens = await s.generate(prompts, { maxTokens: 128, temperature: 0, stop: [] });
    const dt = (performance.now() - t0) / 1000;
    best = Math.min(best, dt);
    ids = gens.reduce((n, g) => n + g.tokens.length, 0);
    bytes = gens.reduce((n, g) => n + tok.expand(g.tokens).length, 0);
  }
  const r = {
    model: m,
    tokenizer: tok.kind,
    prompts: prompts.length,
    promptIds: prompts.reduce((n, p) => n + p.length, 0),
    ids,
    bytes,
    seconds: best,
    idsPerSec: ids / best,
    bytesPerSec: bytes / best,
  };
  out.push(r);
  console.log(JSON.stringify(r));
  await s.release();
}
