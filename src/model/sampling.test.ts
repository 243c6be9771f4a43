import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { VOCAB, VOCAB_PADDED } from './framing.js';
import { argmax, argmaxLogprob, logSoftmax, pick } from './sampling.js';

/** A row of padded logits at offset `off` of a larger buffer, pad ids set to a huge value (they must not count). */
function row(values: (v: number) => number, off = 0): Float32Array {
  const a = new Float32Array(off + VOCAB_PADDED).fill(123);
  for (let v = 0; v < VOCAB_PADDED; v++) a[off + v] = v < VOCAB ? values(v) : 1e4;
  return a;
}

/** Log-probabilities with the given probabilities on the first ids and the rest spread evenly. */
function lps(head: number[]): Float64Array {
  const rest = (1 - head.reduce((a, b) => a + b, 0)) / (VOCAB - head.length);
  return Float64Array.from({ length: VOCAB }, (_, v) => Math.log(head[v] ?? rest));
}

describe('sampling maths', () => {
  it('logSoftmax: log-probabilities over the real vocabulary only, summing to 1, read at an offset', () => {
    const rng = new Rng(1);
    const r = row(() => rng.normal() * 3, 264);
    const lp = logSoftmax(r, 264);
    expect(lp).toHaveLength(VOCAB);
    expect(lp.reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(1, 12);
    // differences of log-probabilities are differences of logits
    expect(lp[5]! - lp[7]!).toBeCloseTo(r[264 + 5]! - r[264 + 7]!, 6);
  });

  it('argmaxLogprob (greedy fast path) equals the argmax of logSoftmax and its log-probability; ties go to the first id', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 20; i++) {
      const r = row(() => rng.normal() * 4, 10);
      const lp = logSoftmax(r, 10);
      const [tok, l] = argmaxLogprob(r, 10);
      expect(tok).toBe(argmax(lp));
      expect(l).toBeCloseTo(lp[tok]!, 12);
    }
    const tie = row((v) => (v === 40 || v === 90 ? 5 : 0));
    expect(argmaxLogprob(tie, 0)[0]).toBe(40);
    expect(argmax(logSoftmax(tie, 0))).toBe(40);
  });

  it('pick: greedy at temperature 0 and for a tiny top-p; otherwise draws from the nucleus at the temperature, seeded', () => {
    const lp = lps([0.5, 0.3, 0.15]);
    const rng = new Rng(3);
    expect(pick(lp, 0, 1, rng)).toBe(0);
    for (let i = 0; i < 50; i++) expect(pick(lp, 1, 1e-9, rng)).toBe(0);
    // top-p 0.7: the nucleus is ids 0 and 1 (0.5 + 0.3 >= 0.7), drawn 5:3
    const n = 20000;
    const count = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const t = pick(lp, 1, 0.7, rng);
      count.set(t, (count.get(t) ?? 0) + 1);
    }
    expect([...count.keys()].sort((a, b) => a - b)).toEqual([0, 1]);
    expect((count.get(0) ?? 0) / n).toBeCloseTo(5 / 8, 1);
    // temperature 0.5 sharpens: p ~ p^2, so id 0 : id 1 = 25 : 9 among the whole vocabulary
    let zero = 0;
    let one = 0;
    for (let i = 0; i < n; i++) {
      const t = pick(lp, 0.5, 1, rng);
      if (t === 0) zero++;
      if (t === 1) one++;
    }
    expect(zero / one).toBeGreaterThan(2.4);
    expect(zero / one).toBeLessThan(3.2);
    // the same seed draws the same tokens
    const draw = (seed: number): number[] => {
      const r = new Rng(seed);
      return Array.from({ length: 30 }, () => pick(lp, 1.3, 0.9, r));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });
});
