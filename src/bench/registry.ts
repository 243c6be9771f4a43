/**
 * Benchmark suites by name, with lazy loaders (like the backend registry). Adding a suite =
 * one file under src/bench/ (or in its area) exporting a BenchSuite, and one line here.
 * `tw bench <suite>` runs one, `tw bench all` runs every suite; `npm run bench` writes
 * bench/results/latest.json.
 */
import { TwError } from '../core/errors.js';

export interface BenchMetric {
  /** e.g. "session start p50". */
  name: string;
  value: number;
  unit: string;
  /** Target, if any, e.g. {op: '<=', value: 20}. */
  target?: { op: '<=' | '>='; value: number };
}

export interface BenchResult {
  suite: string;
  metrics: BenchMetric[];
  /** Suite-specific details (raw samples, configuration). */
  details?: Record<string, unknown>;
}

export interface BenchOptions {
  /** Fewer repetitions (CI smoke runs). */
  quick: boolean;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(opts: BenchOptions): Promise<BenchResult>;
}

type Loader = () => Promise<BenchSuite>;

const SUITES: Record<string, { description: string; load: Loader }> = {
  sandbox: { description: 'real sandbox: session start, per-command latency, commands/s at 1-16 sessions', load: async () => (await import('./sandbox.js')).sandboxBench },
  corpus: { description: 'corpus: script generation, recording 2,000 sessions on the sandbox, task expert success', load: async () => (await import('../corpus/bench.js')).corpusBench },
  learned: { description: 'learned backend: turns/s with 32 concurrent sessions on the shipped model, KV cache kept vs re-fed', load: async () => (await import('../backends/learned/bench.js')).learnedBench },
  gym: { description: 'gym server over WebSocket vs the raw sandbox: steps/s, step and reset latency, lost/duplicated steps, memory per session, leaks', load: async () => (await import('../gym/bench.js')).gymBench },
  serve: { description: 'tw serve: turns/s of 32 OpenAI-API clients through tw serve vs the learned backend directly; streaming first-chunk time', load: async () => (await import('../serve/bench.js')).serveBench },
  engine: { description: 'learned-model engine: train tokens/s, sampling bytes/s (batch 1, 32), peak RSS, contexts 512-2048', load: async () => (await import('./engine.js')).engineBench },
};

export function registerBenchSuite(name: string, description: string, load: Loader): void {
  SUITES[name] = { description, load };
}

export function benchSuiteNames(): string[] {
  return Object.keys(SUITES);
}

export function benchSuiteDescriptions(): { name: string; description: string }[] {
  return Object.entries(SUITES).map(([name, { description }]) => ({ name, description }));
}

export async function getBenchSuite(name: string): Promise<BenchSuite> {
  const entry = SUITES[name];
  if (!entry) throw new TwError(`unknown bench suite "${name}"`, `use one of: ${benchSuiteNames().join(', ')}, or all`);
  return entry.load();
}

/** Percentile of a sample (nearest rank on the sorted copy). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i] ?? Number.NaN;
}

export function meetsTarget(m: BenchMetric): boolean | null {
  if (!m.target) return null;
  return m.target.op === '<=' ? m.value <= m.target.value : m.value >= m.target.value;
}

/** A readable table of results. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows: string[][] = [['suite', 'metric', 'value', 'unit', 'target']];
  for (const r of results) {
    for (const m of r.metrics) {
      const ok = meetsTarget(m);
      const target = m.target ? `${m.target.op} ${m.target.value} ${ok ? 'ok' : 'MISSED'}` : '';
      const v = Math.abs(m.value) >= 100 ? m.value.toFixed(0) : m.value.toFixed(2);
      rows.push([r.suite, m.name, v, m.unit, target]);
    }
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, c) => (c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}
