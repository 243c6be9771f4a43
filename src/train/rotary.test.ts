/**
 * Training with rotary positions (config.model.positions = 'rotary') on the tiny config: seeded
 * determinism, warm starts across position encodings (learned -> rotary drops wpe, rotary -> learned
 * initialises it fresh), a resume with other positions refused, and configs/terminal-state-rotary.json.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../model/checkpoint.js';
import { type Config, type Positions, loadConfig } from '../model/config.js';
import { initParams } from '../model/params.js';
import { quiet, trainLosses, writeSyntheticSessions } from './fixtures.js';
import { train } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'tw-train-rotary-'));
const data = join(dir, 'syn.jsonl');
writeSyntheticSessions(data, 120, 7);

function tiny(steps: number, positions: Positions): Config {
  const c = loadConfig('tiny');
  return { ...c, name: `tiny-${positions}`, model: { ...c.model, positions }, train: { ...c.train, steps, threads: 1 } };
}

describe('tw train with rotary positions', () => {
  it('two rotary runs with the same seed give bit-identical losses (and not those of a learned run)', async () => {
    await train({ data, config: tiny(20, 'rotary'), out: join(dir, 'r1'), ...quiet });
    await train({ data, config: tiny(20, 'rotary'), out: join(dir, 'r2'), ...quiet });
    await train({ data, config: tiny(20, 'learned'), out: join(dir, 'l1'), ...quiet });
    const a = trainLosses(join(dir, 'r1'));
    expect(a).toHaveLength(20);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(trainLosses(join(dir, 'r2'))).toEqual(a);
    expect(a[19]!).toBeLessThan(a[0]! - 1);
    expect(trainLosses(join(dir, 'l1'))[19]).not.toBe(a[19]);
    const { info, params } = loadModel(join(dir, 'r1'));
    expect(info.model.positions).toBe('rotary');
    expect(params.has('wpe')).toBe(false);
  });

  it('--init from a learned checkpoint into a rotary config drops wpe and copies the rest; the opposite initialises wpe fresh', async () => {
    await train({ data, config: tiny(40, 'learned'), out: join(dir, 'src-l'), ...quiet });
    const lines: string[] = [];
    const log = (l: string): void => void lines.push(l);
    await train({ data, config: tiny(3, 'rotary'), out: join(dir, 'warm-r'), init: join(dir, 'src-l'), progress: false, log });
    expect(lines.join('\n')).toMatch(
      /warm start: --init .*src-l has positions "learned", --config tiny-rotary "rotary": wpe dropped \(64x32\), every other tensor copied/,
    );
    const src = trainLosses(join(dir, 'src-l'));
    const fresh = trainLosses(join(dir, 'r1'));
    const warm = trainLosses(join(dir, 'warm-r'));
    // the first loss is taken before any update: the source's weights (without wpe), not the seeded init
    expect(warm[0]!).toBeLessThan(fresh[0]! - 1);
    expect(warm[0]!).toBeLessThan(src[0]! - 1);
    const meta = JSON.parse(readFileSync(join(dir, 'warm-r', 'meta.json'), 'utf8')) as { init: { step: number; positions: string } };
    expect(meta.init.step).toBe(40);
    expect(meta.init.positions).toBe('learned -> rotary: wpe dropped (64x32), every other tensor copied');

    // rotary -> learned: wpe starts from the seeded init, every other tensor from the source
    lines.length = 0;
    await train({ data, config: tiny(1, 'learned'), out: join(dir, 'warm-l'), init: join(dir, 'r1'), progress: false, log });
    expect(lines.join('\n')).toMatch(
      /has positions "rotary", --config tiny-learned "learned": wpe initialised fresh \(seeded init\), every other tensor copied/,
    );
    expect(trainLosses(join(dir, 'warm-l'))[0]!).toBeLessThan(trainLosses(join(dir, 'l1'))[0]! - 1);
    // after one AdamW step at warm-up lr, wpe is still close to its seeded init (not zeros, not another model's)
    const seeded = initParams(tiny(1, 'learned').model, 1).get('wpe') as Float32Array;
    const wpe = loadModel(join(dir, 'warm-l')).params.get('wpe') as Float32Array;
    let d = 0;
    for (let i = 0; i < wpe.length; i++) d = Math.max(d, Math.abs(wpe[i]! - seeded[i]!));
    expect(d).toBeLessThan(1e-3);
    expect(d).toBeGreaterThan(0);
  });

  it('resuming a run with other positions is refused, naming both', async () => {
    await expect(train({ data, config: tiny(25, 'learned'), out: join(dir, 'r1'), resume: true, ...quiet })).rejects.toThrow(
      /another model shape .*positions "learned"; the run's are "rotary"/,
    );
  });

  it('configs/terminal-state-rotary.json is terminal-state-stage2 with rotary positions and one thread', () => {
    const rot = loadConfig('terminal-state-rotary');
    const s2 = loadConfig('terminal-state-stage2');
    expect(rot.name).toBe('terminal-state-rotary');
    expect(rot.model).toEqual({ ...s2.model, positions: 'rotary' });
    expect(rot.train).toEqual({ ...s2.train, threads: 1 });
    expect(rot.description).toMatch(/issue 15.*rotary.*runs\/train-state.*wpe/i);
  });
});
