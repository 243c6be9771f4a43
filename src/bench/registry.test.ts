import { describe, expect, it } from 'vitest';
import { percentile } from '../core/stats.js';
import { benchSuiteNames, formatTable, getBenchSuite, meetsTarget } from './registry.js';

describe('bench registry', () => {
  it('lists the sandbox suite and rejects unknown names with the choices', async () => {
    expect(benchSuiteNames()).toContain('sandbox');
    await expect(getBenchSuite('nope')).rejects.toThrow(/unknown bench suite "nope"/);
  });

  it('percentile uses nearest rank', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 95)).toBe(10);
    expect(percentile(xs, 10)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('checks targets and prints a table that says which were missed', () => {
    const start = { name: 'session start p50', value: 25, unit: 'ms', target: { op: '<=' as const, value: 20 } };
    const cps = { name: 'commands/s, 16 sessions', value: 1200, unit: 'cmd/s', target: { op: '>=' as const, value: 1000 } };
    expect(meetsTarget(start)).toBe(false);
    expect(meetsTarget(cps)).toBe(true);
    expect(meetsTarget({ name: 'x', value: 1, unit: 'ms' })).toBeNull();
    const table = formatTable([{ suite: 'sandbox', metrics: [start, cps] }]);
    expect(table.split('\n')[1]).toMatch(/^sandbox\s+session start p50\s+25\.00\s+ms\s+<= 20 MISSED$/);
    expect(table.split('\n')[2]).toMatch(/commands\/s, 16 sessions\s+1200\s+cmd\/s\s+>= 1000 ok$/);
  });
});
