import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { prefillGroups } from './kvcache.js';

describe('prefillGroups', () => {
  const cost = (lens: number[], groups: [number, number][]): number => groups.reduce((c, [a, b]) => c + (b - a) * lens[a]! + 48, 0);

  it('splits a long history away from short ones, keeps equal lengths together, and covers every row once', () => {
    expect(prefillGroups([400, 30, 20, 10])).toEqual([
      [0, 1],
      [1, 4],
    ]);
    expect(prefillGroups([12, 12, 12, 12])).toEqual([[0, 4]]);
    expect(prefillGroups([5])).toEqual([[0, 1]]);
    expect(prefillGroups([])).toEqual([]);
  });

  it('is optimal: no other split into contiguous groups costs less (all splits of 7 rows, 50 random cases)', () => {
    const rng = new Rng(11);
    for (let c = 0; c < 50; c++) {
      const lens = Array.from({ length: 7 }, () => rng.int(1, 300)).sort((a, b) => b - a);
      const got = prefillGroups(lens);
      expect(got.flatMap(([a, b]) => Array.from({ length: b - a }, (_, k) => a + k))).toEqual([0, 1, 2, 3, 4, 5, 6]);
      let best = Infinity;
      for (let mask = 0; mask < 1 << 6; mask++) {
        const groups: [number, number][] = [];
        let start = 0;
        for (let i = 1; i < 7; i++)
          if (mask & (1 << (i - 1))) {
            groups.push([start, i]);
            start = i;
          }
        groups.push([start, 7]);
        best = Math.min(best, cost(lens, groups));
      }
      expect(cost(lens, got)).toBe(best);
    }
  });
});
