/**
 * The `learned` backend: a byte-level GPT (src/model) behind the Terminal interface.
 *
 *   tw shell --backend learned                      (model: models/terminal-state/)
 *   tw exec --backend learned 'ls' 'pwd'
 *   SessionSpec.options: {model: DIR, temperature: 0 (greedy) | t, topP, seed, reserve, maxTokens, maxBatch, cwd, kvCache: true | false}
 *
 * Sessions of the same model folder share one loaded model and one BatchScheduler, so that
 * concurrent sessions decode in one batch.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TwError } from '../../core/errors.js';
import type { Backend, SessionSpec, Terminal } from '../../core/terminal.js';
import { loadEngine } from './engine.js';
import { BatchScheduler } from './scheduler.js';
import { LearnedTerminal, settingsFrom } from './terminal.js';

/** The shipped model, inside the repository (so `npx tw shell --backend learned` works from any cwd). */
export const DEFAULT_MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'terminal-state');
export const DEFAULT_MAX_BATCH = 32;

interface Loaded {
  sched: BatchScheduler;
  dir: string;
  step: number;
}

const loaded = new Map<string, Promise<Loaded>>();

export function modelDirFrom(spec: SessionSpec): string {
  const o = spec.options ?? {};
  const m = o.model ?? process.env.TW_MODEL ?? DEFAULT_MODEL_DIR;
  if (typeof m !== 'string' || m === '') throw new TwError('learned backend: option model must be a folder path', 'set TW_MODEL=DIR or options.model');
  return resolve(m);
}

async function load(dir: string, maxBatch: number): Promise<Loaded> {
  const key = `${dir}#${maxBatch}`;
  let p = loaded.get(key);
  if (!p) {
    if (!existsSync(dir)) {
      throw new TwError(
        `no learned model at ${dir}`,
        'restore it (git checkout -- models/terminal-state), rebuild it with scripts/train-state.sh, or point at another checkpoint or run folder: TW_MODEL=DIR (tw eval: --model DIR)',
      );
    }
    p = loadEngine(dir).then(({ engine, dir: resolved, step }) => ({ sched: new BatchScheduler(engine, maxBatch), dir: resolved, step }));
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

/** Drop loaded models (tests; frees the onnxruntime sessions). */
export async function unloadAll(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  for (const p of all) {
    const l = await p.catch(() => null);
    await l?.sched.engine.close?.();
  }
}

/** The scheduler of a loaded model (for batching stats in tests and benchmarks). */
export async function schedulerFor(spec: SessionSpec): Promise<BatchScheduler> {
  return (await load(modelDirFrom(spec), maxBatchFrom(spec))).sched;
}

function maxBatchFrom(spec: SessionSpec): number {
  const v = spec.options?.maxBatch;
  if (v === undefined) return DEFAULT_MAX_BATCH;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new TwError(`learned backend: maxBatch must be a positive integer, got ${JSON.stringify(v)}`, 'e.g. maxBatch: 32');
  return v;
}

export const learnedBackend: Backend = {
  name: 'learned',
  description: 'byte-level transformer trained on real sessions',
  async start(spec: SessionSpec): Promise<Terminal> {
    const l = await load(modelDirFrom(spec), maxBatchFrom(spec));
    const context = l.sched.engine.context;
    const settings = settingsFrom(spec, context);
    const t = new LearnedTerminal(l.sched, context, settings, {
      backend: 'learned',
      mode: spec.mode ?? 'pty',
      model: { dir: l.dir, step: l.step, context },
      decoding: settings.temperature > 0 ? { temperature: settings.temperature, topP: settings.topP, seed: settings.seed } : 'greedy',
    });
    await t.runSetup(spec.setup ?? []);
    return t;
  },
};
