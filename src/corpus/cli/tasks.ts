/** `tw corpus tasks`: generate tasks (versioned JSONL) and check that the experts solve them. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { backendName, getBackend } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { formatRate, rate } from '../../core/stats.js';
import { SessionWriter } from '../../session/io.js';
import { runPool } from '../record/record.js';
import { readTasks } from '../tasks/format.js';
import { TASK_FAMILIES } from '../tasks/index.js';
import { checkTask, familyByName, generateTasks, type TaskResult } from '../tasks/run.js';
import { writeHarborTask } from '../tasks/harbor.js';
import { ProgressBar } from '../../core/progress.js';

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TwError(`${name} must be a non-negative integer, got "${v}"`, `e.g. ${name} 100`);
  return n;
}

export function registerCorpusTasks(corpus: Command): void {
  corpus
    .command('tasks')
    .description("generate tasks (setup, instruction, verifier); with --check, run each family's expert and the verifier")
    .option('--n <n>', 'number of tasks (families in turn)', '120')
    .option('--seed <s>', 'seed', '1')
    .option('--family <names>', 'comma-separated families (default: all)')
    .option('--in <file>', 'check tasks from this task JSONL instead of generating')
    .option('--out <file>', 'write the tasks as JSONL')
    .option('--check', 'run the experts and verifiers on the backend')
    .option('--rollouts <file>', 'with --check: append the expert rollouts as sessions')
    .option('--harbor <dir>', 'with --check: write each solved task as a Harbor task directory (solution = the expert rollout)')
    .option('--backend <name>', 'backend', 'real')
    .option('--jobs <j>', 'tasks in flight', '8')
    .option('--min-rate <r>', 'with --check: exit 1 below this success rate', '0.95')
    .action(
      async (o: {
        n: string;
        seed: string;
        family?: string;
        in?: string;
        out?: string;
        check?: boolean;
        rollouts?: string;
        harbor?: string;
        backend: string;
        jobs: string;
        minRate: string;
      }) => {
        if (o.harbor && !o.check) throw new TwError('--harbor needs --check', 'the Harbor solution script is the expert rollout, so add --check');
        const fams = o.family ? o.family.split(',').map((f) => familyByName(f.trim())) : TASK_FAMILIES;
        const tasks = o.in ? readTasks(o.in) : generateTasks(int('--n', o.n), int('--seed', o.seed), fams);
        if (o.out) {
          writeFileSync(o.out, tasks.map((t) => JSON.stringify(t)).join('\n') + '\n');
          process.stdout.write(`wrote ${tasks.length} tasks to ${o.out}\n`);
        }
        if (!o.check) {
          if (!o.out) for (const t of tasks.slice(0, 5)) process.stdout.write(`${t.id}: ${t.instruction}\n`);
          return;
        }
        const backend = await getBackend(backendName(o.backend));
        const byId = new Map(tasks.map((t) => [t.id, t]));
        const writer = o.rollouts ? new SessionWriter(o.rollouts) : null;
        const results: TaskResult[] = [];
        const bar = new ProgressBar({ label: 'tasks', plainEveryPercent: 10 });
        const t0 = performance.now();
        try {
          await runPool(
            tasks,
            int('--jobs', o.jobs),
            (t) => checkTask(t, backend),
            (r) => {
              results.push(r);
              writer?.append(r.session);
              const task = byId.get(r.id);
              if (o.harbor && r.success && task) writeHarborTask(o.harbor, task, r.session);
              bar.update(results.length, tasks.length);
            },
          );
        } finally {
          writer?.close();
        }
        const secs = (performance.now() - t0) / 1000;
        const byFam = new Map<string, TaskResult[]>();
        for (const r of results) byFam.set(r.family, [...(byFam.get(r.family) ?? []), r]);
        for (const [f, rs] of [...byFam].sort()) {
          const turns = rs.reduce((s, r) => s + r.turns, 0) / rs.length;
          process.stdout.write(`${f.padEnd(16)} ${formatRate(rate(rs.filter((r) => r.success).length, rs.length))}  mean turns ${turns.toFixed(1)}\n`);
        }
        const all = rate(results.filter((r) => r.success).length, results.length);
        const rerun = results.filter((r) => (r.attempts ?? 1) > 1).length;
        const still = results.filter((r) => r.anomalous).length;
        process.stdout.write(
          `all              ${formatRate(all)}  in ${secs.toFixed(1)} s (${rerun} re-run after a sandbox anomaly, ${still} still anomalous)\n`,
        );
        for (const r of results.filter((x) => !x.success).slice(0, 10))
          process.stdout.write(`  failed ${r.id}: verifier exit ${r.verifierExit}${r.error ? ', ' + r.error : ''}\n`);
        if (o.harbor)
          process.stdout.write(`wrote ${results.filter((r) => r.success).length} Harbor task directories under ${o.harbor} (unsolved tasks are left out)\n`);
        if (all.rate < Number(o.minRate)) process.exitCode = 1;
      },
    );
}
