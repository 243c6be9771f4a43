/** `tw tier3 run --config F [--out DIR]` and `tw tier3 report --run DIR [--json F]`: Tier 3 (docs/tier3.md). */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { TwError } from '../../core/errors.js';
import { loadTier3Config, runTier3 } from '../../eval/tier3/runner.js';
import { parseWith, readJsonFile, readJsonlFile } from '../../core/jsonfile.js';
import { resultsSummarySchema, TIER3_RESULTS_FORMAT, type ResultsSummary } from '../../eval/tier3/results.js';
import { ARMS } from '../../eval/tier3/runner.js';
import { exportTrajectories, TIER3_EXPORTS } from '../../eval/tier3/export.js';
import { episodeResultSchema } from '../../eval/tier3/episode.js';

function summaryJson(r: ResultsSummary): unknown {
  const arms: Record<string, { success: number; lo: number; hi: number; n: number }> = {};
  for (const [k, v] of Object.entries(r.arms)) arms[k] = { success: v.success, lo: v.lo, hi: v.hi, n: v.n };
  // the headline C is arm C with the mask of the better of A and B (both C rows are in the run's results.json)
  const c =
    r.arms['C-action'] && r.arms['C-echo']
      ? (r.arms['B']?.success ?? 0) > (r.arms['A']?.success ?? 0)
        ? arms['C-echo']
        : arms['C-action']
      : (arms['C-action'] ?? arms['C-echo']);
  if (c) arms['C'] = c;
  const eval_ = (a: string): unknown => r.bounds[a]?.['eval'];
  return { format: r.format, version: r.version, name: r.name, full: r.full, arms, expert: eval_('expert'), null: eval_('null') };
}

export function registerTier3(program: Command): void {
  const t3 = program.command('tier3').description('Tier 3: does a policy trained on learned-terminal rollouts transfer to the real shell? (docs/tier3.md)');
  t3.command('run')
    .description('record expert trajectories (real and learned terminal), train the arms, evaluate every policy in the real sandbox; resumable')
    .requiredOption('--config <file>', 'a Tier-3 config, e.g. configs/tier3-quick.json')
    .option('--out <dir>', 'run folder (default runs/tier3-<config name>)')
    .action(async (f: { config: string; out?: string }) => {
      const c = loadTier3Config(f.config);
      const out = f.out ?? join('runs', `tier3-${c.name}`);
      const r = await runTier3({ out, config: c });
      process.stdout.write(r.markdown + `\nrun folder: ${out}\n`);
    });
  t3.command('report')
    .description("print a run's table; --json writes {arms: {A, B, C, ...: {success, lo, hi, n}}, full}")
    .requiredOption('--run <dir>', 'a `tw tier3 run` folder')
    .option('--json <file>', 'write the summary JSON here')
    .action((f: { run: string; json?: string }) => {
      const file = join(f.run, 'results.json');
      if (!existsSync(file)) throw new TwError(`no results.json in ${f.run}`, 'finish the run first: `tw tier3 run --config F --out DIR` (it resumes)');
      const rebuild = 'rerun `tw tier3 run` with the same --config and --out: it rebuilds results.json from the stages it has';
      const raw = readJsonFile(file, z.looseObject({ format: z.unknown() }), rebuild);
      if (raw.format !== TIER3_RESULTS_FORMAT) throw new TwError(`${file} is not a Tier-3 results file`, 'pass a `tw tier3 run` folder');
      const r = parseWith(resultsSummarySchema, raw, file, rebuild);
      process.stdout.write(r.markdown + '\n');
      if (f.json) writeFileSync(f.json, JSON.stringify(summaryJson(r), null, 1) + '\n');
    });
  t3.command('export')
    .description(`write an arm's training trajectories in the field's formats (${TIER3_EXPORTS.join(', ')})`)
    .requiredOption('--run <dir>', 'a `tw tier3 run` folder')
    .requiredOption('--arm <arm>', `one of ${Object.keys(ARMS).join(', ')}`)
    .requiredOption('--format <f>', TIER3_EXPORTS.join(' | '))
    .requiredOption('--out <file>', 'JSONL to write (TRL formats also write FILE.chat_template.jinja)')
    .action((f: { run: string; arm: string; format: string; out: string }) => {
      const spec = ARMS[f.arm];
      if (!spec) throw new TwError(`unknown arm "${f.arm}"`, `use one of ${Object.keys(ARMS).join(', ')}`);
      const file = join(f.run, 'trajectories', `${spec.data}.jsonl`);
      if (!existsSync(file)) throw new TwError(`no ${file}`, 'run `tw tier3 run` first (it records the trajectories)');
      const eps = readJsonlFile(file, episodeResultSchema, 'delete the file and rerun `tw tier3 run` (it records the trajectories again)');
      const trajs = eps.filter((e) => spec.data === 'learned' || e.success === true).map((e) => e.trajectory);
      // the mask is the format's: trl-policy = arm A's loss, trl-echo = arm B's
      const n = exportTrajectories(trajs, spec.data, f.format, f.out);
      process.stdout.write(`wrote ${n} trajectories (${spec.data}) as ${f.format} to ${f.out}\n`);
    });
}
