/**
 * End to end with a model trained in the test: the tiny config (d=32, 2 layers, T=64) trained for
 * 300 seeded steps (~10 s on 2 cores) on the engine's synthetic shell world (echo, pwd, cd, true,
 * false, cat of a missing file), then measured with the Tier-1 runner on held-out synthetic
 * sessions. Checks that training -> checkpoint -> learned backend -> Tier 1 fits together and
 * that the learned backend beats the null floor by a wide margin.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nullBackend } from '../null/index.js';
import { loadConfig, parseConfig } from '../../model/config.js';
import { writeSyntheticSessions } from '../../train/fixtures.js';
import { train } from '../../train/run.js';
import { loadEvalData } from '../../eval/tier1/data.js';
import { runTier1 } from '../../eval/tier1/index.js';
import { learnedBackend, unloadAll } from './index.js';

let model = '';
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-learned-trained-'));
  writeSyntheticSessions(join(dir, 'train.jsonl'), 300, 1);
  writeSyntheticSessions(join(dir, 'test.jsonl'), 30, 999);
  const base = loadConfig('tiny');
  const config = parseConfig(
    { ...base, train: { ...base.train, steps: 300, batch: 8, lr: 0.01, minLr: 0.001, warmup: 20, evalEvery: 1000, checkpointEvery: 1000, seed: 1 } },
    'test',
  );
  const r = await train({ data: join(dir, 'train.jsonl'), config, out: join(dir, 'run'), progress: false, log: () => undefined });
  model = r.checkpoint;
}, 120_000);

afterAll(async () => {
  await unloadAll();
});

describe('learned backend, trained in the test', () => {
  it('answers simple commands exactly, with exit code and cwd', async () => {
    const t = await learnedBackend.start({ options: { model } });
    const a = await t.run('echo hello');
    expect([a.output.toString(), a.exit, a.cwd]).toEqual(['hello\r\n', 0, '/root']);
    const b = await t.run('false');
    expect([b.output.length, b.exit]).toEqual([0, 1]);
    await t.close();
  });

  it('beats the null floor on held-out sessions (Tier 1)', async () => {
    const data = loadEvalData(dir); // DIR/test.jsonl: 30 held-out synthetic sessions
    const r = await runTier1({
      target: learnedBackend,
      baseline: nullBackend,
      oracle: null,
      data,
      options: { model },
      concurrency: 8,
      bins: 10,
      ks: [1, Infinity],
    });
    const fr = r.freeRunning.exact.overall;
    // Measured 82% vs null 31% (66% vs 0% on non-empty outputs); the bars leave room for noise.
    expect(fr.target.rate).toBeGreaterThan(0.6);
    expect(fr.target.rate - fr.baseline.rate).toBeGreaterThan(0.25);
    expect(fr.targetNonEmpty.rate).toBeGreaterThan(0.4);
    expect(r.exactMatchByDepth['1']).toBeGreaterThan(0.8);
    const s = r.teacherForced.scores;
    expect(s?.crossEntropy.overall.bitsPerByte).toBeLessThan(1);
    expect(s?.calibration.overall.ece).toBeLessThan(0.1);
    expect(r.errors).toEqual([]);
  });
});
