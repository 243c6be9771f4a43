import { describe, expect, it } from 'vitest';
import { ALL_FAMILIES, FAMILIES } from './index.js';

describe('command families', () => {
  it('are registered once: the names follow from the list', () => {
    expect(FAMILIES).toEqual(ALL_FAMILIES.map((f) => f.name));
    expect(new Set(FAMILIES).size).toBe(FAMILIES.length);
  });

  it('name every move, uniquely within its list', () => {
    for (const f of ALL_FAMILIES) {
      for (const list of [f.moves, f.scratch]) {
        const names = list.map((m) => m.name);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(n).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        for (const m of list) expect(m.weight).toBeGreaterThan(0);
      }
      expect(f.moves.length).toBeGreaterThan(0);
    }
  });

  it("hold the scratch sessions' moves of the shell basics (56 in all)", () => {
    expect(ALL_FAMILIES.filter((f) => f.scratch.length > 0).map((f) => f.name)).toEqual([
      'navigation',
      'edit',
      'inspect',
      'text',
      'env',
      'operators',
      'errors',
      'python',
    ]);
    expect(ALL_FAMILIES.reduce((n, f) => n + f.scratch.length, 0)).toBe(56);
  });
});
