/** Generate tasks from a seed, and run a family's expert on a task in a fresh session, then its verifier. */
import { Rng } from '../../core/rng.js';
import type { Backend, Mode } from '../../core/terminal.js';
import { newSession, turnToRecord, type Session } from '../../session/format.js';
import { TASK_FORMAT, TASK_VERSION, type Task } from './format.js';
import { TASK_FAMILIES } from './index.js';
import { Shell, TurnLimitError, type TaskFamily } from './types.js';
import { TwError } from '../../core/errors.js';

export function familyByName(name: string): TaskFamily {
  const f = TASK_FAMILIES.find((x) => x.name === name);
  if (!f) throw new TwError(`unknown task family "${name}"`, `use one of: ${TASK_FAMILIES.map((x) => x.name).join(', ')}`);
  return f;
}

/** Task i of a seed: families in turn (balanced), each with its own derived seed. */
export function generateTask(seed: number, i: number, families: readonly TaskFamily[] = TASK_FAMILIES): Task {
  const fam = families[i % families.length];
  if (!fam) throw new TwError('no task families selected', 'drop --family or name an existing one');
  const s = new Rng(seed).fork(`task-${i}`).u32();
  const d = fam.generate(new Rng(s));
  return {
    format: TASK_FORMAT,
    version: TASK_VERSION,
    id: `${fam.name}-${seed}-${String(i).padStart(6, '0')}`,
    family: fam.name,
    seed: s,
    instruction: d.instruction,
    setup: d.setup,
    verifier: d.verifier,
    params: d.params,
    maxTurns: d.maxTurns ?? 30,
  };
}

export function generateTasks(n: number, seed: number, families: readonly TaskFamily[] = TASK_FAMILIES): Task[] {
  return Array.from({ length: n }, (_, i) => generateTask(seed, i, families));
}

/** Keys of params that name inputs the agent may look at before acting. */
const INPUT_KEYS = ['root', 'dir', 'path', 'archive'];

/** What an agent often does first: look at the input it was told about (seeded per task, so
 *  rollouts vary in shape but stay reproducible). The experts do not depend on it. */
async function lookAround(task: Task, sh: Shell): Promise<void> {
  const r = new Rng(task.seed).fork('look');
  const inputs = INPUT_KEYS.map((k) => task.params[k]).filter((v): v is string => typeof v === 'string' && v.startsWith('/'));
  if (inputs.length === 0 || r.bool(0.4)) return;
  const p = r.pick(inputs);
  const isDir = task.params['root'] === p || task.params['dir'] === p;
  const cmd = isDir
    ? r.pick([`ls ${p}`, `ls -la ${p}`, `find ${p} -type f | head -n 20`])
    : p.endsWith('.tar.gz')
      ? `ls -l ${p}`
      : r.pick([`head -n 5 ${p}`, `wc -l ${p}`, `ls -l ${p}`]);
  await sh.run(cmd);
}

export interface TaskResult {
  id: string;
  family: string;
  success: boolean;
  verifierExit: number;
  turns: number;
  error?: string;
  /** A turn exited 130 or timed out, or the verifier could not run: the sandbox, not the expert. */
  anomalous?: boolean;
  attempts?: number;
  /** The expert's rollout as a session (meta.task holds the instruction), for SFT exports. */
  session: Session;
}

/** `skipExpert`: run only setup + verifier (the null agent), which must fail on every task. */
export async function runTask(task: Task, backend: Backend, mode: Mode = 'pty', skipExpert = false): Promise<TaskResult> {
  const term = await backend.start({ mode, setup: task.setup, seed: task.seed, deterministic: true });
  const sh = new Shell(term, task.maxTurns);
  let error: string | undefined;
  let verifierExit = -1;
  try {
    try {
      if (!skipExpert) {
        await lookAround(task, sh);
        await familyByName(task.family).expert(task, sh);
      }
    } catch (e) {
      error = e instanceof TurnLimitError ? e.message : `expert failed: ${(e as Error).message}`;
    }
    if (!term.dead) {
      const b64 = Buffer.from(task.verifier).toString('base64');
      await term.run(`printf '%s' '${b64}' | base64 -d > /tmp/.tw_verify.sh`);
      verifierExit = (await term.run('bash /tmp/.tw_verify.sh >/dev/null 2>&1')).exit;
    } else error = `session died: ${term.deadReason ?? 'unknown'}`;
  } finally {
    await term.close();
  }
  const session = newSession({
    id: `rollout-${task.id}`,
    backend: backend.name,
    mode,
    seed: task.seed,
    setup: task.setup,
    turns: sh.turns.map((t) => turnToRecord(t, 'task')),
    meta: { task: { id: task.id, family: task.family, instruction: task.instruction, success: verifierExit === 0 } },
  });
  const r: TaskResult = { id: task.id, family: task.family, success: verifierExit === 0, verifierExit, turns: sh.turns.length, session };
  if (error !== undefined) r.error = error;
  const glitch = sh.turns.some((t) => t.exit === 130 || t.timedOut) || verifierExit === 130 || verifierExit === -1;
  if (glitch) r.anomalous = true;
  return r;
}

/** runTask, re-run (fresh sandbox) while the run was anomalous: a command interrupted (exit
 *  130) or timed out, which no expert or verifier does on purpose (see docs/corpus.md). */
export async function checkTask(task: Task, backend: Backend, mode: Mode = 'pty', skipExpert = false, attempts = 3): Promise<TaskResult> {
  let r = await runTask(task, backend, mode, skipExpert);
  for (let a = 1; a < attempts && r.anomalous; a++) r = { ...(await runTask(task, backend, mode, skipExpert)), attempts: a + 1 };
  return r;
}
