/**
 * `tw bench engine`: training and sampling throughput of the engine on the reference config
 * (d=256, 4 layers, 4 heads, T=256, B=8), peak RSS, and which longer contexts (512, 1024, 2048)
 * train within 1.5 GiB, each measured in a fresh child process at 2,048 tokens per step.
 *
 * Training figures are medians over a few steps after warm-up; sampling runs with 1 and with 2
 * onnxruntime threads, twice each, interleaved, and reports the best (with the thread count). The machine is shared and noisy: the
 * 1-minute load average is recorded beside the numbers; compare ratios from one run.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Rng } from '../core/rng.js';
import { type ModelConfig, loadConfig } from '../model/config.js';
import { CMD } from '../model/framing.js';
import { initParams } from '../model/params.js';
import { Sampler } from '../model/sampler.js';
import { AdamW } from '../train/adamw.js';
import type { BenchSuite } from './types.js';
import { type Batch, TrainStep } from '../train/step.js';
import { oob } from '../core/errors.js';

/** Two-core FMA peak measured on this machine class (shared/notes/measurements.md: 331-345 GFLOP/s). */
export const MEASURED_FMA_GFLOPS = 345;
const RSS_BUDGET_MIB = 1536;

export interface ContextFit {
  context: number;
  batch: number;
  tokensPerSec: number | null;
  peakRssMiB: number | null;
  fits: boolean;
  error?: string;
}

export interface EngineBench {
  config: string;
  trainTokensPerSec: number;
  trainGflopsPerSec: number;
  peakFractionOfMeasuredFma: number;
  sampleBytesPerSecBatch1: number;
  sampleBytesPerSecBatch32: number;
  peakRssMiB: number;
  contexts: ContextFit[];
  stepSeconds: number;
  flopsPerStep: number;
  loadAverage1m: number;
  /** onnxruntime threads for training */
  threads: number;
  /** the thread count that gave the reported sampling figure */
  sampleThreads: { batch1: number; batch32: number };
  sampleBytesPerSecByThreads: { batch1: number[]; batch32: number[] };
}

/** Matmul FLOPs of one training step (forward x 3 for forward + backward). */
export function trainFlopsPerStep(m: ModelConfig, B: number): number {
  const T = m.context;
  const C = m.d;
  const N = B * T;
  const perLayer = 2 * N * C * (3 * C + C + 4 * C + 4 * C) + 2 * 2 * B * T * T * C;
  const forward = m.layers * perLayer + 2 * 2 * N * C * m.vocab;
  return 3 * forward;
}

function randomBatch(rng: Rng, B: number, T: number): Batch {
  return {
    B,
    T,
    tokens: Int32Array.from({ length: B * (T + 1) }, () => rng.int(0, 259)),
    mask: Float32Array.from({ length: B * (T + 1) }, (_, i) => (i % (T + 1) === 0 ? 0 : 1)),
    seg: new Int32Array(B * (T + 1)),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? oob('median index');
const rssMiB = (): number => process.resourceUsage().maxRSS / 1024;

/** Seconds per full training step (graph + AdamW), median of `steps` after 2 warm-up steps. */
export async function timeTraining(m: ModelConfig, B: number, steps: number, threads = 2): Promise<number> {
  const params = initParams(m, 1);
  const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clip: 1 });
  const step = await TrainStep.create(m, B, threads);
  const rng = new Rng(3);
  const times: number[] = [];
  for (let i = 0; i < steps + 2; i++) {
    const b = randomBatch(rng, B, m.context);
    const t0 = performance.now();
    const r = await step.run(params, b, B * m.context);
    opt.step(params, r.grads, 1e-4);
    if (i >= 2) times.push((performance.now() - t0) / 1000);
  }
  await step.release();
  return median(times);
}

/** Generated tokens (= bytes) per second for `B` sequences of `n` new tokens each. */
export async function timeSampling(s: Sampler, B: number, n: number): Promise<number> {
  const prompts = Array.from({ length: B }, (_, i) => [CMD, 108, 115, 32, 45, 108 + (i % 4)]);
  await s.generate(prompts, { maxTokens: 8, stop: [] });
  const t0 = performance.now();
  const g = await s.generate(prompts, { maxTokens: n, stop: [] });
  const dt = (performance.now() - t0) / 1000;
  return g.reduce((a, x) => a + x.tokens.length, 0) / dt;
}

function contextChild(ctx: number): ContextFit {
  const batch = Math.max(1, Math.floor(2048 / ctx));
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child-context', String(ctx)], { encoding: 'utf8', timeout: 600_000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { tokensPerSec: number; peakRssMiB: number };
    return { context: ctx, batch, tokensPerSec: j.tokensPerSec, peakRssMiB: j.peakRssMiB, fits: j.peakRssMiB <= RSS_BUDGET_MIB };
  } catch {
    return { context: ctx, batch, tokensPerSec: null, peakRssMiB: null, fits: false, error: (r.stderr ?? '').slice(-300) || `exit ${r.status}` };
  }
}

export async function runEngineBench(o: { contexts?: number[]; log?: (s: string) => void } = {}): Promise<EngineBench> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const cfg = loadConfig('reference');
  const m = cfg.model;
  const B = cfg.train.batch;
  const load = os.loadavg()[0] ?? 0;
  log(`engine bench: reference config d=${m.d} L=${m.layers} H=${m.heads} T=${m.context} B=${B}; load average ${load.toFixed(1)}`);
  const sec = await timeTraining(m, B, 5);
  const flops = trainFlopsPerStep(m, B);
  log(`train: ${sec.toFixed(3)} s/step`);
  // sampling with 1 and with 2 onnxruntime threads, interleaved; the better of each is reported
  const params = initParams(m, 1);
  const samplers = [await Sampler.fromParams(m, params, 1), await Sampler.fromParams(m, params, 2)];
  const n = m.context - 8;
  const best = { b1: [0, 0], b32: [0, 0] };
  for (let rep = 0; rep < 2; rep++) {
    for (const [i, s] of samplers.entries()) {
      best.b1[i] = Math.max(best.b1[i] ?? oob(), await timeSampling(s, 1, n));
      best.b32[i] = Math.max(best.b32[i] ?? oob(), await timeSampling(s, 32, n));
    }
  }
  for (const s of samplers) await s.release();
  const s1 = Math.max(...best.b1);
  const s32 = Math.max(...best.b32);
  const sampleThreads = { batch1: (best.b1[0] ?? oob()) >= (best.b1[1] ?? oob()) ? 1 : 2, batch32: (best.b32[0] ?? oob()) >= (best.b32[1] ?? oob()) ? 1 : 2 };
  log(`sample: batch 1 ${best.b1.map((x) => x.toFixed(0)).join(' / ')} B/s, batch 32 ${best.b32.map((x) => x.toFixed(0)).join(' / ')} B/s (1 / 2 threads)`);
  const peak = rssMiB();
  const contexts = (o.contexts ?? [512, 1024, 2048]).map((c) => {
    const r = contextChild(c);
    log(`context ${c}: ${r.tokensPerSec === null ? 'failed' : `${r.tokensPerSec.toFixed(0)} tok/s, ${r.peakRssMiB?.toFixed(0)} MiB`}`);
    return r;
  });
  const gflops = flops / sec / 1e9;
  return {
    config: 'reference',
    trainTokensPerSec: Math.round((B * m.context) / sec),
    trainGflopsPerSec: Math.round(gflops * 10) / 10,
    peakFractionOfMeasuredFma: Math.round((gflops / MEASURED_FMA_GFLOPS) * 1000) / 1000,
    sampleBytesPerSecBatch1: Math.round(s1),
    sampleBytesPerSecBatch32: Math.round(s32),
    peakRssMiB: Math.round(peak),
    contexts,
    stepSeconds: Math.round(sec * 1000) / 1000,
    flopsPerStep: flops,
    loadAverage1m: Math.round(load * 10) / 10,
    threads: 2,
    sampleThreads,
    sampleBytesPerSecByThreads: { batch1: best.b1.map(Math.round), batch32: best.b32.map(Math.round) },
  };
}

export function formatEngineBench(r: EngineBench): string {
  const rows: [string, string][] = [
    ['train tokens/s (reference, B=8 T=256)', `${r.trainTokensPerSec.toLocaleString('en-US')}  (target >= 4,000; stretch 6,000)`],
    ['train GFLOP/s', `${r.trainGflopsPerSec}  (${(r.peakFractionOfMeasuredFma * 100).toFixed(1)}% of the measured ${MEASURED_FMA_GFLOPS} GFLOP/s FMA peak)`],
    ['s/step', String(r.stepSeconds)],
    [
      'sample bytes/s, batch 1',
      `${r.sampleBytesPerSecBatch1.toLocaleString('en-US')}  (${r.sampleThreads.batch1} thread(s); 1 / 2 threads: ${r.sampleBytesPerSecByThreads.batch1.join(' / ')})`,
    ],
    [
      'sample bytes/s, batch 32',
      `${r.sampleBytesPerSecBatch32.toLocaleString('en-US')}  (target >= 10,000; ${r.sampleThreads.batch32} thread(s); 1 / 2 threads: ${r.sampleBytesPerSecByThreads.batch32.join(' / ')})`,
    ],
    ['peak RSS (MiB)', `${r.peakRssMiB}  (budget ${RSS_BUDGET_MIB})`],
    ...r.contexts.map((c): [string, string] => [
      `context ${c.context} (B=${c.batch})`,
      c.tokensPerSec === null
        ? `failed: ${c.error ?? ''}`
        : `${c.tokensPerSec.toLocaleString('en-US')} tok/s, ${c.peakRssMiB} MiB ${c.fits ? 'fits' : 'does NOT fit'} in 1.5 GiB`,
    ]),
    ['load average (1 min)', String(r.loadAverage1m)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** The registry suite: metrics with targets for the shared table; every figure in `details`. */
export const engineBench: BenchSuite = {
  name: 'engine',
  description: 'learned-model engine: train tokens/s, GFLOP/s, sampling bytes/s at batch 1 and 32, peak RSS, longer contexts',
  async run(opts) {
    const r = await runEngineBench(opts.quick ? { contexts: [512] } : {});
    process.stderr.write(formatEngineBench(r) + '\n');
    const ctx = r.contexts.map((c) => ({ name: `train tokens/s, context ${c.context}`, value: c.tokensPerSec ?? 0, unit: 'tok/s' }));
    return {
      suite: 'engine',
      metrics: [
        { name: 'train tokens/s (reference)', value: r.trainTokensPerSec, unit: 'tok/s', target: { op: '>=', value: 4000 } },
        { name: 'train GFLOP/s', value: r.trainGflopsPerSec, unit: 'GFLOP/s' },
        { name: 'fraction of measured FMA peak', value: r.peakFractionOfMeasuredFma, unit: '' },
        { name: 'sample bytes/s, batch 1', value: r.sampleBytesPerSecBatch1, unit: 'B/s' },
        { name: 'sample bytes/s, batch 32', value: r.sampleBytesPerSecBatch32, unit: 'B/s', target: { op: '>=', value: 10000 } },
        { name: 'peak RSS', value: r.peakRssMiB, unit: 'MiB', target: { op: '<=', value: RSS_BUDGET_MIB } },
        ...ctx,
      ],
      details: { ...r },
    };
  },
};

async function main(argv: string[]): Promise<void> {
  const ci = argv.indexOf('--child-context');
  if (ci >= 0) {
    const ctx = Number(argv[ci + 1]);
    const m: ModelConfig = { ...loadConfig('reference').model, context: ctx };
    const B = Math.max(1, Math.floor(2048 / ctx));
    const sec = await timeTraining(m, B, 3);
    process.stdout.write(JSON.stringify({ tokensPerSec: Math.round((B * ctx) / sec), peakRssMiB: Math.round(rssMiB()) }) + '\n');
    return;
  }
  const r = await runEngineBench();
  process.stdout.write(formatEngineBench(r) + '\n');
  const ji = argv.indexOf('--json');
  if (ji >= 0 && argv[ji + 1]) writeFileSync(argv[ji + 1] as string, JSON.stringify(r, null, 2) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(String(e) + '\n');
    process.exit(1);
  });
}
