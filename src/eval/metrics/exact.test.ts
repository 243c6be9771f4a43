import { describe, expect, it } from 'vitest';
import type { TokenScores } from '../../core/terminal.js';
import { CrossEntropyAccumulator } from './crossentropy.js';
import { compareTurns, exactMatchRate, normalizeLoose, RateCounter, type ComparableTurn } from './exact.js';

const t = (output: string, exit: number | null = 0, cwd: string | null = '/root'): ComparableTurn => ({ output: Buffer.from(output), exit, cwd });

describe('exact match', () => {
  it('identical sessions give 100%', () => {
    const s = [t('a\r\n'), t('', 1), t('x y\r\n', 0, '/tmp')];
    const r = exactMatchRate(
      s,
      s.map((x) => ({ ...x })),
    );
    expect(r.rate).toBe(1);
    expect(r.passed).toBe(3);
  });

  it('differs on one byte, on the exit code, but not on the cwd', () => {
    expect(compareTurns(t('a\r\n'), t('b\r\n')).exact).toBe(false);
    expect(compareTurns(t('a', 0), t('a', 2)).exact).toBe(false);
    const c = compareTurns(t('a', 0, '/'), t('a', 0, '/root'));
    expect(c.exact).toBe(true);
    expect(c.cwdMatch).toBe(false);
  });

  it('ignores the exit where the truth has none, and normalises when asked', () => {
    const c = compareTurns(t('x\r\ny\r\n', 3), t('x\ny', null, null), { normalize: normalizeLoose });
    expect(c).toEqual({ exact: true, outputMatch: true, exitMatch: null, cwdMatch: null, nonEmpty: true });
  });

  it('a null-backend-style prediction matches only empty, exit-0 truths (2 of 4)', () => {
    const truth = [t(''), t('out\r\n'), t('', 1), t('')];
    const r = exactMatchRate(
      truth.map(() => t('')),
      truth,
    );
    expect(r.passed).toBe(2);
    expect(r.rate).toBe(0.5);
    expect(r.lo).toBeGreaterThan(0);
    expect(r.hi).toBeLessThan(1);
  });

  it('counts per key with Wilson intervals', () => {
    const c = new RateCounter();
    for (let i = 0; i < 10; i++) c.add('nav', i < 8);
    c.add('git', false);
    const o = c.toObject(['nav']);
    expect(Object.keys(o)).toEqual(['nav', 'git']);
    expect(o.nav?.rate).toBe(0.8);
    expect(o.nav?.lo).toBeCloseTo(0.4902, 3);
    expect(c.get('missing').total).toBe(0);
  });
});

describe('cross-entropy', () => {
  it('gives 8 bits per byte for a uniform byte model and splits the tail', () => {
    const lu = Math.log(1 / 256);
    const s: TokenScores = {
      logp: Float64Array.from([lu, lu, lu, Math.log(0.5)]),
      pMax: new Float64Array(4),
      argmaxCorrect: new Uint8Array(4),
      sumSq: new Float64Array(4),
      outputTokens: 3,
    };
    const a = new CrossEntropyAccumulator();
    a.add(s);
    const r = a.result();
    expect(r.bitsPerByte).toBeCloseTo(8, 12);
    expect(r.perplexityPerByte).toBeCloseTo(256, 9);
    expect(r.outputBytes).toBe(3);
    expect(r.tokens).toBe(4);
    expect(r.tailNatsPerToken).toBeCloseTo(Math.LN2, 12);
    expect(r.natsPerToken).toBeCloseTo((3 * -lu + Math.LN2) / 4, 12);
    const o = new CrossEntropyAccumulator();
    o.add(s, true);
    expect(o.result().tokens).toBe(3);
    expect(Number.isNaN(o.result().tailNatsPerToken)).toBe(true);
  });

  it('a sure-and-right model scores 0 bits', () => {
    const a = new CrossEntropyAccumulator();
    a.add({
      logp: new Float64Array(5),
      pMax: new Float64Array(5).fill(1),
      argmaxCorrect: new Uint8Array(5).fill(1),
      sumSq: new Float64Array(5).fill(1),
      outputTokens: 5,
    });
    expect(a.result().bitsPerByte).toBe(0);
  });
});
