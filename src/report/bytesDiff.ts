/** Byte differences between an expected and an actual output, as segments to highlight. Shared
 *  by the HTML report (failing probes) and the viewer (real vs learned, per turn). */
import { diffChars } from 'diff';
import { visible } from '../eval/tier2/report.js';

export type SegmentOp = 'same' | 'del' | 'ins';
export interface Segment {
  op: SegmentOp;
  text: string;
}

/** Longer outputs are cut before diffing (diffChars is quadratic in the worst case). */
export const MAX_DIFF_CHARS = 4000;

const cut = (s: string): string => (s.length > MAX_DIFF_CHARS ? s.slice(0, MAX_DIFF_CHARS) + `…(${s.length - MAX_DIFF_CHARS} more chars)` : s);

/** Character diff of the visible forms (control bytes escaped, line ends marked ⏎). */
export function diffSegments(expected: Buffer | string, actual: Buffer | string): Segment[] {
  const e = cut(visible(typeof expected === 'string' ? Buffer.from(expected) : expected));
  const a = cut(visible(typeof actual === 'string' ? Buffer.from(actual) : actual));
  if (e === a) return e ? [{ op: 'same', text: e }] : [];
  return diffChars(e, a).map((p) => ({ op: p.added ? 'ins' : p.removed ? 'del' : 'same', text: p.value }));
}

/** The first byte where two outputs differ (-1 when equal). */
export function firstDifference(expected: Buffer, actual: Buffer): number {
  const n = Math.min(expected.length, actual.length);
  for (let i = 0; i < n; i++) if (expected[i] !== actual[i]) return i;
  return expected.length === actual.length ? -1 : n;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two <pre> bodies: the expected side with deletions marked, the actual side with insertions. */
export function diffHtml(segments: readonly Segment[]): { expected: string; actual: string } {
  let expected = '';
  let actual = '';
  for (const s of segments) {
    if (s.op === 'same') {
      expected += esc(s.text);
      actual += esc(s.text);
    } else if (s.op === 'del') expected += `<del>${esc(s.text)}</del>`;
    else actual += `<ins>${esc(s.text)}</ins>`;
  }
  return { expected, actual };
}
