/** Shared importer plumbing: read rows (JSONL, or one JSON document / array), collect the
 *  sessions a row yields, count and explain every skipped row with its line number. */
import { existsSync, readFileSync } from 'node:fs';
import { TwError } from '../../core/errors.js';
import type { Session } from '../../session/format.js';

export interface SkippedRow {
  line: number;
  reason: string;
}

export interface ImportResult {
  sessions: Session[];
  rows: number;
  taken: number;
  skipped: SkippedRow[];
  turns: number;
  uncertainTurns: number;
}

/** A row that cannot be imported; the message says why. */
export class RowError extends Error {}

export interface Row {
  line: number;
  value: unknown;
  error?: string;
}

export function readRows(file: string): Row[] {
  if (!existsSync(file)) throw new TwError(`input not found: ${file}`, 'check the path');
  const text = readFileSync(file, 'utf8');
  // one JSON document (a .traj or .json file): an object is one row, an array is many;
  // anything else is read as JSONL, one row per line
  try {
    const doc: unknown = JSON.parse(text);
    if (Array.isArray(doc)) return doc.map((value, i) => ({ line: i + 1, value }));
    if (isObj(doc)) return [{ line: 1, value: doc }];
  } catch {
    // not one document
  }
  const rows: Row[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      rows.push({ line: i + 1, value: JSON.parse(l) as unknown });
    } catch (e) {
      rows.push({ line: i + 1, value: null, error: `not valid JSON (${(e as Error).message})` });
    }
  });
  return rows;
}

export function importRows(rows: readonly Row[], parse: (value: unknown, line: number) => Session[]): ImportResult {
  const res: ImportResult = { sessions: [], rows: rows.length, taken: 0, skipped: [], turns: 0, uncertainTurns: 0 };
  for (const r of rows) {
    if (r.error !== undefined) {
      res.skipped.push({ line: r.line, reason: r.error });
      continue;
    }
    try {
      const ss = parse(r.value, r.line).filter((x) => x.turns.length > 0);
      if (ss.length === 0) throw new RowError('no commands found');
      res.sessions.push(...ss);
      res.taken++;
      for (const s of ss) {
        res.turns += s.turns.length;
        res.uncertainTurns += s.turns.filter((t) => t.uncertain).length;
      }
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      res.skipped.push({ line: r.line, reason: e.message });
    }
  }
  return res;
}

export function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function str(o: Record<string, unknown>, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' ? v : undefined;
}

export function summary(r: ImportResult): string {
  const why = new Map<string, number>();
  for (const s of r.skipped) why.set(s.reason.replace(/\(.*\)/, '(...)'), (why.get(s.reason.replace(/\(.*\)/, '(...)')) ?? 0) + 1);
  const lines = [
    `rows ${r.rows}: taken ${r.taken}, skipped ${r.skipped.length}; sessions ${r.sessions.length}, turns ${r.turns} (${r.uncertainTurns} uncertain)`,
  ];
  for (const [k, n] of why) lines.push(`  skipped ${n}: ${k}`);
  for (const s of r.skipped.slice(0, 10)) lines.push(`  line ${s.line}: ${s.reason}`);
  return lines.join('\n');
}
