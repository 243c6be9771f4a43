import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { benchSuiteNames, formatTable, getBenchSuite } from '../../bench/registry.js';
import type { BenchResult } from '../../bench/types.js';
import { runMeta } from '../../core/meta.js';

export const BENCH_FORMAT = 'terminalworld.bench';
export const BENCH_VERSION = 1;

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`run benchmark suites (${benchSuiteNames().join(', ')}) or all; prints a table`)
    .argument('<suite>', 'suite name or "all"')
    .option('--json <file>', 'also write the results as JSON')
    .option('--quick', 'fewer repetitions (smoke run)')
    .action(async (suite: string, o: { json?: string; quick?: boolean }) => {
      const names = suite === 'all' ? benchSuiteNames() : [suite];
      const results: BenchResult[] = [];
      for (const name of names) {
        const s = await getBenchSuite(name);
        process.stderr.write(`bench: running ${name}...\n`);
        results.push(await s.run({ quick: o.quick ?? false }));
      }
      process.stdout.write(formatTable(results));
      if (o.json) {
        mkdirSync(dirname(o.json), { recursive: true });
        const doc = {
          format: BENCH_FORMAT,
          version: BENCH_VERSION,
          meta: runMeta('tw bench', BENCH_VERSION, 0, { suites: names, quick: o.quick ?? false }),
          results,
        };
        writeFileSync(o.json, JSON.stringify(doc, null, 2) + '\n');
        process.stderr.write(`bench: wrote ${o.json}\n`);
      }
    });
}
