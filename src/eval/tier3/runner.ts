/**
 * `tw tier3 run`: the Tier-3 study at laptop scale, stage by stage, into a run folder. Every stage
 * writes its output atomically and is skipped when that output exists, so a run resumes after
 * kill -9 at the last finished stage (an interrupted arm is retrained from its seeded init).
 *
 *   runs/<id>/meta.json                    run metadata (commit, config, machine), written once
 *   runs/<id>/tasks.json                   train / eval / held-out-family task ids and seeds
 *   runs/<id>/trajectories/real.jsonl      noisy-expert rollouts on the real sandbox (train tasks)
 *   runs/<id>/trajectories/learned.jsonl   the same experts acting closed-loop against the learned terminal
 *   runs/<id>/eval/<agent>-<split>.json    every episode of an agent on an eval split (real sandbox)
 *   runs/<id>/arms/<arm>-s<seed>/          policy checkpoint (config.json + model.safetensors) + train.json
 *   runs/<id>/rl/<RL arm>-s<seed>/         an RL run (rl.ts): curve, rollouts, checkpoint, train.json
 *   runs/<id>/eval/<RL arm>-s<seed>-step<N>-<split>.json   its final policy on an eval split
 *   runs/<id>/results.json                 the table (format terminalworld.tier3-results)
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TwError } from '../../core/errors.js';
import { runMeta } from '../../core/meta.js';
import type { Backend } from '../../core/terminal.js';
import { getBackend } from '../../backends/registry.js';
import { loadModel, saveModel } from '../../model/checkpoint.js';
import { modelSchema, paramCount } from '../../model/config.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import { parseWith, readJsonFile, readJsonlFile } from '../../core/jsonfile.js';
import type { Params } from '../../model/params.js';
import { Sampler } from '../../model/sampler.js';
import type { Task } from '../../corpus/tasks/format.js';
import { familyByName, generateTasks } from '../../corpus/tasks/run.js';
import { mapPool } from '../tier1/runner.js';
import { type Agent, type EpisodeResult, episodeResultSchema, expertAgent, noisyExpertAgent, nullAgent, runEpisode } from './episode.js';
import type { PolicyMask, Trajectory } from './framing.js';
import { heldOutCrossEntropy, policyAgent, trainPolicy } from './policy.js';
import { armTrainSchema, buildResults, type ArmEval, type Results } from './results.js';
import { readCurve, rlConfigSchema, rlRuns, runRl } from './rl.js';

export const TIER3_CONFIG_FORMAT = 'terminalworld.tier3-config';
export const TIER3_CONFIG_VERSION = 1;

/** The arms: which trajectories, which mask. */
export const ARMS: Record<string, { data: 'real' | 'learned'; mask: PolicyMask; what: string }> = {
  A: { data: 'real', mask: 'action', what: 'masked SFT (loss on action tokens) on real-sandbox trajectories' },
  B: { data: 'real', mask: 'echo', what: 'ECHO SFT (loss on action + observation tokens) on the same real trajectories' },
  'C-action': { data: 'learned', mask: 'action', what: 'masked SFT on trajectories recorded closed-loop against the learned terminal' },
  'C-echo': { data: 'learned', mask: 'echo', what: 'ECHO SFT on the learned-terminal trajectories' },
};

export const tier3ConfigSchema = z
  .object({
    format: z.literal(TIER3_CONFIG_FORMAT),
    version: z.literal(TIER3_CONFIG_VERSION),
    name: z.string(),
    description: z.string().optional(),
    families: z.array(z.string()).min(1),
    heldOutFamilies: z.array(z.string()).default([]),
    trainSeed: z.number().int().default(1),
    evalSeed: z.number().int().default(2),
    /** training tasks (one noisy-expert trajectory each, on each substrate) */
    trajectories: z.number().int().positive(),
    /** eval instances of the training families, and of the held-out families */
    evalInstances: z.number().int().positive(),
    heldOutInstances: z.number().int().nonnegative().default(0),
    seeds: z.array(z.number().int()).min(1),
    arms: z.array(z.string()).default(['A', 'B', 'C-action', 'C-echo']),
    /** probability of a mistaken command before each expert command */
    noise: z.number().min(0).max(1).default(0.25),
    maxObsBytes: z.number().int().positive().default(160),
    maxTurns: z.number().int().positive().default(10),
    maxAction: z.number().int().positive().default(96),
    learnedModel: z.string().default('models/terminal-state'),
    concurrency: z.number().int().positive().default(4),
    /** episodes at once against the learned terminal (it batches them) */
    learnedConcurrency: z.number().int().positive().default(16),
    /** arm trainings at once (each with train.threads onnxruntime threads) */
    parallelTrain: z.number().int().positive().default(1),
    /** drop real trajectories whose verifier failed (the learned ones cannot be verified) */
    onlySuccessful: z.boolean().default(true),
    model: modelSchema,
    /** ECHO in RL (rl.ts): GRPO runs from an SFT arm's policy, one per λ, and the verifier-free run */
    rl: rlConfigSchema.optional(),
    train: z
      .object({
        batch: z.number().int().positive(),
        steps: z.number().int().positive(),
        lr: z.number().positive(),
        minLr: z.number().nonnegative(),
        warmup: z.number().int().nonnegative(),
        weightDecay: z.number().nonnegative().default(0.1),
        beta1: z.number().default(0.9),
        beta2: z.number().default(0.95),
        eps: z.number().default(1e-8),
        clip: z.number().positive().default(1),
        threads: z.number().int().positive().default(2),
      })
      .strict(),
  })
  .strict();
export type Tier3Config = z.infer<typeof tier3ConfigSchema>;

export function loadTier3Config(file: string): Tier3Config {
  if (!existsSync(file)) throw new TwError(`no Tier-3 config at ${file}`, 'pass e.g. --config configs/tier3-quick.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TwError(`${file} is not valid JSON (${(e as Error).message})`, 'fix the file');
  }
  const r = tier3ConfigSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new TwError(
      `invalid Tier-3 config ${file}: \`${i?.path.join('.') || '(root)'}\` ${i?.message ?? ''}`,
      `compare with configs/tier3-quick.json (format "${TIER3_CONFIG_FORMAT}", version ${TIER3_CONFIG_VERSION})`,
    );
  }
  const c = r.data;
  for (const f of [...c.families, ...c.heldOutFamilies]) familyByName(f);
  for (const a of c.arms) if (!ARMS[a]) throw new TwError(`unknown Tier-3 arm "${a}"`, `use some of: ${Object.keys(ARMS).join(', ')}`);
  if (c.rl && !c.arms.includes(c.rl.from))
    throw new TwError(
      `${file}: rl.from is "${c.rl.from}", which is not one of its arms (${c.arms.join(', ')})`,
      'set rl.from to an arm the config trains (RL starts from its policy)',
    );
  return c;
}

export interface RunOptions {
  out: string;
  config: Tier3Config;
  /** substrates (default: real for everything, learned for arm C's data) */
  real?: Backend;
  learned?: Backend;
  log?: (line: string) => void;
}

const writeJson = (f: string, x: unknown): void => writeFileAtomic(f, JSON.stringify(x, null, 1) + '\n');

/** What to do when a file of the run folder is damaged: the stage that wrote it runs again without it. */
const REDO = 'delete the file (its stage runs again on the next `tw tier3 run` with the same --out), or start a new --out';
const metaSchema = z.looseObject({ config: z.unknown() });
const timingsSchema = z.record(z.string(), z.number());

export interface Splits {
  train: Task[];
  eval: Task[];
  heldOut: Task[];
}

export function makeSplits(c: Tier3Config): Splits {
  const fams = c.families.map(familyByName);
  const train = generateTasks(c.trajectories, c.trainSeed, fams);
  const evalT = generateTasks(c.evalInstances, c.evalSeed, fams);
  const heldOut =
    c.heldOutFamilies.length > 0 && c.heldOutInstances > 0 ? generateTasks(c.heldOutInstances, c.evalSeed, c.heldOutFamilies.map(familyByName)) : [];
  const seen = new Set(train.map((t) => t.seed));
  const leak = evalT.filter((t) => seen.has(t.seed)).length;
  if (leak > 0) throw new TwError(`${leak} eval tasks share a seed with a training task`, 'pick evalSeed != trainSeed');
  return { train, eval: evalT, heldOut };
}

/** Every stage of the study; returns the results. */
export async function runTier3(o: RunOptions): Promise<Results> {
  const c = o.config;
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dir = o.out;
  mkdirSync(join(dir, 'trajectories'), { recursive: true });
  mkdirSync(join(dir, 'eval'), { recursive: true });
  mkdirSync(join(dir, 'arms'), { recursive: true });
  const metaFile = join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    const prev = readJsonFile(metaFile, metaSchema, 'use a new --out folder (meta.json holds the config the run began with)');
    // compared after the schema fills defaults added since (a field new to this build is not a change);
    // the description and the rl section may change later (RL runs live in rl/<arm>-s<seed>/ and record their settings)
    const parsed = tier3ConfigSchema.safeParse(prev.config);
    const sft = (x: unknown): string => JSON.stringify(x, (k, v: unknown) => (k === 'rl' || k === 'description' ? undefined : v));
    if (!parsed.success || sft(parsed.data) !== sft(c))
      throw new TwError(`${dir} was started with another config`, 'use a new --out folder, or the same config to resume (only its "rl" section may change)');
  } else writeJson(metaFile, runMeta('tw tier3 run', 1, c.seeds[0] ?? 0, c, { policyParams: paramCount(c.model) }));
  const timings = existsSync(join(dir, 'timings.json')) ? readJsonFile(join(dir, 'timings.json'), timingsSchema, REDO) : {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const r = await f();
    timings[name] = (Date.now() - t0) / 1000;
    writeJson(join(dir, 'timings.json'), timings);
    return r;
  };
  const real = o.real ?? (await getBackend('real'));
  const splits = makeSplits(c);
  writeJson(join(dir, 'tasks.json'), { train: splits.train.map((t) => t.id), eval: splits.eval.map((t) => t.id), heldOut: splits.heldOut.map((t) => t.id) });
  const epOpts = { maxObsBytes: c.maxObsBytes, maxTurns: c.maxTurns };

  const episodes = async (
    name: string,
    tasks: Task[],
    backend: Backend,
    agent: Agent,
    verify: boolean,
    backendOptions?: Record<string, unknown>,
    concurrency = c.concurrency,
  ): Promise<EpisodeResult[]> => {
    const f = join(dir, name);
    if (existsSync(f)) return readJsonlFile(f, episodeResultSchema, REDO);
    // finished episodes are appended to NAME.partial as they end, so a kill loses only those in flight
    const partial = `${f}.partial`;
    const done = new Map<string, EpisodeResult>();
    if (existsSync(partial)) {
      for (const [i, line] of readFileSync(partial, 'utf8').split('\n').entries()) {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          continue; // a line cut by the kill
        }
        const r = parseWith(episodeResultSchema, value, `${partial}:${i + 1}`, REDO);
        done.set(r.taskId, r);
      }
    }
    let n = done.size;
    const rs = await timed(name, () =>
      mapPool(tasks, concurrency, async (t) => {
        const had = done.get(t.id);
        if (had) return had;
        const r = await runEpisode(t, backend, agent, { ...epOpts, verify, ...(backendOptions ? { backendOptions } : {}) });
        appendFileSync(partial, JSON.stringify(r) + '\n');
        if (++n % 25 === 0) log(`  ${name}: ${n}/${tasks.length}`);
        return r;
      }),
    );
    writeFileAtomic(f, rs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    rmSync(partial, { force: true });
    return rs;
  };

  // 1. data: the noisy expert on the real sandbox, and closed-loop against the learned terminal
  log(`tier3: recording ${splits.train.length} noisy-expert trajectories on the real sandbox`);
  const realEp = await episodes('trajectories/real.jsonl', splits.train, real, noisyExpertAgent(c.noise, c.trainSeed), true);
  const realTrajs = realEp.filter((r) => !c.onlySuccessful || r.success === true).map((r) => r.trajectory);
  // equal data: the same number of trajectories for every arm (the first n, in task order); the
  // learned-terminal rollouts are never filtered, so n = the real rollouts kept
  const nData = Math.min(realTrajs.length, splits.train.length);
  // the learned-terminal rollouts are recorded when the first C arm needs them (A and B first)
  let learnedEp: EpisodeResult[] = [];
  let learnedP: Promise<Trajectory[]> | null = null;
  const learnedData = (): Promise<Trajectory[]> =>
    (learnedP ??= (async () => {
      log(`tier3: recording ${splits.train.length} noisy-expert trajectories against the learned terminal (${c.learnedModel})`);
      const learned = o.learned ?? (await getBackend('learned'));
      learnedEp = await episodes(
        'trajectories/learned.jsonl',
        splits.train,
        learned,
        noisyExpertAgent(c.noise, c.trainSeed),
        false,
        { model: c.learnedModel, maxBatch: 32 },
        c.learnedConcurrency,
      );
      return learnedEp.map((r) => r.trajectory).slice(0, nData);
    })());
  const dataFor = async (kind: 'real' | 'learned'): Promise<Trajectory[]> => (kind === 'real' ? realTrajs.slice(0, nData) : learnedData());

  // 2. bounds on the eval splits: the expert (oracle) and the null agent, on the real sandbox
  const splitsToEval: [string, Task[]][] = [['eval', splits.eval], ...(splits.heldOut.length > 0 ? [['heldout', splits.heldOut] as [string, Task[]]] : [])];
  const bounds: Record<string, Record<string, EpisodeResult[]>> = { expert: {}, null: {} };
  for (const [sp, tasks] of splitsToEval) {
    log(`tier3: bounds on ${sp} (${tasks.length} tasks): expert, null`);
    (bounds['expert'] as Record<string, EpisodeResult[]>)[sp] = await episodes(`eval/expert-${sp}.jsonl`, tasks, real, expertAgent, true);
    (bounds['null'] as Record<string, EpisodeResult[]>)[sp] = await episodes(`eval/null-${sp}.jsonl`, tasks, real, nullAgent, true);
  }
  const heldOutReal = ((bounds['expert'] as Record<string, EpisodeResult[]>)['eval'] ?? []).filter((r) => r.success === true).map((r) => r.trajectory);

  /** A policy acts greedily on every eval split in the real sandbox: eval/<file>-<split>.jsonl each. */
  const actOnSplits = async (key: string, params: Params, file: string): Promise<Record<string, EpisodeResult[]>> => {
    const sampler = await Sampler.fromParams(c.model, params, c.train.threads);
    const evals: Record<string, EpisodeResult[]> = {};
    try {
      for (const [sp, tasks] of splitsToEval) {
        log(`tier3: ${key} acts on ${sp} (${tasks.length} tasks, real sandbox)`);
        evals[sp] = await episodes(`eval/${file}-${sp}.jsonl`, tasks, real, policyAgent(sampler, c.maxObsBytes, c.maxAction), true);
      }
    } finally {
      await sampler.release();
    }
    return evals;
  };

  // 3. arms x seeds, every arm of a seed before the next seed: train (parallelTrain at once),
  // held-out cross-entropy, then act in the real sandbox
  const pairs = c.seeds.flatMap((seed) => c.arms.map((arm) => ({ arm, seed, key: `${arm}-s${seed}` })));
  const arms: ArmEval[] = [];
  await mapPool(pairs, c.parallelTrain, async ({ arm, seed, key }) => {
    const spec = ARMS[arm];
    if (!spec) return;
    const adir = join(dir, 'arms', key);
    const trainFile = join(adir, 'train.json');
    if (!existsSync(trainFile)) {
      const data = await dataFor(spec.data);
      log(`tier3: training ${key} (${spec.what}; ${data.length} trajectories, ${c.train.steps} steps)`);
      const tp = await timed(`train/${key}`, () =>
        trainPolicy(data, c.model, c.train, spec.mask, seed, (l) => {
          if (l.step % 100 === 0) log(`  ${key} step ${l.step} loss ${l.loss.toFixed(3)}`);
        }),
      );
      const ce = await heldOutCrossEntropy(tp.params, c.model, heldOutReal, c.train.threads);
      saveModel(adir, c.model, tp.params, { tier3: { arm, seed, mask: spec.mask, data: spec.data } });
      writeJson(trainFile, {
        arm,
        seed,
        mask: spec.mask,
        data: spec.data,
        trajectories: data.length,
        log: tp.log,
        lossTokens: tp.lossTokens,
        slots: tp.slots,
        epochs: tp.epochs,
        seconds: tp.seconds,
        heldOutCE: ce,
      });
    }
    const evals = await actOnSplits(key, loadModel(adir).params, key);
    arms.push({ arm, seed, train: readJsonFile(trainFile, armTrainSchema, REDO), episodes: evals });
  });
  arms.sort((x, y) => pairs.findIndex((p) => p.arm === x.arm && p.seed === x.seed) - pairs.findIndex((p) => p.arm === y.arm && p.seed === y.seed));

  // 4. ECHO in RL: from arm rl.from's policy of each seed, one GRPO run per λ (+ the verifier-free
  // run), each then acting greedily on the eval splits like the arms
  const rlArms: string[] = [];
  const curves: Record<string, { seed: number; step: number; passed: number; n: number }[]> = {};
  if (c.rl) {
    const rl = c.rl;
    for (const seed of c.seeds) {
      for (const run of rlRuns(rl)) {
        if (!rlArms.includes(run.arm)) rlArms.push(run.arm);
        const key = `${run.arm}-s${seed}`;
        const rdir = join(dir, 'rl', key);
        const from = join(dir, 'arms', `${rl.from}-s${seed}`);
        log(
          `tier3: RL ${key} (λ ${run.lambda}${run.reward ? '' : ', no reward'}) from ${rl.from}-s${seed}, ${rl.steps} steps of ${rl.prompts} x ${rl.group} rollouts`,
        );
        const params = await timed(`rl/${key}`, () =>
          runRl({
            dir: rdir,
            run,
            rl,
            model: c.model,
            from,
            seed,
            families: c.families.map(familyByName),
            evalTasks: splits.eval,
            heldOutReal,
            real,
            episode: { maxObsBytes: c.maxObsBytes, maxTurns: c.maxTurns, maxAction: c.maxAction, concurrency: c.concurrency },
            threads: c.train.threads,
            adam: c.train,
            log,
          }),
        );
        for (const l of readCurve(join(rdir, 'curve.jsonl')))
          if (l.kind === 'eval') (curves[run.arm] ??= []).push({ seed, step: l.step, passed: l.passed ?? 0, n: l.n ?? 0 });
        const evals = await actOnSplits(key, params, `${key}-step${rl.steps}`);
        arms.push({ arm: run.arm, seed, train: readJsonFile(join(rdir, 'train.json'), armTrainSchema, REDO), episodes: evals });
      }
    }
  }
  if (c.arms.some((a) => ARMS[a]?.data === 'learned')) await learnedData();
  const results = buildResults(c, bounds, arms, {
    rows: [...c.arms, ...rlArms],
    curves,
    trajectories: {
      real: realEp.length,
      realUsed: nData,
      realSuccessful: realTrajs.length,
      learned: learnedEp.length,
      learnedUsed: Math.min(nData, learnedEp.length),
    },
    timings,
  });
  writeJson(join(dir, 'results.json'), results);
  writeFileSync(join(dir, 'table.md'), results.markdown);
  return results;
}
