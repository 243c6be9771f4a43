/**
 * One Tier-3 episode: a task's fresh session on a backend, an agent acting through the expert's
 * `Shell` (src/corpus/tasks/types.ts), then the task's verifier in the same session (real
 * sandbox; on the learned terminal the verifier's answer would be the model's, so it is not run).
 * Agents: the family's expert (the oracle bound), a noisy expert (mistakes, then recovery from
 * what the terminal printed), the null agent (acts not at all: the floor), and a trained policy.
 */
import { z } from 'zod';
import { Rng } from '../../core/rng.js';
import type { Backend, Terminal } from '../../core/terminal.js';
import { familyByName } from '../../corpus/tasks/run.js';
import type { Task } from '../../corpus/tasks/format.js';
import { Shell, TurnLimitError, type Obs } from '../../corpus/tasks/types.js';
import { normObs, type Step, type Trajectory } from './framing.js';

export interface EpisodeResult {
  taskId: string;
  family: string;
  /** verifier exit 0; null where the verifier was not run (learned terminal) */
  success: boolean | null;
  turns: number;
  trajectory: Trajectory;
  error?: string;
}

/** An episode as the run folder keeps it (eval/*.jsonl, trajectories/*.jsonl and their .partial files), validated when read back. */
export const episodeResultSchema: z.ZodType<EpisodeResult> = z.looseObject({
  taskId: z.string(),
  family: z.string(),
  success: z.boolean().nullable(),
  turns: z.number().int().nonnegative(),
  trajectory: z.looseObject({
    taskId: z.string(),
    family: z.string(),
    instruction: z.string(),
    steps: z.array(z.looseObject({ cmd: z.string(), out: z.string(), exit: z.number() })),
    done: z.boolean(),
  }),
  error: z.string().optional(),
});

/** An agent acts on the task through `sh` and returns whether it declared the task done. */
export type Agent = (task: Task, sh: Shell) => Promise<boolean>;

export interface EpisodeOptions {
  maxObsBytes: number;
  /** at most this many commands (and never more than the task's own maxTurns) */
  maxTurns: number;
  /** run the verifier (only meaningful on the real sandbox) */
  verify: boolean;
  /** backend options (e.g. the learned model folder) */
  backendOptions?: Record<string, unknown>;
}

async function verify(term: Terminal, task: Task): Promise<number> {
  const b64 = Buffer.from(task.verifier).toString('base64');
  await term.run(`printf '%s' '${b64}' | base64 -d > /tmp/.tw_verify.sh`);
  return (await term.run('bash /tmp/.tw_verify.sh >/dev/null 2>&1')).exit;
}

export async function runEpisode(task: Task, backend: Backend, agent: Agent, o: EpisodeOptions): Promise<EpisodeResult> {
  const spec = { mode: 'pty' as const, setup: task.setup, seed: task.seed, deterministic: true, ...(o.backendOptions ? { options: o.backendOptions } : {}) };
  const term = await backend.start(spec);
  const sh = new Shell(term, Math.min(o.maxTurns, task.maxTurns));
  let error: string | undefined;
  let done = false;
  let success: boolean | null = null;
  try {
    try {
      done = await agent(task, sh);
    } catch (e) {
      error = e instanceof TurnLimitError ? e.message : `agent failed: ${(e as Error).message}`;
    }
    if (o.verify) {
      if (term.dead) {
        error = `session died: ${term.deadReason ?? 'unknown'}`;
        success = false;
      } else success = (await verify(term, task)) === 0;
    }
  } finally {
    await term.close();
  }
  const steps: Step[] = sh.turns.map((t) => ({ cmd: t.cmd, out: normObs(t.output, o.maxObsBytes), exit: t.exit }));
  const r: EpisodeResult = {
    taskId: task.id,
    family: task.family,
    success,
    turns: sh.turns.length,
    trajectory: { taskId: task.id, family: task.family, instruction: task.instruction, steps, done },
  };
  if (error !== undefined) r.error = error;
  return r;
}

/** The family's scripted expert (the bound every score is read against). */
export const expertAgent: Agent = async (task, sh) => {
  await familyByName(task.family).expert(task, sh);
  return true;
};

/** The null agent: declares done at once (the floor: every verifier must fail on the untouched task). */
export const nullAgent: Agent = async () => true;

/** Corrupt a command the way a hasty agent does: a typo in the program name, a wrong path,
 *  or a look around first. Returns the mistaken command. */
export function mistake(cmd: string, r: Rng): string {
  const words = cmd.split(' ');
  const prog = words[0] ?? '';
  const paths = words.map((w, i) => [w, i] as const).filter(([w]) => /^'?\/root\//.test(w));
  const kind = r.int(0, 2);
  if (kind === 0 && prog.length >= 3) {
    const i = r.int(0, prog.length - 2);
    const typo = prog.slice(0, i) + (prog[i + 1] ?? '') + (prog[i] ?? '') + prog.slice(i + 2);
    if (typo !== prog) return [typo, ...words.slice(1)].join(' ');
  }
  if (kind <= 1 && paths.length > 0) {
    const [w, i] = r.pick(paths);
    const bad = w.endsWith("'") ? `${w.slice(0, -1)}x'` : `${w}x`;
    return words.map((x, j) => (j === i ? bad : x)).join(' ');
  }
  const dir = paths.length > 0 ? (paths[0]?.[0] ?? '/root').replace(/'/g, '').replace(/\/[^/]*$/, '') || '/root' : '/root';
  return r.pick([`ls ${dir}`, 'pwd', `ls -la ${dir}`]);
}

/** A Shell that, before some commands, first runs a mistaken version of it (its output is
 *  what the terminal printed for the mistake), then the intended one: the expert recovers. */
class NoisyShell extends Shell {
  constructor(
    term: Terminal,
    maxTurns: number,
    private readonly inner: Shell,
    private readonly r: Rng,
    private readonly p: number,
  ) {
    super(term, maxTurns);
  }
  override async run(cmd: string): Promise<Obs> {
    if (this.r.bool(this.p)) await this.inner.run(mistake(cmd, this.r));
    return this.inner.run(cmd);
  }
}

/** The expert with mistakes: with probability p before each command, a mistaken command first. */
export function noisyExpertAgent(p: number, seed: number): Agent {
  return async (task, sh) => {
    const r = new Rng(seed).fork(`noise:${task.id}`);
    // NoisyShell forwards every run() to `sh` (which holds the terminal and the turn budget); its
    // own terminal is never used, hence no terminal and no budget of its own
    const noisy = new NoisyShell(undefined as unknown as Terminal, 0, sh, r, p);
    await familyByName(task.family).expert(task, noisy);
    return true;
  };
}
