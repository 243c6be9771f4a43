/** `tw probe`: the Tier-2 probe suite on a backend, with the real (100%) and null (floor) bounds beside it. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { backendName, getBackend } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { runMeta } from '../../core/meta.js';
import { checkCategory, DEFAULT_PROBE_ROOT, loadProbes } from '../../eval/tier2/loader.js';
import { type BoundRow, failureReport, formatTable, reportJson, summarise } from '../../eval/tier2/report.js';
import { DEFAULT_JOBS, DEFAULT_SEED, loadFixtureSet, recordFixtures, runProbes } from '../../eval/tier2/runner.js';
import type { Category } from '../../eval/tier2/schema.js';

interface ProbeOpts {
  backend: string;
  category?: string[];
  json?: string;
  record?: boolean;
  jobs: string;
  seed: string;
  bounds: boolean;
  failures: boolean;
  root: string;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new TwError(`${flag} must be a positive integer, got "${v}"`, `e.g. ${flag} 8`);
  return n;
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('run the probe suite (Tier 2) on a backend: per-category pass rates with 95% intervals, weighted aggregate, failures')
    .option('-b, --backend <name>', 'backend to grade', 'real')
    .option('-c, --category <name...>', 'only these categories')
    .option('--json <file>', 'also write the report as JSON')
    .option('--record', 're-record the expected answers from the real backend first (locked fixtures are kept); also RECORD_FIXTURES=1')
    .option('-j, --jobs <n>', 'sessions run at once', String(DEFAULT_JOBS))
    .option('--seed <n>', 'session seed (distribution samples use seed..seed+N-1)', String(DEFAULT_SEED))
    .option('--no-bounds', 'do not run the real and null bounds beside the backend')
    .option('--no-failures', 'do not print the failure diffs')
    .option('--root <dir>', 'probe folder', DEFAULT_PROBE_ROOT)
    .action(async (o: ProbeOpts) => {
      const jobs = positiveInt(o.jobs, '--jobs');
      const seed = Number(o.seed);
      if (!Number.isInteger(seed)) throw new TwError(`--seed must be an integer, got "${o.seed}"`, 'e.g. --seed 1');
      const categories: Category[] | undefined = o.category?.flatMap((c) => c.split(',')).map(checkCategory);
      const backend = await getBackend(backendName(o.backend)); // unknown names list the valid ones
      const probes = loadProbes({ root: o.root, categories });
      if (!probes.length) throw new TwError(`no probes found under ${o.root}`, 'check --root and --category');

      if (o.record || process.env.RECORD_FIXTURES === '1') {
        const oracle = await getBackend('real');
        try {
          await (await oracle.start({ mode: 'pipe' })).close(); // fail fast, once, when there is no sandbox
        } catch (e) {
          throw new TwError(
            `cannot record: the real backend does not start (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
            'set the sandbox up first: tw sandbox setup',
          );
        }
        process.stderr.write(`recording ${probes.length} probes from the real backend...\n`);
        const s = await recordFixtures(oracle, o.root, probes, { jobs, seed });
        process.stderr.write(`recorded ${s.recorded.length}, kept ${s.skippedLocked.length} locked, failed ${s.failed.length}\n`);
        for (const f of s.failed) process.stderr.write(`  ${f.id}: ${f.error}\n`);
        if (s.failed.length) process.exitCode = 1;
      }
      const fixtures = loadFixtureSet(o.root, probes);

      let done = 0;
      const tick = (): void => {
        done++;
        if (process.stderr.isTTY) process.stderr.write(`\r${o.backend}: ${done}/${probes.length}`);
      };
      const t0 = performance.now();
      const results = await runProbes(backend, probes, fixtures, { jobs, seed, onResult: tick });
      const secs = (performance.now() - t0) / 1000;
      if (process.stderr.isTTY) process.stderr.write('\n');
      const summary = summarise(o.backend, results);

      const bounds: Record<string, BoundRow> = {};
      if (o.bounds) {
        for (const name of (['real', 'null'] as const).filter((n) => n !== o.backend)) {
          try {
            const b = await getBackend(name);
            bounds[name] = { summary: summarise(name, await runProbes(b, probes, fixtures, { jobs, seed })) };
          } catch (e) {
            bounds[name] = { note: `unavailable (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` };
          }
        }
      }
      const rows = [{ name: o.backend, summary }, ...Object.entries(bounds).map(([name, b]) => ({ name: `${name} (bound)`, ...b }))];
      if (o.failures) process.stdout.write(failureReport(results) + '\n\n');
      process.stdout.write(formatTable(rows) + '\n');
      process.stdout.write(
        `\n${o.backend}: ${summary.passed}/${summary.total} probes passed in ${secs.toFixed(1)} s; aggregate ${(100 * summary.aggregate).toFixed(1)}%\n`,
      );
      for (const [name, b] of Object.entries(bounds)) if (b.note) process.stdout.write(`${name} bound: ${b.note}\n`);
      if (o.backend === 'real' && summary.passed !== summary.total) {
        process.stdout.write('real must score 100%: a failing probe means a flaky probe or a stale fixture (re-record with --record)\n');
        process.exitCode = 1;
      }
      if (o.json) {
        // what exactly was graded: the started terminal's info (a learned model's folder, an endpoint's URL and model)
        const one = await backend.start({ mode: 'pipe', seed });
        const terminal = one.info;
        await one.close();
        const meta = runMeta('tw probe', 1, seed, { backend: o.backend, terminal, categories: categories ?? 'all', jobs }, { seconds: secs });
        writeFileSync(o.json, JSON.stringify(reportJson(summary, results, bounds, meta), null, 1) + '\n');
        process.stderr.write(`wrote ${o.json}\n`);
      }
    });
}
