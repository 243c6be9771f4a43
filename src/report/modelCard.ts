/**
 * Ship a trained run as a self-contained model folder (what models/terminal-small/ is):
 *   config.json + model.safetensors   the checkpoint (loads without the training code)
 *   card.json                         config, seed, commit, corpus hash and manifest, steps, final losses, time
 *   metrics.jsonl                     the whole training curve
 *   training-curve.svg                train loss (smoothed) and held-out loss over steps (vega-lite)
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TwError } from '../core/errors.js';
import { resolveModelDir } from '../model/checkpoint.js';
import { lineChartSvg, smooth } from './lineChart.js';

export const CARD_FORMAT = 'terminalworld.model-card';
export const CARD_VERSION = 1;

interface MetricLine {
  kind: string;
  step: number;
  loss?: number;
  validLoss?: number;
  tokPerSec?: number;
  tokens?: number;
}

export function readMetrics(runDir: string): MetricLine[] {
  const f = join(runDir, 'metrics.jsonl');
  if (!existsSync(f)) throw new TwError(`no metrics.jsonl in ${runDir}`, 'pass the run folder given to `tw train --out`');
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MetricLine);
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
function initCard(init: { path?: string; step?: unknown }): Record<string, unknown> | null {
  const f = init.path ? join(init.path, 'card.json') : '';
  if (f && existsSync(f)) {
    const c = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    const data = c.data as { hash?: string; sessions?: unknown; tokens?: unknown } | undefined;
    return { step: c.step, commit: c.commit, seed: c.seed, config: c.config, data: data ? { hash: data.hash, sessions: data.sessions, tokens: data.tokens } : null, corpus: c.corpus, finalValidLoss: c.finalValidLoss, init: c.init ?? null };
  }
  const m = init.path ? join(init.path, 'meta.json') : '';
  if (!m || !existsSync(m)) return null;
  const meta = JSON.parse(readFileSync(m, 'utf8')) as Record<string, unknown>;
  const data = meta.data as { hash?: string; sessions?: unknown; tokens?: unknown } | undefined;
  const up = meta.init as { path?: string; step?: unknown } | undefined;
  return { run: init.path, step: init.step ?? null, commit: meta.commit, seed: meta.seed, config: meta.config, data: data ? { hash: data.hash, sessions: data.sessions, tokens: data.tokens } : null, init: up ? { ...up, card: initCard(up) } : null };
}

export async function shipModel(runDir: string, outDir: string): Promise<Record<string, unknown>> {
  const ckpt = resolveModelDir(runDir);
  const meta = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as Record<string, unknown>;
  const metrics = readMetrics(runDir);
  mkdirSync(outDir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(ckpt, f), join(outDir, f));
  copyFileSync(join(runDir, 'metrics.jsonl'), join(outDir, 'metrics.jsonl'));
  const cfg = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8')) as { step?: number };
  const data = meta.data as { path?: string } | undefined;
  const manifestFile = data?.path ? join(data.path, 'manifest.json') : '';
  const manifest = manifestFile && existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>) : null;
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
  writeFileSync(join(outDir, 'training-curve.svg'), await trainingCurveSvg(metrics, `training curve: ${String((meta.config as { name?: string }).name ?? dirname(runDir))}`));
  return card;
}
