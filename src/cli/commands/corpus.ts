/** `tw corpus ...`: generate and record sessions, stats, tasks, import and export. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { backendName, getBackend } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { MODES, type Mode } from '../../core/terminal.js';
import { ProgressBar } from '../../core/progress.js';
import { registerCorpusIo } from '../../corpus/cli/io.js';
import { registerCorpusTasks } from '../../corpus/cli/tasks.js';
import { registerCorpusHarbor } from '../../corpus/cli/harbor.js';
import { generateCorpus } from '../../corpus/record/corpus.js';
import { corpusStats, formatStats } from '../../corpus/record/stats.js';

export function intArg(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new TwError(`${name} must be an integer, got "${v}"`, `e.g. ${name} 42`);
  return n;
}

function shareArg(name: string, v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1) throw new TwError(`${name} must be a number from 0 to 1, got "${v}"`, `e.g. ${name} 0.3`);
  return x;
}

function modeArg(v: string): Mode {
  if (!(MODES as readonly string[]).includes(v)) throw new TwError(`unknown mode "${v}"`, `use one of: ${MODES.join(', ')}`);
  return v as Mode;
}

export function registerCorpus(program: Command): void {
  const corpus = program.command('corpus').description('session corpus: generate, stats, tasks, import, export');
  corpus
    .command('generate')
    .description('generate sessions, record them on a backend in parallel, write train/valid/test splits (resumable)')
    .requiredOption('--sessions <n>', 'number of sessions')
    .option('--seed <s>', 'corpus seed', '1')
    .requiredOption('--out <dir>', 'output folder')
    .option('--jobs <j>', 'sessions in flight', '16')
    .option('--backend <name>', 'backend to record on', 'real')
    .option('--mode <mode>', 'pty or pipe', 'pty')
    .option('--median <n>', 'median session length in turns', '12')
    .option('--max-turns <n>', 'longest session', '60')
    .option('--timeout-ms <ms>', 'per-command timeout', '5000')
    .option('--state', 'record what each turn changed in the session state (files, variables, aliases, functions)')
    .option('--image <image>', 'real backend: "workstation" (default), an image manifest or an OCI / docker-save tarball')
    .option(
      '--grammar-share <x>',
      'share of grammar sessions, 0..1: bash drawn from a grammar over ~100 utilities, with far-back reads (src/corpus/generate/grammar.ts)',
      '0',
    )
    .action(
      async (o: {
        sessions: string;
        seed: string;
        out: string;
        jobs: string;
        backend: string;
        mode: string;
        median: string;
        maxTurns: string;
        timeoutMs: string;
        state?: boolean;
        image?: string;
        grammarShare: string;
      }) => {
        const backend = await getBackend(backendName(o.backend));
        const bar = new ProgressBar({ label: 'recording', plainEveryPercent: 10 });
        const r = await generateCorpus({
          sessions: intArg('--sessions', o.sessions),
          seed: intArg('--seed', o.seed),
          out: o.out,
          jobs: intArg('--jobs', o.jobs),
          backend,
          mode: modeArg(o.mode),
          median: intArg('--median', o.median),
          maxTurns: intArg('--max-turns', o.maxTurns),
          timeoutMs: intArg('--timeout-ms', o.timeoutMs),
          recordState: o.state === true,
          grammarShare: shareArg('--grammar-share', o.grammarShare),
          ...(o.image !== undefined ? { image: o.image } : {}),
          onProgress: (d, t) => bar.update(d, t),
        });
        process.stdout.write(
          `recorded ${r.recorded} sessions in ${r.seconds.toFixed(1)} s (${r.skipped} already done, ${r.retried} re-recorded after an anomaly, ${r.rejected} rejected: see raw/rejected.jsonl); splits train ${r.counts.train} / valid ${r.counts.valid} / test ${r.counts.test}; split check ${r.check.ok ? 'ok' : 'FAILED'}\n`,
        );
        process.stdout.write(formatStats(r.stats) + '\n');
      },
    );
  corpus
    .command('stats')
    .description('sessions, turns, bytes and turns per family of a session file or folder')
    .argument('<path>', 'a session .jsonl file or a folder of them')
    .option('--json <file>', 'also write the stats as JSON')
    .action(async (path: string, o: { json?: string }) => {
      const s = await corpusStats(path);
      process.stdout.write(formatStats(s) + '\n');
      if (o.json) writeFileSync(o.json, JSON.stringify(s, null, 2) + '\n');
    });
  registerCorpusTasks(corpus);
  registerCorpusHarbor(corpus);
  registerCorpusIo(corpus);
}
