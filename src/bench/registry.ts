/**
 * Benchmark suites by name, with lazy loaders (like the backend registry). Adding a suite =
 * one file under src/bench/ (or in its area) exporting a BenchSuite (src/bench/types.ts), its name in
 * BENCH_SUITE_NAMES and one line in SUITES.
 * `tw bench <suite>` runs one, `tw bench all` runs every suite; `npm run bench` writes
 * bench/results/latest.json.
 */
import { TwError } from '../core/errors.js';
import type { BenchMetric, BenchResult, BenchSuite } from './types.js';

type Loader = () => Promise<BenchSuite>;

/** Every suite: a typo in a name fails to compile. */
export const BENCH_SUITE_NAMES = ['sandbox', 'corpus', 'learned', 'gym', 'serve', 'engine'] as const;
export type BenchSuiteName = (typeof BENCH_SUITE_NAMES)[number];

const SUITES: Record<BenchSuiteName, { description: string; load: Loader }> = {
  sandbox: {
    description: 'real sandbox: session start, per-command latency, commands/s at 1-16 sessions',
    load: async () => (await import('./sandbox.js')).sandboxBench,
  },
  corpus: {
    description: 'corpus: script generation, recording 2,000 sessions on the sandbox, task expert success',
    load: async () => (await import('../corpus/bench.js')).corpusBench,
  },
  learned: {
    description: 'learned backend: turns/s with 32 concurrent sessions on the shipped model, KV cache kept vs re-fed',
    load: async () => (await import('../backends/learned/bench.js')).learnedBench,
  },
  gym: {
    description: 'gym server over WebSocket vs the raw sandbox: steps/s, step and reset latency, lost/duplicated steps, memory per session, leaks',
    load: async () => (await import('../gym/bench.js')).gymBench,
  },
  serve: {
    description: 'tw serve: turns/s of 32 OpenAI-API clients through tw serve vs the learned backend directly; streaming first-chunk time',
    load: async () => (await import('../serve/bench.js')).serveBench,
  },
  engine: {
    description: 'learned-model engine: train tokens/s, sampling bytes/s (batch 1, 32), peak RSS, contexts 512-2048',
    load: async () => (await import('./engine.js')).engineBench,
  },
};

export function benchSuiteNames(): BenchSuiteName[] {
  return [...BENCH_SUITE_NAMES];
}

export function isBenchSuiteName(name: string): name is BenchSuiteName {
  return (BENCH_SUITE_NAMES as readonly string[]).includes(name);
}

/** The suite of a name given on the command line (checked: an unknown one is named, with the choices). */
export async function getBenchSuite(name: string): Promise<BenchSuite> {
  if (!isBenchSuiteName(name)) throw new TwError(`unknown bench suite "${name}"`, `use one of: ${benchSuiteNames().join(', ')}, or all`);
  return SUITES[name].load();
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
  return (
    rows
      .map((row) =>
        row
          .map((cell, c) => (c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
