/** `tw eval tier1 --backend NAME [--data DIR|FILE] [--json FILE] [--out DIR] [--limit N]`: the Tier-1 protocol. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describeError, TwError } from '../../core/errors.js';
import { runMeta } from '../../core/meta.js';
import type { Backend } from '../../core/terminal.js';
import { backendName, getBackend } from '../../backends/registry.js';
import { DEFAULT_BINS } from '../../eval/metrics/calibration.js';
import { loadEvalData } from '../../eval/tier1/data.js';
import { runTier1, TIER1_FORMAT, TIER1_VERSION } from '../../eval/tier1/index.js';
import { summary, toJson, writeRunFolder } from '../../eval/tier1/report.js';

export const DEFAULT_EVAL_DATA = 'data/corpus';

function intOpt(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new TwError(`--${name} must be an integer >= ${min}, got "${v}"`, `pass e.g. --${name} ${Math.max(min, 10)}`);
  return n;
}

/** The real oracle if a session starts, else null and why. */
async function loadOracle(): Promise<{ oracle: Backend | null; why?: string }> {
  try {
    const real = await getBackend('real');
    const t = await real.start({ deterministic: true });
    await t.close();
    return { oracle: real };
  } catch (e) {
    return { oracle: null, why: describeError(e).replace(/\n/g, ' ') };
  }
}

interface Tier1Flags {
  backend: string;
  data: string;
  json?: string;
  out?: string;
  limit?: string;
  concurrency: string;
  bins: string;
  model?: string;
  temperature?: string;
  topP?: string;
  maxTokens?: string;
  seed: string;
  oracle: boolean;
  ks?: string;
}

export function registerEval(program: Command): void {
  const ev = program.command('eval').description('evaluate a backend (Tier 1: intrinsic fidelity on held-out sessions)');
  ev.command('tier1')
    .description('cross-entropy, exact match, state probes, calibration, by depth, teacher-forced and free-running, and the recovery curve')
    .requiredOption('--backend <name>', 'backend to evaluate (see `tw backends`)')
    .option('--data <dir|file>', 'a corpus folder (its test.jsonl) or a session .jsonl / SWE-agent .jsonl file', DEFAULT_EVAL_DATA)
    .option('--json <file>', 'also write the results JSON here')
    .option('--out <dir>', 'run folder (default runs/tier1-<backend>-<time>)')
    .option('--limit <n>', 'only the first n sessions')
    .option('--concurrency <n>', 'sessions at once (a learned backend batches them)', '8')
    .option('--bins <n>', 'calibration bins', String(DEFAULT_BINS))
    .option('--model <dir>', 'learned backends: model folder')
    .option('--temperature <t>', 'learned backends: sampling temperature (default greedy)')
    .option('--top-p <p>', 'learned backends: nucleus sampling')
    .option('--max-tokens <n>', 'learned backends: most tokens generated per turn (default: what fits in the context)')
    .option('--seed <n>', 'seed for sampling backends', '0')
    .option('--ks <list>', 'reseed intervals, comma-separated ("inf" = never)', '1,5,10,inf')
    .option('--no-oracle', 'do not use the real sandbox (skips state probes and the replay check)')
    .action(async (f: Tier1Flags) => {
      const limit = intOpt('limit', f.limit, 1);
      const concurrency = intOpt('concurrency', f.concurrency, 1) ?? 8;
      const bins = intOpt('bins', f.bins, 1) ?? DEFAULT_BINS;
      const seed = intOpt('seed', f.seed, 0) ?? 0;
      const ks = (f.ks ?? '1,5,10,inf').split(',').map((s) => {
        const k = s.trim() === 'inf' ? Infinity : Number(s);
        if (!(k === Infinity || (Number.isInteger(k) && k >= 1))) throw new TwError(`--ks: "${s}" is not a positive integer or "inf"`, 'e.g. --ks 1,5,10,inf');
        return k;
      });
      if (!ks.includes(Infinity)) ks.push(Infinity);
      const options: Record<string, unknown> = { seed };
      if (f.model) options.model = f.model;
      if (f.temperature !== undefined) options.temperature = Number(f.temperature);
      if (f.topP !== undefined) options.topP = Number(f.topP);
      const maxTokens = intOpt('max-tokens', f.maxTokens, 1);
      if (maxTokens !== undefined) options.maxTokens = maxTokens;
      const data = loadEvalData(f.data, limit);
      const target = await getBackend(backendName(f.backend));
      // Fail fast (a missing model, a sandbox that cannot start) instead of failing every session;
      // the started terminal's info (its model, an endpoint's URL and model) goes into the run's config.
      const first = await target.start({ ...(data.sessions[0]?.spec ?? {}), options });
      const terminal = first.info;
      await first.close();
      const baseline = await getBackend('null');
      const { oracle, why } = f.oracle ? await loadOracle() : { oracle: null, why: '--no-oracle' };
      const log = (l: string): void => void process.stderr.write(`tier1: ${l}\n`);
      if (!oracle && data.kind === 'sessions') log(`no real oracle (${why ?? ''}): state probes and the replay check are skipped`);
      const config = {
        backend: f.backend,
        terminal,
        data: data.path,
        limit: limit ?? null,
        concurrency,
        bins,
        ks: ks.map((k) => (Number.isFinite(k) ? k : 'inf')),
        options,
        oracle: oracle ? 'real' : null,
      };
      const results = await runTier1({ target, baseline, oracle, ...(why ? { oracleUnavailable: why } : {}), data, options, concurrency, bins, ks, log });
      const meta = runMeta('tw eval tier1', TIER1_VERSION, seed, config, { format: TIER1_FORMAT });
      const dir = f.out ?? join('runs', `tier1-${f.backend}-${meta.createdAt.replace(/[:.]/g, '-')}`);
      await writeRunFolder(dir, meta, results);
      if (f.json) writeFileSync(f.json, toJson({ meta, ...results }));
      process.stdout.write(summary(results));
      process.stdout.write(`run folder: ${dir}${f.json ? `; JSON: ${f.json}` : ''}\n`);
    });
}
