/** `tw corpus harbor-run`: run Harbor / Terminal-Bench task directories in the sandbox, into a run folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { TwError } from '../../core/errors.js';
import { runMeta } from '../../core/meta.js';
import { newSession, turnToRecord } from '../../session/format.js';
import { SessionWriter } from '../../session/io.js';
import { HARBOR_AGENTS, runHarborTask, type HarborAgent } from '../tasks/harbor-run.js';

/** Version of the run folder this command writes (meta.json, trajectories.jsonl, scores.json). */
export const HARBOR_RUN_VERSION = 1;

export function registerCorpusHarbor(corpus: Command): void {
  corpus
    .command('harbor-run')
    .description(
      'run Harbor / Terminal-Bench task directories in the sandbox (environment from a local OCI tarball, or the nearest manifest to the Dockerfile) and score them',
    )
    .argument('<task-dirs...>', 'task directories (instruction.md, environment/, tests/test.sh, solution/)')
    .option('--agent <agent>', `who acts: ${HARBOR_AGENTS.join(' (solution/solve.sh) | ')} (nothing: the floor)`, 'oracle')
    .option('--image <file>', "the tasks' environment: a `docker save` / OCI tarball or an image manifest (default: built from each environment/Dockerfile)")
    .option('--seed <n>', 'session seed', '0')
    .option('--out <dir>', 'run folder', `runs/harbor-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    .action(async (dirs: string[], o: { agent: string; image?: string; seed: string; out: string }) => {
      if (!(HARBOR_AGENTS as readonly string[]).includes(o.agent)) throw new TwError(`unknown agent "${o.agent}"`, `use one of: ${HARBOR_AGENTS.join(', ')}`);
      const agent = o.agent as HarborAgent;
      const seed = Number(o.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new TwError(`--seed must be a non-negative integer (got "${o.seed}")`, 'e.g. --seed 1');
      mkdirSync(o.out, { recursive: true });
      writeFileSync(
        join(o.out, 'meta.json'),
        JSON.stringify(runMeta('harbor-run', HARBOR_RUN_VERSION, seed, { agent, image: o.image ?? null, tasks: dirs }), null, 2) + '\n',
      );
      const traj = new SessionWriter(join(o.out, 'trajectories.jsonl'));
      const scores: { task: string; reward: number; error?: string; warnings: string[] }[] = [];
      for (const d of dirs) {
        const r = await runHarborTask(d, { agent, seed, ...(o.image ? { image: o.image } : {}) });
        traj.append(
          newSession({
            id: `harbor-${r.task}`,
            backend: 'real',
            mode: 'pty',
            seed,
            image: r.image,
            turns: r.turns.map((t) => turnToRecord(t)),
            meta: { harbor: { task: r.task, agent, reward: r.reward } },
          }),
        );
        scores.push({ task: r.task, reward: r.reward, ...(r.error ? { error: r.error } : {}), warnings: r.warnings });
        process.stdout.write(
          `${r.task}: reward ${r.reward}${r.error ? ` (${r.error})` : ''}${r.warnings.length ? `\n  not covered: ${r.warnings.join('; ')}` : ''}\n`,
        );
        writeFileSync(join(o.out, 'scores.json'), JSON.stringify({ version: HARBOR_RUN_VERSION, agent, scores }, null, 2) + '\n');
      }
      traj.close();
      const mean = scores.reduce((a, s) => a + s.reward, 0) / Math.max(1, scores.length);
      process.stdout.write(`${scores.length} tasks, mean reward ${mean.toFixed(3)} (${agent}); run folder ${o.out}\n`);
    });
}
