/**
 * The Tier-3 policy: a small byte-level GPT from our own engine (src/model), trained from a seeded
 * init on recorded trajectories (framing.ts) with a chosen loss mask, and run as an agent that
 * writes the next command given the instruction and the transcript so far.
 *
 * Training reuses the trainer's exported pieces (TrainStep, AdamW, lrAt, makeBatch) in a loop of
 * its own, so that the mask can select action or action + observation tokens (src/train is not
 * changed): a policy window's roles are mapped to the trainer's 0/1 "world" mask roles.
 */
import type { ModelConfig, TrainConfig } from '../../model/config.js';
import { ROLE_CMD, ROLE_OUTPUT, type Window } from '../../model/framing.js';
import { type Params, initParams } from '../../model/params.js';
import type { Sampler } from '../../model/sampler.js';
import { Rng } from '../../core/rng.js';
import { SamplerEngine } from '../../backends/learned/engine.js';
import { BatchScheduler } from '../../backends/learned/scheduler.js';
import { AdamW, lrAt } from '../../train/adamw.js';
import { makeBatch } from '../../train/data.js';
import { TrainStep, maskSum } from '../../train/step.js';
import { TurnLimitError } from '../../corpus/tasks/types.js';
import type { Agent } from './episode.js';
import {
  DONE,
  OUT,
  normObs,
  parseAction,
  policyMask,
  policyPrompt,
  policyWindows,
  type PolicyMask,
  type PolicyWindow,
  type Step,
  type Trajectory,
} from './framing.js';

export type PolicyTrain = Pick<TrainConfig, 'batch' | 'steps' | 'lr' | 'minLr' | 'warmup' | 'weightDecay' | 'beta1' | 'beta2' | 'eps' | 'clip' | 'threads'>;

/** A policy window as a trainer window: role ROLE_OUTPUT where the mask puts loss, else ROLE_CMD. */
export function toTrainerWindow(w: PolicyWindow, mask: PolicyMask): Window {
  const m = policyMask(mask, w.roles);
  return { tokens: w.tokens, roles: Array.from(m, (x) => (x > 0 ? ROLE_OUTPUT : ROLE_CMD)) };
}

/** Greedy packing of windows (in the given order) into B rows of T+1 tokens. */
export function packRows<W extends Window>(ws: readonly W[], B: number, T: number, at: { i: number }): W[][] {
  const rows: W[][] = [];
  for (let r = 0; r < B && at.i < ws.length; r++) {
    const row: W[] = [];
    let used = 0;
    while (at.i < ws.length) {
      const w = ws[at.i] as W;
      if (row.length > 0 && used + w.tokens.length > T + 1) break;
      row.push(w);
      used += w.tokens.length;
      at.i++;
    }
    rows.push(row);
  }
  return rows;
}

export interface TrainLog {
  step: number;
  loss: number;
  lr: number;
  tokens: number;
  lossTokens: number;
}

export interface TrainedPolicy {
  params: Params;
  log: TrainLog[];
  /** loss-bearing tokens seen, and token slots (B x T x steps) */
  lossTokens: number;
  slots: number;
  epochs: number;
  seconds: number;
}

/** Train a policy from a seeded init on `trajs` with `mask`: `t.steps` optimizer steps of B packed rows. */
export async function trainPolicy(
  trajs: readonly Trajectory[],
  m: ModelConfig,
  t: PolicyTrain,
  mask: PolicyMask,
  seed: number,
  onLog?: (l: TrainLog) => void,
): Promise<TrainedPolicy> {
  const t0 = Date.now();
  const T = m.context;
  const ws = trajs.flatMap((x) => policyWindows(x, T)).map((w) => toTrainerWindow(w, mask));
  if (ws.length === 0) throw new Error('internal: no training windows');
  const params = initParams(m, seed);
  const step = await TrainStep.create(m, t.batch, t.threads, true);
  const opt = new AdamW(params, t);
  const rng = new Rng(seed).fork('tier3-data');
  let order: Window[] = rng.fork('epoch:0').shuffle([...ws]);
  const at = { i: 0 };
  let epochs = 0;
  const log: TrainLog[] = [];
  let lossTokens = 0;
  try {
    for (let s = 1; s <= t.steps; s++) {
      if (at.i >= order.length) {
        epochs++;
        order = rng.fork(`epoch:${epochs}`).shuffle([...ws]);
        at.i = 0;
      }
      const batch = makeBatch(packRows(order, t.batch, T, at), t.batch, T, 'world');
      const denom = maskSum(batch);
      lossTokens += denom;
      const { loss, grads } = await step.run(params, batch, denom);
      if (!Number.isFinite(loss)) throw new Error(`tier3: loss is ${loss} at step ${s}`);
      const lr = lrAt(s, { lr: t.lr, minLr: t.minLr, warmup: t.warmup, steps: t.steps });
      opt.step(params, grads, lr);
      if (s % 25 === 0 || s === t.steps || s === 1) {
        const l: TrainLog = { step: s, loss, lr, tokens: s * t.batch * T, lossTokens };
        log.push(l);
        onLog?.(l);
      }
    }
  } finally {
    await step.release();
  }
  return { params, log, lossTokens, slots: t.steps * t.batch * T, epochs: epochs + at.i / order.length, seconds: (Date.now() - t0) / 1000 };
}

/**
 * Mean cross-entropy (nats per token) of `params` on the observation tokens (mask 'echo' minus
 * 'action') of held-out trajectories: ECHO's measure that the policy learned the terminal.
 * Also the action-token cross-entropy.
 */
export async function heldOutCrossEntropy(
  params: Params,
  m: ModelConfig,
  trajs: readonly Trajectory[],
  threads: number,
): Promise<{ obs: number; action: number; obsTokens: number; actionTokens: number }> {
  const T = m.context;
  const B = 8;
  const pws = trajs.flatMap((x) => policyWindows(x, T));
  const obsWs: Window[] = pws.map((w) => ({ tokens: w.tokens, roles: w.roles.map((r) => (r === 2 ? ROLE_OUTPUT : ROLE_CMD)) }));
  const actWs: Window[] = pws.map((w) => toTrainerWindow(w, 'action'));
  const step = await TrainStep.create(m, B, threads, false);
  const measure = async (ws: Window[]): Promise<{ ce: number; n: number }> => {
    const batches = [];
    const at = { i: 0 };
    while (at.i < ws.length) batches.push(makeBatch(packRows(ws, B, T, at), B, T, 'world'));
    const n = batches.reduce((s, b) => s + maskSum(b), 0);
    let ce = 0;
    for (const b of batches) ce += (await step.run(params, b, n)).loss;
    return { ce, n };
  };
  try {
    const o = await measure(obsWs);
    const a = await measure(actWs);
    return { obs: o.ce, action: a.ce, obsTokens: o.n, actionTokens: a.n };
  } finally {
    await step.release();
  }
}

/** Sampled actions (RL rollouts): temperature, and a seed forked by task id (so each rollout's
 *  draws depend on its task id alone, not on which episodes share a decode round). */
export interface PolicySampling {
  temperature: number;
  seed: number;
}

/**
 * The trained policy as an agent: greedy (or sampled, given `sample`), at most `maxAction` tokens per command. Episodes run at
 * once decode their commands together (in the rounds of a BatchScheduler).
 */
export function policyAgent(sampler: Sampler, maxObsBytes: number, maxAction = 96, sample?: PolicySampling): Agent {
  const T = sampler.config.context;
  const sched = new BatchScheduler(new SamplerEngine(sampler));
  return async (task, sh) => {
    const steps: Step[] = [];
    const rng = sample ? new Rng(sample.seed).fork(task.id) : null;
    try {
      for (;;) {
        const prompt = policyPrompt(task.instruction, steps, T, maxAction);
        const g = await sched.generate({ prompt, maxNew: maxAction, temperature: sample?.temperature ?? 0, topP: 1, rng, stop: [OUT, DONE] });
        const a = parseAction(g.tokens);
        if (a.done) return true;
        if (a.cmd.trim() === '') return false;
        const o = await sh.run(a.cmd);
        const last = sh.turns[sh.turns.length - 1];
        steps.push({ cmd: a.cmd, out: last ? normObs(last.output, maxObsBytes) : o.out, exit: o.exit });
      }
    } catch (e) {
      if (e instanceof TurnLimitError) return false;
      throw e;
    }
  };
}
