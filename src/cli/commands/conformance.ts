/** `tw conformance`: external Oils spec cases (evaluation only) run as `bash -c` on a backend. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { backendName, getBackend } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { runMeta } from '../../core/meta.js';
import { formatRate, rate } from '../../core/stats.js';
import { DEFAULT_CASES, loadCases } from '../../eval/conformance/cases.js';
import { KNOWN_EXCEPTIONS } from '../../eval/conformance/exceptions.js';
import { type CaseResult, runConformance } from '../../eval/conformance/run.js';

interface Opts {
  backend: string;
  json?: string;
  jobs: string;
  cases: string;
  file?: string;
  show: string;
}

export const CONFORMANCE_FORMAT = 'tw-conformance-report';
export const CONFORMANCE_VERSION = 1;

export function summariseConformance(results: readonly CaseResult[]): {
  files: Record<string, { passed: number; total: number }>;
  overall: ReturnType<typeof rate>;
} {
  const files: Record<string, { passed: number; total: number }> = {};
  for (const r of results) {
    const f = (files[r.file.replace(/^spec\//, '')] ??= { passed: 0, total: 0 });
    f.total++;
    if (r.agree) f.passed++;
  }
  return { files, overall: rate(results.filter((r) => r.agree).length, results.length) };
}

export function registerConformance(program: Command): void {
  program
    .command('conformance')
    .description('run the external Oils bash spec cases (evaluation only) as `bash -c` on a backend; agreement per spec file and overall')
    .option('-b, --backend <name>', 'backend', 'real')
    .option('--json <file>', 'also write the report as JSON')
    .option('-j, --jobs <n>', 'sessions run at once', '8')
    .option('--cases <file>', 'the cases (JSONL)', DEFAULT_CASES)
    .option('--file <substr>', 'only spec files whose name contains this')
    .option('--show <n>', 'disagreements to print', '40')
    .action(async (o: Opts) => {
      const jobs = Number(o.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new TwError(`--jobs must be a positive integer, got "${o.jobs}"`, 'e.g. --jobs 8');
      const backend = await getBackend(backendName(o.backend));
      let cases = loadCases(o.cases);
      if (o.file) {
        const sub = o.file;
        cases = cases.filter((c) => c.file.includes(sub));
        if (!cases.length) throw new TwError(`no spec file matches "${sub}"`, 'e.g. --file arith');
      }
      const t0 = performance.now();
      const results = await runConformance(backend, cases, { jobs });
      const secs = (performance.now() - t0) / 1000;
      const { files, overall } = summariseConformance(results);
      const known = KNOWN_EXCEPTIONS[o.backend] ?? {};
      const bad = results.filter((r) => !r.agree);
      const documented = bad.filter((r) => known[r.key]);
      const w = Math.max(...Object.keys(files).map((f) => f.length));
      for (const [f, s] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b)))
        process.stdout.write(`${f.padEnd(w)}  ${formatRate(rate(s.passed, s.total))}\n`);
      const show = Number(o.show) || 0;
      if (bad.length && show > 0) {
        process.stdout.write(`\ndisagreements (${bad.length}; first ${Math.min(show, bad.length)}):\n`);
        for (const r of bad.slice(0, show))
          process.stdout.write(`  ${r.key} ${JSON.stringify(r.name)}: ${r.reason}${known[r.key] ? `  [documented: ${known[r.key]}]` : ''}\n`);
      }
      process.stdout.write(`\n${o.backend}: agreement ${formatRate(overall)} over ${results.length} cases in ${secs.toFixed(1)} s`);
      process.stdout.write(Object.keys(known).length ? `; ${documented.length} of ${bad.length} disagreements documented\n` : '\n');
      if (o.json) {
        const meta = runMeta('tw conformance', CONFORMANCE_VERSION, 1, { backend: o.backend, cases: o.cases, file: o.file ?? null, jobs }, { seconds: secs });
        const report = {
          format: CONFORMANCE_FORMAT,
          version: CONFORMANCE_VERSION,
          backend: o.backend,
          overall,
          files,
          disagreements: bad.map((r) => ({
            key: r.key,
            file: r.file,
            name: r.name,
            reason: r.reason,
            documented: known[r.key] ?? null,
            stdout: r.stdout,
            status: r.status,
          })),
          meta,
        };
        writeFileSync(o.json, JSON.stringify(report, null, 1) + '\n');
        process.stderr.write(`wrote ${o.json}\n`);
      }
    });
}
