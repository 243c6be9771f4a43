import { describe, expect, it } from 'vitest';
import { byteDiff, formatTable, summarise, visible } from './report.js';
import type { ProbeResult } from './runner.js';

const res = (category: ProbeResult['category'], passed: boolean): ProbeResult => ({ id: `${category}-${passed}`, category, passed, failures: [], ms: 1 });

describe('probe report', () => {
  it('per-category rates with Wilson intervals and the weighted aggregate', () => {
    const s = summarise('x', [res('filesystem', true), res('filesystem', false), res('adversarial', true)]);
    expect(s.categories.filesystem).toMatchObject({ passed: 1, total: 2, rate: 0.5 });
    expect(s.categories.filesystem?.lo).toBeCloseTo(0.0945, 3);
    expect(s.categories.filesystem?.hi).toBeCloseTo(0.9055, 3);
    // weights: filesystem 2, adversarial 1 -> (2*0.5 + 1*1) / 3
    expect(s.aggregate).toBeCloseTo(2 / 3, 10);
    expect(s.categories.errors).toBeUndefined();
  });

  it('makes control bytes visible', () => {
    expect(visible(Buffer.from('a\tb\r\n\x1b[0m\x00'))).toBe('a\\tb\\r⏎\n\\x1b[0m\\x00');
  });

  it('byte diff shows the first differing byte and -/+ lines', () => {
    const d = byteDiff(Buffer.from('a  b\r\n'), Buffer.from('a\r\nb\r\n'));
    expect(d.split('\n')).toEqual(['first difference at byte 1 (expected 6 bytes, got 6)', '- a  b\\r⏎', '+ a\\r⏎', '+ b\\r⏎']);
  });

  it('the table has a row per category and the aggregate', () => {
    const t = formatTable([
      { name: 'b', summary: summarise('b', [res('errors', true)]) },
      { name: 'real (bound)', note: 'unavailable' },
    ]);
    expect(t).toMatch(/errors\s+\(\s+2\)\s+100.0% \[20.7–100.0\] \(1\/1\)\s+unavailable/);
    expect(t).toMatch(/aggregate\s+100.0% \(1\/1\)/);
  });
});
