/**
 * ECHO in RL at laptop scale (issue 11, item 4): GRPO on the policy's action tokens with the task
 * verifiers' rewards, plus λ x the cross-entropy of the observation tokens (ECHO's world-model
 * term), starting from an SFT arm's policy; and the verifier-free run (observation loss alone).
 *
 * One step: P tasks (fresh instances of the training families), G rollouts of each, sampled at
 * temperature τ from the current policy in the real sandbox; reward r = 1 when the task's verifier
 * passes, else 0. GRPO's advantage within a task's group: A_i = (r_i - mean r) / (std r + 1e-4)
 * (a group whose rollouts all pass or all fail gives no policy gradient). The loss over the
 * N = P x G rollouts:
 *
 *   L = (1/N) Σ_i [ A_i · mean_{t in actions_i} CE(a_t)  +  λ · mean_{t in obs_i} CE(o_t) ]
 *
 * (CE = -log π, so the first term is the policy gradient -A log π), written as per-token weights on
 * the trainer's cross-entropy: A_i / (N |actions_i|) on each action token, λ / (N |obs_i|) on each
 * observation token, 0 elsewhere: a sequence-mean per rollout, as ECHO's reference normalises its
 * world-model term. One optimizer step per batch of rollouts: on-policy, so GRPO's importance ratio
 * is 1 and its clip never acts; no KL term. The verifier-free run drops the first term (A = 0) and
 * trains on λ = 1 x the observation loss of its own rollouts.
 *
 * A run folder (runs/<id>/rl/<arm>-s<seed>/), resumable after kill -9 at its last checkpoint:
 *   meta.json         commit, seed and the settings its rollouts depend on (a resume with others is refused)
 *   curve.jsonl       {kind:"step", step, reward, signal, loss, seconds} per step and
 *                     {kind:"eval", step, passed, n} (greedy, real sandbox) every evalEvery steps
 *   rollouts.jsonl    every rollout: {step, group, reward, trajectory}
 *   checkpoint/       model + optimizer.safetensors + state.json {step, adamT}, every checkpointEvery steps
 *   train.json        written when the run ends (what the arms' train.json holds); a later config
 *                     with more steps resumes from the checkpoint and rewrites it
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TwError } from '../../core/errors.js';
import { runMeta } from '../../core/meta.js';
import { Rng } from '../../core/rng.js';
import type { Backend } from '../../core/terminal.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import { readJsonFile } from '../../core/jsonfile.js';
import { loadModel, saveModel } from '../../model/checkpoint.js';
import type { ModelConfig } from '../../model/config.js';
import type { Window } from '../../model/framing.js';
import type { Params } from '../../model/params.js';
import { Sampler } from '../../model/sampler.js';
import { AdamW } from '../../train/adamw.js';
import { makeBatch } from '../../train/data.js';
import { readOptimizer, writeOptimizer } from '../../train/optstate.js';
import { TrainStep } from '../../train/step.js';
import type { Task } from '../../corpus/tasks/format.js';
import { generateTask } from '../../corpus/tasks/run.js';
import { mapPool } from '../tier1/runner.js';
import { type EpisodeResult, runEpisode } from './episode.js';
import { ROLE_ACTION, ROLE_OBS, type Trajectory, policyWindows } from './framing.js';
import { heldOutCrossEntropy, packRows, policyAgent } from './policy.js';
import { oob } from '../../core/errors.js';

export const rlConfigSchema = z
  .object({
    /** the SFT arm whose policy (same seed) every RL run starts from */
    from: z.string().default('A'),
    /** one run per λ (λ = 0 is plain GRPO) */
    lambdas: z.array(z.number().nonnegative()).min(1).default([0, 0.05, 0.1, 0.5]),
    /** and a run on the observation loss alone (λ = 1, no reward) */
    verifierFree: z.boolean().default(true),
    steps: z.number().int().positive(),
    /** tasks per step, and rollouts per task (the GRPO group) */
    prompts: z.number().int().positive(),
    group: z.number().int().min(2),
    temperature: z.number().positive().default(1),
    /** Adam's learning rate; several make a sweep (runs at the first keep their plain names, the
     *  others get an -lr<x> suffix, e.g. RL-l0-lr3e-05) */
    lr: z.union([z.number().positive(), z.array(z.number().positive()).min(1)]),
    /** rows of context tokens per micro-batch (gradients are summed over a step's micro-batches) */
    batch: z.number().int().positive().default(8),
    /** the task stream of the rollouts (instances generateTask(seed, i); none may be an eval instance) */
    seed: z.number().int().default(3),
    /** greedy success on the first curveInstances eval instances every evalEvery steps (the curve) */
    evalEvery: z.number().int().positive(),
    curveInstances: z.number().int().positive(),
    checkpointEvery: z.number().int().positive().default(5),
  })
  .strict();
export type RlConfig = z.infer<typeof rlConfigSchema>;

export interface RlRun {
  /** the arm's name in the results: RL-l<λ> or RL-wm (+ -lr<x> past the first learning rate) */
  arm: string;
  lambda: number;
  lr: number;
  /** uses the verifier's reward (false: the verifier-free run) */
  reward: boolean;
}

export function rlRuns(rl: RlConfig): RlRun[] {
  const lrs = typeof rl.lr === 'number' ? [rl.lr] : rl.lr;
  return lrs.flatMap((lr, i) => {
    const sfx =
      i === 0
        ? ''
        : `-lr${lr
            .toExponential()
            .replace('e-', 'e-0')
            .replace(/e-0(\d\d)/, 'e-$1')}`;
    const runs = rl.lambdas.map((l) => ({ arm: `RL-l${l}${sfx}`, lambda: l, lr, reward: true }));
    return rl.verifierFree ? [...runs, { arm: `RL-wm${sfx}`, lambda: 1, lr, reward: false }] : runs;
  });
}

/** GRPO's group-normalised advantages. */
export function grpoAdvantages(rewards: readonly number[]): number[] {
  const n = rewards.length;
  const mean = rewards.reduce((s, r) => s + r, 0) / n;
  const std = Math.sqrt(rewards.reduce((s, r) => s + (r - mean) ** 2, 0) / n);
  return rewards.map((r) => (r - mean) / (std + 1e-4));
}

export interface Rollout {
  step: number;
  /** index of its task in the step (rollouts of one task form a group) */
  group: number;
  reward: number;
  trajectory: Trajectory;
}

export interface WeightedWindow extends Window {
  weights: Float32Array;
}

/**
 * The loss of one step as weighted windows (see the file's header): each rollout's windows with
 * A_i / (N |actions_i|) on action tokens and λ / (N |obs_i|) on observation tokens.
 */
export function rlWindows(rollouts: readonly Rollout[], T: number, lambda: number, reward: boolean): WeightedWindow[] {
  const N = rollouts.length;
  const adv = new Map<number, number>();
  if (reward) {
    const groups = [...new Set(rollouts.map((r) => r.group))];
    for (const g of groups) {
      const idx = rollouts.flatMap((r, i) => (r.group === g ? [i] : []));
      const a = grpoAdvantages(idx.map((i) => (rollouts[i] as Rollout).reward));
      idx.forEach((i, k) => adv.set(i, a[k] ?? oob()));
    }
  }
  const out: WeightedWindow[] = [];
  rollouts.forEach((r, i) => {
    const ws = policyWindows(r.trajectory, T);
    const count = (role: number): number => ws.reduce((s, w) => s + w.roles.filter((x) => x === role).length, 0);
    const nAct = count(ROLE_ACTION);
    const nObs = count(ROLE_OBS);
    const wa = nAct > 0 ? (adv.get(i) ?? 0) / (N * nAct) : 0;
    const wo = nObs > 0 ? lambda / (N * nObs) : 0;
    for (const w of ws)
      out.push({ tokens: w.tokens, roles: w.roles, weights: Float32Array.from(w.roles, (x) => (x === ROLE_ACTION ? wa : x === ROLE_OBS ? wo : 0)) });
  });
  return out;
}

/** The rollouts' tasks at a step: fresh instances of the training families, never an eval instance. */
export function rlTasks(rl: RlConfig, step: number, families: Parameters<typeof generateTask>[2], evalSeeds: ReadonlySet<number>): Task[] {
  const tasks: Task[] = [];
  for (let i = (step - 1) * rl.prompts * 4; tasks.length < rl.prompts; i++) {
    const t = generateTask(rl.seed, i, families);
    if (!evalSeeds.has(t.seed)) tasks.push(t);
  }
  return tasks;
}

const STATE_FORMAT = 'terminalworld.tier3-rl-state';
const STATE_VERSION = 1;
const stateSchema = z.looseObject({ format: z.string(), version: z.number(), step: z.number().int().nonnegative(), adamT: z.number().int().nonnegative() });
const curveLineSchema = z.looseObject({
  kind: z.enum(['step', 'eval']),
  step: z.number().int().nonnegative(),
  reward: z.number().optional(),
  seconds: z.number().optional(),
  lossTokens: z.number().optional(),
  passed: z.number().int().optional(),
  n: z.number().int().optional(),
});
export type CurveLine = z.infer<typeof curveLineSchema>;

/** The curve of an RL run folder (lines cut by a kill are skipped). */
export function readCurve(file: string): CurveLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return [curveLineSchema.parse(JSON.parse(l))];
      } catch {
        return [];
      }
    });
}

export interface RlOptions {
  dir: string;
  run: RlRun;
  rl: RlConfig;
  model: ModelConfig;
  /** the starting policy (the SFT arm's checkpoint) */
  from: string;
  seed: number;
  families: Parameters<typeof generateTask>[2];
  evalTasks: readonly Task[];
  heldOutReal: readonly Trajectory[];
  real: Backend;
  episode: { maxObsBytes: number; maxTurns: number; maxAction: number; concurrency: number };
  threads: number;
  adam: { weightDecay: number; beta1: number; beta2: number; eps: number; clip: number };
  log: (line: string) => void;
}

/** Keep the lines of a JSONL file whose step is at most `step` (a resume drops what the last checkpoint does not cover). */
function truncateJsonl(file: string, step: number): void {
  if (!existsSync(file)) return;
  const keep = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => {
      try {
        return z.looseObject({ step: z.number() }).parse(JSON.parse(l)).step <= step;
      } catch {
        return false; // an empty line, or one cut by the kill
      }
    });
  writeFileAtomic(file, keep.map((l) => l + '\n').join(''));
}

/** Run (or resume) one RL run to its last step; returns its final parameters. */
export async function runRl(o: RlOptions): Promise<Params> {
  const { dir, rl, run, model: m } = o;
  mkdirSync(dir, { recursive: true });
  const ckpt = join(dir, 'checkpoint');
  const curveFile = join(dir, 'curve.jsonl');
  const rolloutFile = join(dir, 'rollouts.jsonl');
  // what the run's rollouts and updates depend on: a resume with other settings would mix two runs
  const settings = {
    arm: run.arm,
    from: o.from,
    seed: o.seed,
    lambda: run.lambda,
    reward: run.reward,
    prompts: rl.prompts,
    group: rl.group,
    temperature: rl.temperature,
    lr: run.lr,
    batch: rl.batch,
    taskSeed: rl.seed,
  };
  const metaFile = join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    const prev = readJsonFile(metaFile, z.looseObject({ config: z.record(z.string(), z.unknown()) }), `delete ${dir} to restart this RL run`).config;
    const diff = Object.keys(settings).filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(settings[k as keyof typeof settings]));
    if (diff.length > 0)
      throw new TwError(
        `${dir} was run with other RL settings (${diff.map((k) => `${k}: ${JSON.stringify(prev[k])} then, ${JSON.stringify(settings[k as keyof typeof settings])} now`).join('; ')})`,
        `restore those settings in the config's rl section (only steps, evalEvery, curveInstances and checkpointEvery may change), or delete ${dir}`,
      );
  } else writeFileAtomic(metaFile, JSON.stringify(runMeta('tw tier3 run (rl)', 1, o.seed, settings), null, 1) + '\n');
  const params = loadModel(existsSync(join(ckpt, 'state.json')) ? ckpt : o.from).params;
  const opt = new AdamW(params, o.adam);
  let step = 0;
  if (existsSync(join(ckpt, 'state.json'))) {
    const st = readJsonFile(join(ckpt, 'state.json'), stateSchema, `delete ${dir} to restart this RL run`);
    readOptimizer(ckpt, opt, `delete ${dir} to restart this RL run`);
    opt.t = st.adamT;
    step = st.step;
  }
  truncateJsonl(curveFile, step);
  truncateJsonl(rolloutFile, step);
  const evalSeeds = new Set(o.evalTasks.map((t) => t.seed));
  const curveTasks = o.evalTasks.slice(0, rl.curveInstances);
  const epOpts = { maxObsBytes: o.episode.maxObsBytes, maxTurns: o.episode.maxTurns, verify: true };
  const trainStep = await TrainStep.create(m, rl.batch, o.threads, true);
  const curve = (x: Record<string, unknown>): void => appendFileSync(curveFile, JSON.stringify(x) + '\n');
  const greedyCurve = async (s: number): Promise<void> => {
    const sampler = await Sampler.fromParams(m, params, o.threads);
    try {
      const eps = await mapPool(curveTasks, o.episode.concurrency, (t) =>
        runEpisode(t, o.real, policyAgent(sampler, o.episode.maxObsBytes, o.episode.maxAction), epOpts),
      );
      const passed = eps.filter((e) => e.success === true).length;
      curve({ kind: 'eval', step: s, passed, n: eps.length });
      o.log(`  ${run.arm}-s${o.seed} step ${s}: greedy ${passed}/${eps.length} on the curve's eval instances`);
    } finally {
      await sampler.release();
    }
  };
  const save = (s: number): void => {
    const tmp = `${ckpt}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    saveModel(tmp, m, params, { step: s, tier3Rl: { arm: run.arm, lambda: run.lambda, reward: run.reward, seed: o.seed } });
    writeOptimizer(tmp, opt);
    writeFileAtomic(join(tmp, 'state.json'), JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, step: s, adamT: opt.t }) + '\n');
    rmSync(ckpt, { recursive: true, force: true });
    renameSync(tmp, ckpt);
  };
  try {
    if (step === 0) await greedyCurve(0);
    while (step < rl.steps) {
      step++;
      const ts = Date.now();
      // 1. rollouts: G sampled episodes of each of P fresh tasks, graded by the verifier
      const tasks = rlTasks(rl, step, o.families, evalSeeds);
      const jobs = tasks.flatMap((t, g) => Array.from({ length: rl.group }, (_, k) => ({ g, task: { ...t, id: `${t.id}#${k}` } })));
      const sampler = await Sampler.fromParams(m, params, o.threads);
      let eps: EpisodeResult[];
      try {
        const agent = policyAgent(sampler, o.episode.maxObsBytes, o.episode.maxAction, {
          temperature: rl.temperature,
          seed: new Rng(o.seed).fork(`${run.arm}:${step}`).u32(),
        });
        eps = await mapPool(jobs, o.episode.concurrency, (j) => runEpisode(j.task, o.real, agent, epOpts));
      } finally {
        await sampler.release();
      }
      const rollouts: Rollout[] = eps.map((e, i) => ({
        step,
        group: (jobs[i] as { g: number }).g,
        reward: e.success === true ? 1 : 0,
        trajectory: e.trajectory,
      }));
      appendFileSync(rolloutFile, rollouts.map((r) => JSON.stringify(r)).join('\n') + '\n');
      // 2. one optimizer step on the weighted loss, summed over micro-batches
      const ws = rlWindows(rollouts, m.context, run.lambda, run.reward);
      const at = { i: 0 };
      let loss = 0;
      const acc = new Map<string, Float32Array>();
      while (at.i < ws.length) {
        const batch = makeBatch(packRows(ws, rl.batch, m.context, at), rl.batch, m.context, (w) => w.weights);
        const r = await trainStep.run(params, batch, 1);
        loss += r.loss;
        for (const [k, g] of r.grads) {
          const a = acc.get(k);
          if (a) for (let i = 0; i < a.length; i++) a[i] = (a[i] ?? oob()) + (g[i] ?? oob());
          else acc.set(k, Float32Array.from(g));
        }
      }
      if (!Number.isFinite(loss)) throw new Error(`tier3 rl: loss is ${loss} at step ${step}`);
      // rollouts that wrote no command and never declared done have no tokens to learn from
      if (acc.size > 0) opt.step(params, acc, run.lr);
      const reward = rollouts.reduce((s, r) => s + r.reward, 0) / rollouts.length;
      const signal = tasks.filter((_, g) => new Set(rollouts.filter((r) => r.group === g).map((r) => r.reward)).size > 1).length / tasks.length;
      const nLoss = ws.reduce((n, w) => n + w.weights.filter((x) => x !== 0).length, 0);
      curve({ kind: 'step', step, reward, signal, loss, lossTokens: nLoss, seconds: (Date.now() - ts) / 1000 });
      if (step % 5 === 0 || step === rl.steps)
        o.log(`  ${run.arm}-s${o.seed} step ${step}/${rl.steps}: rollout reward ${reward.toFixed(2)}, groups with signal ${signal.toFixed(2)}`);
      if (step % rl.evalEvery === 0 || step === rl.steps) await greedyCurve(step);
      if (step % rl.checkpointEvery === 0 || step === rl.steps) save(step);
    }
  } finally {
    await trainStep.release();
  }
  const trainFile = join(dir, 'train.json');
  const done = existsSync(trainFile) ? readJsonFile(trainFile, z.looseObject({ steps: z.number() }), `delete ${trainFile}`).steps : -1;
  if (done !== rl.steps) {
    const ce = await heldOutCrossEntropy(params, m, o.heldOutReal, o.threads);
    const lines = readCurve(curveFile).filter((l) => l.kind === 'step');
    const sum = (f: (l: CurveLine) => number): number => lines.reduce((n, l) => n + f(l), 0);
    writeFileAtomic(
      trainFile,
      JSON.stringify(
        {
          arm: run.arm,
          seed: o.seed,
          lambda: run.lambda,
          reward: run.reward,
          from: o.from,
          steps: rl.steps,
          heldOutCE: ce,
          seconds: sum((l) => l.seconds ?? 0),
          lossTokens: sum((l) => l.lossTokens ?? 0),
          slots: 0,
          epochs: 0,
          trajectories: lines.length * rl.prompts * rl.group,
        },
        null,
        1,
      ) + '\n',
    );
  }
  return params;
}
