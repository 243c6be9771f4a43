/**
 * Rotary positions (config.model.positions = 'rotary', rope.ts): the tables, the KV-cache decode
 * against the full forward at every position, and the checkpoint format (a rotary checkpoint
 * round-trips; learned checkpoints are written and read as before; a mismatch is refused).
 * The float64 reference and gradient checks of the rotary model are in reference.test.ts (run for
 * both position encodings), the rope op's own finite-difference check in autodiff.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { loadModel, saveModel } from './checkpoint.js';
import { type ModelConfig, modelSchema, paramShapes } from './config.js';
import { type Params, initParams } from './params.js';
import { referenceLogits } from './reference.js';
import { ROPE_BASE, ropeTables } from './rope.js';
import { readSafetensors } from './safetensors.js';
import { Sampler } from './sampler.js';

const rotary: ModelConfig = { d: 16, layers: 2, heads: 2, context: 40, vocab: 264, framing: 'turns', positions: 'rotary', tokenizer: 'bytes' };

function bigParams(m: ModelConfig, seed: number): Params {
  const p = initParams(m, seed);
  const rng = new Rng(seed + 1);
  for (const a of p.values()) for (let i = 0; i < a.length; i++) a[i] = a[i]! + rng.normal() * 0.3;
  return p;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!));
  return w;
};

describe('rope tables', () => {
  it('rotate half-split pairs (i, i + D/2) by pos * 10000^(-2i/D); q.k depends only on the position difference', () => {
    const D = 8;
    const r = ropeTables(12, D);
    expect(ROPE_BASE).toBe(10000);
    expect(r.perm).toEqual([4, 5, 6, 7, 0, 1, 2, 3]);
    // position 0 is the identity
    expect(Array.from(r.cos.subarray(0, D))).toEqual(new Array(D).fill(1));
    expect(Array.from(r.sin.subarray(0, D)).map(Math.abs)).toEqual(new Array(D).fill(0));
    // position 5, pair i = 1: angle 5 * 10000^(-2/8)
    const a = 5 * 10000 ** (-2 / 8);
    expect(r.cos[5 * D + 1]).toBeCloseTo(Math.cos(a), 14);
    expect(r.cos[5 * D + 5]).toBeCloseTo(Math.cos(a), 14);
    expect(r.sin[5 * D + 1]).toBeCloseTo(-Math.sin(a), 14);
    expect(r.sin[5 * D + 5]).toBeCloseTo(Math.sin(a), 14);
    const rot = (x: number[], p: number): number[] => x.map((v, i) => v * r.cos[p * D + i]! + x[r.perm[i]!]! * r.sin[p * D + i]!);
    const dot = (x: number[], y: number[]): number => x.reduce((s, v, i) => s + v * y[i]!, 0);
    const rng = new Rng(3);
    const q = Array.from({ length: D }, () => rng.normal());
    const k = Array.from({ length: D }, () => rng.normal());
    // a rotation keeps the norm
    expect(dot(rot(q, 7), rot(q, 7))).toBeCloseTo(dot(q, q), 12);
    for (const [i, j, s] of [
      [3, 1, 4],
      [9, 2, 2],
      [5, 5, 6],
    ] as const)
      expect(dot(rot(q, i + s), rot(k, j + s))).toBeCloseTo(dot(rot(q, i), rot(k, j)), 12);
  });

  it('a config asks for rotary positions explicitly; without the field it reads as learned, and an odd head size is refused', () => {
    expect(modelSchema.parse({ d: 16, layers: 1, heads: 2, context: 8 }).positions).toBe('learned');
    expect(modelSchema.parse({ d: 16, layers: 1, heads: 2, context: 8, positions: 'rotary' }).positions).toBe('rotary');
    expect(paramShapes(rotary).some(([n]) => n === 'wpe')).toBe(false);
    expect(paramShapes({ ...rotary, positions: 'learned' })[1]).toEqual(['wpe', [40, 16]]);
    const odd = modelSchema.safeParse({ d: 6, layers: 1, heads: 2, context: 8, positions: 'rotary' });
    expect(odd.success).toBe(false);
    expect(modelSchema.safeParse({ d: 16, layers: 1, heads: 2, context: 8, positions: 'alibi' }).success).toBe(false);
  });

  it('the reference at position 0 equals a learned model with wpe = 0 (rotation by angle 0); later positions differ', () => {
    const p = bigParams(rotary, 4);
    const learned = new Map(p);
    learned.set('wpe', new Float32Array(rotary.context * rotary.d));
    const tokens = [5, 77, 130, 9];
    const a = referenceLogits(rotary, p, tokens);
    const b = referenceLogits({ ...rotary, positions: 'learned' }, learned, tokens);
    expect(maxDiff(a[0]!, b[0]!)).toBe(0);
    expect(maxDiff(a[3]!, b[3]!)).toBeGreaterThan(1e-3);
  });
});

describe('rotary model: KV-cache decode', () => {
  it('decoding one token at a time through the cache gives the full forward logits at every position (and the reference)', async () => {
    const p = bigParams(rotary, 8);
    const s = await Sampler.fromParams(rotary, p, 1);
    const rng = new Rng(6);
    const tokens = Array.from({ length: rotary.context }, () => rng.int(0, 259));
    const V = rotary.vocab;
    const whole = await s.logits(tokens); // the prefill graph over the whole sequence at once
    const ref = referenceLogits(rotary, p, tokens);
    let worst = 0;
    ref.forEach((row, i) => (worst = Math.max(worst, maxDiff(row, whole.subarray(i * V, (i + 1) * V)))));
    expect(worst).toBeLessThan(1e-4);
    // every position i: tokens 0..i fed one per call (the S = 1 decode graph), across the cache's growth 32 -> 40
    worst = 0;
    for (let i = 0; i < tokens.length; i++) {
      const row = await s.logitsChunked(tokens.slice(0, i + 1).map((t) => [t]));
      expect(row.length).toBe(V);
      worst = Math.max(worst, maxDiff(row, whole.subarray(i * V, (i + 1) * V)));
    }
    expect(worst).toBeLessThan(1e-4);
    // a prefill in pieces (cache + new chunk in one call): 3 + 1 + 36
    const last = await s.logitsChunked([tokens.slice(0, 3), tokens.slice(3, 4), tokens.slice(4)]);
    expect(maxDiff(last, whole.subarray(4 * V))).toBeLessThan(1e-4);
    // greedy generation (decode graph) agrees with teacher-forced scoring (prefill graph)
    const [g] = await s.generate([tokens.slice(0, 5)], { maxTokens: 20, stop: [] });
    const sc = await s.score(tokens.slice(0, 5), g!.tokens);
    expect(sc.top1).toEqual(g?.tokens);
    sc.logprobs.forEach((lp, j) => expect(lp).toBeCloseTo(g!.logprobs[j]!, 4));
    await s.release();
  });
});

describe('checkpoints and positions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-rotary-'));

  it('a rotary checkpoint round-trips: positions in config.json, no wpe in the weights, same logits', async () => {
    const p = bigParams(rotary, 9);
    const out = join(dir, 'rot');
    saveModel(out, rotary, p, { step: 7 });
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { model: Record<string, unknown> };
    expect(cfg.model['positions']).toBe('rotary');
    expect(readSafetensors(join(out, 'model.safetensors')).tensors.has('wpe')).toBe(false);
    const back = loadModel(out);
    expect(back.info.model).toEqual(rotary);
    expect(back.info.step).toBe(7);
    expect([...back.params.keys()]).toEqual([...p.keys()]);
    for (const [k, a] of p) expect(Array.from(back.params.get(k) ?? [])).toEqual(Array.from(a));
    const toks = [1, 2, 3, 200, 7, 9];
    const s1 = await Sampler.fromParams(rotary, p, 1);
    const s2 = await Sampler.load(out, 1);
    expect(Array.from(await s2.logits(toks))).toEqual(Array.from(await s1.logits(toks)));
    await s1.release();
    await s2.release();
  });

  it('a learned checkpoint is written as before (no positions field) and reads as learned', () => {
    const m: ModelConfig = { ...rotary, positions: 'learned' };
    const out = join(dir, 'learned');
    saveModel(out, m, bigParams(m, 2));
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { model: Record<string, unknown> };
    expect(Object.keys(cfg.model)).toEqual(['d', 'layers', 'heads', 'context', 'vocab', 'framing']);
    const back = loadModel(out);
    expect(back.info.model.positions).toBe('learned');
    expect(back.params.has('wpe')).toBe(true);
  });

  it('the shipped learned-position models load as learned, unchanged', () => {
    for (const name of ['terminal-small', 'terminal-state']) {
      const d = join('models', name);
      if (!existsSync(join(d, 'config.json'))) continue;
      const raw = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) as { model: Record<string, unknown> };
      expect(raw.model['positions']).toBeUndefined();
      const { info, params } = loadModel(d);
      expect(info.model.positions).toBe('learned');
      expect(params.get('wpe')?.length).toBe(info.model.context * info.model.d);
    }
  });

  it('a checkpoint whose positions do not match its weights is refused, naming both', () => {
    const rot = join(dir, 'rot');
    const learned = join(dir, 'learned');
    const rf = join(rot, 'config.json');
    const lf = join(learned, 'config.json');
    const rGood = readFileSync(rf, 'utf8');
    const lGood = readFileSync(lf, 'utf8');
    // rotary weights, the positions field removed (so: learned)
    writeFileSync(rf, rGood.replace(/,\s*"positions": "rotary"/, ''));
    expect(() => loadModel(rot)).toThrow(
      /config and weights do not match .*config\.json says positions "learned" \(the default when the field is absent\), but the weights have no wpe, i\.e\. positions "rotary"/,
    );
    writeFileSync(rf, rGood);
    // learned weights, config.json says rotary
    writeFileSync(lf, lGood.replace('"framing": "turns"', '"framing": "turns", "positions": "rotary"'));
    expect(() => loadModel(learned)).toThrow(/config\.json says positions "rotary", but the weights hold wpe, i\.e\. positions "learned"/);
    writeFileSync(lf, lGood);
    expect(loadModel(learned).info.model.positions).toBe('learned');
  });
});
