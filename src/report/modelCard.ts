/**
 * Ship a trained run as a self-contained model folder (what models/terminal-small/ is):
 *   config.json + model.safetensors   the checkpoint (loads without the training code)
 *   card.json                         config, seed, commit, corpus hash and manifest, steps, final losses, time
 *   metrics.jsonl                     the whole training curve
 *   training-curve.svg                train loss (smoothed) and held-out loss over steps (vega-lite)
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { TwError } from '../core/errors.js';
import { readJsonFile, readJsonlEntries } from '../core/jsonfile.js';
import { TOKENIZER_FILE } from '../model/bpe.js';
import { readCheckpointInfo, resolveModelDir } from '../model/checkpoint.js';
import { lineChartSvg, smooth } from './lineChart.js';

export const CARD_FORMAT = 'terminalworld.model-card';
export const CARD_VERSION = 1;

const metricLineSchema = z.looseObject({
  kind: z.string(),
  step: z.number(),
  loss: z.number().optional(),
  validLoss: z.number().optional(),
  tokPerSec: z.number().optional(),
  tokens: z.number().optional(),
});
type MetricLine = z.output<typeof metricLineSchema>;

// What a card reads of a run's meta.json and of a warm start's card.json (validated: a file from a
// killed or older run names itself instead of shipping undefined fields).
const dataSchema = z.looseObject({ path: z.string().optional(), hash: z.string().optional(), sessions: z.unknown(), tokens: z.unknown() });
const initSchema = z.looseObject({ path: z.string().optional(), step: z.unknown() });
const runMetaSourceSchema = z.looseObject({
  commit: z.unknown(),
  seed: z.unknown(),
  config: z.unknown(),
  data: dataSchema.optional(),
  init: initSchema.optional(),
});
const cardSourceSchema = z.looseObject({
  step: z.unknown(),
  commit: z.unknown(),
  seed: z.unknown(),
  config: z.unknown(),
  data: dataSchema.optional(),
  corpus: z.unknown(),
  finalValidLoss: z.unknown(),
  init: z.unknown(),
});
const dataSummary = (d: z.output<typeof dataSchema> | undefined): Record<string, unknown> | null =>
  d ? { hash: d.hash, sessions: d.sessions, tokens: d.tokens } : null;

export function readMetrics(runDir: string): MetricLine[] {
  const f = join(runDir, 'metrics.jsonl');
  if (!existsSync(f)) throw new TwError(`no metrics.jsonl in ${runDir}`, 'pass the run folder given to `tw train --out`');
  return readJsonlEntries(f, metricLineSchema, 'resume the run (`tw train --resume`) to rewrite its metrics, or delete the damaged line', {
    dropCutLastLine: true,
  }).map((e) => e.value);
}

/** At most n points, evenly spaced, keeping the last. */
function thin<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  const step = xs.length / n;
  const out: T[] = [];
  for (let i = 0; i < n - 1; i++) out.push(xs[Math.floor(i * step)] as T);
  out.push(xs[xs.length - 1] as T);
  return out;
}

export async function trainingCurveSvg(metrics: readonly MetricLine[], title: string): Promise<string> {
  const train = metrics.filter((m) => m.kind === 'train' && typeof m.loss === 'number').map((m) => [m.step, m.loss as number] as const);
  const valid = metrics.filter((m) => m.kind === 'eval' && typeof m.validLoss === 'number').map((m) => [m.step, m.validLoss as number] as const);
  return lineChartSvg(
    [
      { name: 'train (avg of 50)', points: thin(smooth(train, 50), 300) },
      { name: 'held-out', points: valid },
    ],
    title,
    'optimizer step',
    'loss (nats per predicted token)',
  );
}

/**
 * The lineage of a warm start: the source's card, trimmed to what identifies it. A source that is
 * a `tw train` run folder (no card.json) is described by its meta.json, and its own warm start
 * followed the same way, so a chain of stages keeps every stage.
 */
function initCard(init: { path?: string | undefined; step?: unknown }): Record<string, unknown> | null {
  const f = init.path ? join(init.path, 'card.json') : '';
  if (f && existsSync(f)) {
    const c = readJsonFile(f, cardSourceSchema, 'restore card.json from the shipped model folder, or re-ship it with `tw model ship`');
    return {
      step: c.step,
      commit: c.commit,
      seed: c.seed,
      config: c.config,
      data: dataSummary(c.data),
      corpus: c.corpus,
      finalValidLoss: c.finalValidLoss,
      init: c.init ?? null,
    };
  }
  const m = init.path ? join(init.path, 'meta.json') : '';
  if (!m || !existsSync(m)) return null;
  const meta = readJsonFile(m, runMetaSourceSchema, 'restore meta.json from a copy of the run folder');
  const up = meta.init;
  return {
    run: init.path,
    step: init.step ?? null,
    commit: meta.commit,
    seed: meta.seed,
    config: meta.config,
    data: dataSummary(meta.data),
    init: up ? { ...up, card: initCard(up) } : null,
  };
}

export async function shipModel(runDir: string, outDir: string): Promise<Record<string, unknown>> {
  const ckpt = resolveModelDir(runDir);
  const meta = readJsonFile(join(runDir, 'meta.json'), runMetaSourceSchema, 'restore meta.json from a copy of the run folder');
  const metrics = readMetrics(runDir);
  mkdirSync(outDir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(ckpt, f), join(outDir, f));
  // a BPE checkpoint's tokenizer travels with it; a byte model shipped over a BPE folder leaves none behind
  if (existsSync(join(ckpt, TOKENIZER_FILE))) copyFileSync(join(ckpt, TOKENIZER_FILE), join(outDir, TOKENIZER_FILE));
  else rmSync(join(outDir, TOKENIZER_FILE), { force: true });
  copyFileSync(join(runDir, 'metrics.jsonl'), join(outDir, 'metrics.jsonl'));
  const cfg = readCheckpointInfo(ckpt);
  const dataPath = meta.data?.path;
  const manifestFile = dataPath ? join(dataPath, 'manifest.json') : '';
  const manifest =
    manifestFile && existsSync(manifestFile)
      ? readJsonFile(manifestFile, z.record(z.string(), z.unknown()), `regenerate the corpus (its manifest.json is damaged): see ${dataPath}`)
      : null;
  const trainLines = metrics.filter((m) => m.kind === 'train');
  const evals = metrics.filter((m) => m.kind === 'eval');
  const last = (xs: MetricLine[]): MetricLine | undefined => xs[xs.length - 1];
  const card = {
    format: CARD_FORMAT,
    version: CARD_VERSION,
    step: cfg.step ?? null,
    commit: meta.commit,
    seed: meta.seed,
    config: meta.config,
    data: meta.data,
    corpus: manifest ? { run: manifest.run, counts: manifest.counts } : null,
    finalTrainLoss: last(trainLines)?.loss ?? null,
    finalValidLoss: last(evals)?.validLoss ?? null,
    trainedAt: meta.createdAt,
    source: { run: runDir, checkpoint: ckpt },
    // a warm-started run (tw train --init): where its weights started, and that model's own card if it has one
    init: meta.init ? { ...(meta.init as Record<string, unknown>), card: initCard(meta.init as { path?: string }) } : null,
  };
  writeFileSync(join(outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  writeFileSync(
    join(outDir, 'training-curve.svg'),
    await trainingCurveSvg(metrics, `training curve: ${String((meta.config as { name?: string }).name ?? dirname(runDir))}`),
  );
  return card;
}
