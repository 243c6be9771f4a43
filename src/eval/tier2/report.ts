/**
 * Probe reports: per-category pass rates with 95% Wilson intervals, the weighted aggregate, and
 * every failure with a readable byte diff. JSON form: {format, version, backend, categories:
 * {NAME: {passed, total, rate, lo, hi}}, aggregate, weights, failures, meta}.
 */
import { diffLines } from 'diff';
import { formatRate, type Rate, rate } from '../../core/stats.js';
import type { Failure } from './grade.js';
import type { ProbeResult } from './runner.js';
import { CATEGORIES, CATEGORY_WEIGHTS, type Category } from './schema.js';

export const REPORT_FORMAT = 'tw-probe-report';
export const REPORT_VERSION = 1;

export interface ProbeSummary {
  backend: string;
  categories: Partial<Record<Category, Rate>>;
  /** Weighted mean of the category rates (weights in CATEGORY_WEIGHTS, over the categories run). */
  aggregate: number;
  passed: number;
  total: number;
}

export function summarise(backend: string, results: readonly ProbeResult[]): ProbeSummary {
  const categories: Partial<Record<Category, Rate>> = {};
  let num = 0;
  let den = 0;
  for (const c of CATEGORIES) {
    const rs = results.filter((r) => r.category === c);
    if (!rs.length) continue;
    const r = rate(rs.filter((x) => x.passed).length, rs.length);
    categories[c] = r;
    num += CATEGORY_WEIGHTS[c] * r.rate;
    den += CATEGORY_WEIGHTS[c];
  }
  const passed = results.filter((r) => r.passed).length;
  return { backend, categories, aggregate: den ? num / den : 0, passed, total: results.length };
}

/** Bytes made visible: control characters escaped, lines kept (the \n is shown as ⏎ then a newline). */
export function visible(b: Buffer): string {
  let s = '';
  for (const ch of b.toString('utf8')) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\n') s += '⏎\n';
    else if (ch === '\r') s += '\\r';
    else if (ch === '\t') s += '\\t';
    else if (ch === '\ufffd') s += '\\ufffd';
    else if (c < 0x20 || c === 0x7f) s += `\\x${c.toString(16).padStart(2, '0')}`;
    else s += ch;
  }
  return s;
}

const MAX_DIFF_LINES = 24;

/** A unified line diff of the visible forms: "-" expected (oracle), "+" actual (backend). */
export function byteDiff(expected: Buffer, actual: Buffer): string {
  let firstDiff = 0;
  while (firstDiff < expected.length && firstDiff < actual.length && expected[firstDiff] === actual[firstDiff]) firstDiff++;
  const lines: string[] = [`first difference at byte ${firstDiff} (expected ${expected.length} bytes, got ${actual.length})`];
  for (const part of diffLines(visible(expected), visible(actual))) {
    const mark = part.added ? '+' : part.removed ? '-' : ' ';
    for (const l of part.value.replace(/\n$/, '').split('\n')) lines.push(`${mark} ${l.length > 200 ? l.slice(0, 200) + ` …(${l.length} chars)` : l}`);
  }
  if (lines.length > MAX_DIFF_LINES + 1) return [...lines.slice(0, MAX_DIFF_LINES), `  … ${lines.length - MAX_DIFF_LINES} more lines`].join('\n');
  return lines.join('\n');
}

export function formatFailure(f: Failure): string {
  const head = `  turn ${f.turn + 1} \`${f.cmd.length > 60 ? f.cmd.slice(0, 60) + '…' : f.cmd}\`: ${f.what}`;
  const parts = [head];
  if (f.message) parts.push(`    ${f.message}`);
  if (f.expected !== undefined && f.actual !== undefined) parts.push(byteDiff(f.expected, f.actual).replace(/^/gm, '    '));
  else if (f.actual !== undefined) parts.push(`    got: ${visible(f.actual).slice(0, 300)}`);
  return parts.join('\n');
}

export interface BoundRow {
  summary?: ProbeSummary;
  /** Why the bound is missing. */
  note?: string;
}

export function formatTable(rows: { name: string; summary?: ProbeSummary; note?: string }[]): string {
  const cats = CATEGORIES.filter((c) => rows.some((r) => r.summary?.categories[c]));
  const out: string[] = [];
  const w = Math.max(...cats.map((c) => c.length), 10);
  out.push(`${'category'.padEnd(w)} (weight)  ${rows.map((r) => r.name.padEnd(28)).join(' ')}`);
  for (const c of cats) {
    const cells = rows.map((r) => {
      const x = r.summary?.categories[c];
      return (x ? formatRate(x) : (r.note ?? '—')).padEnd(28);
    });
    out.push(`${c.padEnd(w)} (${String(CATEGORY_WEIGHTS[c]).padStart(4)})  ${cells.join(' ')}`);
  }
  const agg = rows.map((r) => (r.summary ? `${(100 * r.summary.aggregate).toFixed(1)}% (${r.summary.passed}/${r.summary.total})` : (r.note ?? '—')).padEnd(28));
  out.push(`${'aggregate'.padEnd(w)}           ${agg.join(' ')}`);
  return out.join('\n');
}

export function failureReport(results: readonly ProbeResult[]): string {
  const failed = results.filter((r) => !r.passed);
  if (!failed.length) return 'no failures';
  return failed.map((r) => `FAIL ${r.category}/${r.id}\n${r.failures.map(formatFailure).join('\n')}`).join('\n\n');
}

export function reportJson(summary: ProbeSummary, results: readonly ProbeResult[], bounds: Record<string, BoundRow>, meta: unknown): unknown {
  const cats = Object.fromEntries(Object.entries(summary.categories).map(([k, v]) => [k, v]));
  const b64 = (x?: Buffer): string | undefined => (x === undefined ? undefined : x.toString('utf8'));
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    backend: summary.backend,
    categories: cats,
    aggregate: summary.aggregate,
    passed: summary.passed,
    total: summary.total,
    weights: CATEGORY_WEIGHTS,
    bounds: Object.fromEntries(
      Object.entries(bounds).map(([k, v]) => [k, v.summary ? { categories: v.summary.categories, aggregate: v.summary.aggregate } : { note: v.note }]),
    ),
    probes: results.map((r) => ({ id: r.id, category: r.category, passed: r.passed, ms: Math.round(r.ms) })),
    failures: results
      .filter((r) => !r.passed)
      .map((r) => ({
        id: r.id,
        category: r.category,
        failures: r.failures.map((f) => ({ turn: f.turn, cmd: f.cmd, what: f.what, message: f.message, expected: b64(f.expected), actual: b64(f.actual) })),
      })),
    meta,
  };
}
