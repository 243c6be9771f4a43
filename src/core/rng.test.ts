import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(42),
      b = new Rng(42),
      c = new Rng(43);
    const xa = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(xa);
  });
  it('float is in [0,1) with mean near 0.5', () => {
    const r = new Rng(1);
    let s = 0;
    for (let i = 0; i < 20000; i++) {
      const x = r.float();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      s += x;
    }
    expect(Math.abs(s / 20000 - 0.5)).toBeLessThan(0.01);
  });
  it('int covers its inclusive range', () => {
    const r = new Rng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(r.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });
  it('state round-trips', () => {
    const r = new Rng(9);
    r.u32();
    const st = r.state();
    const r2 = Rng.fromState(9, st);
    expect(r2.u32()).toBe(r.u32());
  });
  it('fork gives reproducible independent streams', () => {
    expect(new Rng(5).fork('x').u32()).toBe(new Rng(5).fork('x').u32());
    expect(new Rng(5).fork('x').u32()).not.toBe(new Rng(5).fork('y').u32());
  });
});
