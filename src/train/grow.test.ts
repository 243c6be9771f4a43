/**
 * Depth growth (--init from a shallower model, growLayers): the source's blocks are copied, the new blocks go
 * on top with zero residual projections, so the grown model's logits equal the source's before any update;
 * training from there starts at the source's loss, and meta.json records how the layers were grown. A longer
 * context (learned positions) tiles the source's position table (growContext).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../model/checkpoint.js';
import { type Config, loadConfig } from '../model/config.js';
import { initParams } from '../model/params.js';
import { referenceLogits } from '../model/reference.js';
import { quiet, trainLosses, writeSyntheticSessions } from './fixtures.js';
import { growContext, growLayers, train } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'tw-train-grow-'));
const data = join(dir, 'syn.jsonl');
writeSyntheticSessions(data, 120, 11);

function tiny(steps: number, layers: number): Config {
  const c = loadConfig('tiny');
  return { ...c, name: `tiny-${layers}l`, model: { ...c.model, layers }, train: { ...c.train, steps, threads: 1 } };
}

describe('--init from a shallower model (depth growth)', () => {
  it('computes what the source computed, then trains from the source loss and records the growth', async () => {
    await train({ data, config: tiny(60, 2), out: join(dir, 'src'), ...quiet });
    const src = loadModel(join(dir, 'src'));
    const deep = tiny(1, 4).model;
    const grown = initParams(deep, 5);
    const zeros = new Map(src.params);
    growLayers(zeros, 2, 4, deep.d);
    for (const [k, a] of zeros) grown.get(k)?.set(a);
    // the new blocks' other tensors keep the seeded init (not 0): they will learn once proj/out move
    expect(grown.get('h3.attn.w')!.some((v) => v !== 0)).toBe(true);
    expect(grown.get('h3.out.w')!.every((v) => v === 0)).toBe(true);
    const tokens = Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % 256);
    const a = referenceLogits(src.info.model, src.params, tokens);
    const b = referenceLogits(deep, grown, tokens);
    for (const t of [0, 17, 39]) for (const v of [0, 65, 258]) expect(b[t]![v]).toBeCloseTo(a[t]![v]!, 9);

    const lines: string[] = [];
    await train({ data, config: tiny(2, 4), out: join(dir, 'grown'), init: join(dir, 'src'), progress: false, log: (l) => void lines.push(l) });
    await train({ data, config: tiny(2, 4), out: join(dir, 'fresh'), ...quiet });
    expect(lines.join('\n')).toMatch(/2 -> 4: layers 0\.\.1 copied, 2 added on top with their output projections \(proj, out\) at 0/);
    expect(trainLosses(join(dir, 'grown'))[0]!).toBeLessThan(trainLosses(join(dir, 'fresh'))[0]! - 1);
    const meta = JSON.parse(readFileSync(join(dir, 'grown', 'meta.json'), 'utf8')) as { init: { layers: string } };
    expect(meta.init.layers).toMatch(/^2 -> 4/);
    // a resume re-applies nothing (it restores its checkpoint) and goes on
    await train({ data, config: tiny(2, 4), out: join(dir, 'grown'), resume: true, steps: 3, ...quiet });
    expect(trainLosses(join(dir, 'grown'))).toHaveLength(3);
  });

  it('a longer context tiles the position table: the same logits on windows the source could see, recorded', async () => {
    const src = loadModel(join(dir, 'src'));
    const long = { ...src.info.model, context: 128 };
    const wpe = growContext(src.params.get('wpe')!, 64, 128, long.d);
    expect(Array.from(wpe.subarray(64 * long.d, 65 * long.d))).toEqual(Array.from(src.params.get('wpe')!.subarray(0, long.d)));
    const grown = new Map(src.params);
    grown.set('wpe', wpe);
    const tokens = Array.from({ length: 50 }, (_, i) => (i * 29 + 3) % 256);
    const a = referenceLogits(src.info.model, src.params, tokens);
    const b = referenceLogits(long, grown, tokens);
    for (const t of [0, 25, 49]) for (const v of [1, 99, 257]) expect(b[t]![v]).toBeCloseTo(a[t]![v]!, 9);
    const c = tiny(1, 2);
    const lines: string[] = [];
    await train({
      data,
      config: { ...c, model: { ...c.model, context: 128 } },
      out: join(dir, 'long'),
      init: join(dir, 'src'),
      progress: false,
      log: (l) => void lines.push(l),
    });
    expect(lines.join('\n')).toMatch(/context 64 -> 128: wpe rows 0\.\.63 copied, row t past them = row t mod 64/);
    const meta = JSON.parse(readFileSync(join(dir, 'long', 'meta.json'), 'utf8')) as { init: { context: string } };
    expect(meta.init.context).toMatch(/^64 -> 128/);
  });

  it('refuses a shallower run or another width, naming both shapes', async () => {
    await expect(train({ data, config: tiny(1, 1), out: join(dir, 'shallow'), init: join(dir, 'src'), ...quiet })).rejects.toThrow(
      /is a 32-wide, 2-layer, 2-head model with context 64; --config tiny-1l asks for d=32, 1 layers/,
    );
    const c = tiny(1, 3);
    await expect(train({ data, config: { ...c, model: { ...c.model, d: 48 } }, out: join(dir, 'wide'), init: join(dir, 'src'), ...quiet })).rejects.toThrow(
      /asks for d=48, 3 layers/,
    );
  });
});
