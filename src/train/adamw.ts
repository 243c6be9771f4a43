/**
 * AdamW (decoupled weight decay) over named Float32Arrays, with global-norm gradient clipping
 * and a linear-warmup + cosine learning-rate schedule. Decay applies to matrices and embeddings,
 * not to biases or LayerNorm gains. State (m, v, t) is saved with each checkpoint.
 */
import type { Params } from '../model/params.js';
import type { TrainConfig } from '../model/config.js';
import { oob } from '../core/errors.js';

export function lrAt(step: number, c: Pick<TrainConfig, 'lr' | 'minLr' | 'warmup' | 'steps'>): number {
  if (c.warmup > 0 && step <= c.warmup) return (c.lr * step) / c.warmup;
  const span = Math.max(1, c.steps - c.warmup);
  const p = Math.min(1, (step - c.warmup) / span);
  return c.minLr + 0.5 * (c.lr - c.minLr) * (1 + Math.cos(Math.PI * p));
}

export function globalNorm(grads: Map<string, Float32Array>): number {
  let s = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) s += (g[i] ?? oob()) * (g[i] ?? oob());
  return Math.sqrt(s);
}

export const decays = (name: string): boolean => !name.endsWith('.b') && !name.endsWith('.g');

export class AdamW {
  readonly m: Params = new Map();
  readonly v: Params = new Map();
  t = 0;

  constructor(
    params: Params,
    private readonly c: Pick<TrainConfig, 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'clip'>,
  ) {
    for (const [k, a] of params) {
      this.m.set(k, new Float32Array(a.length));
      this.v.set(k, new Float32Array(a.length));
    }
  }

  /** One update; returns the pre-clip gradient norm. */
  step(params: Params, grads: Map<string, Float32Array>, lr: number): number {
    const { beta1, beta2, eps, weightDecay, clip } = this.c;
    const norm = globalNorm(grads);
    const scale = norm > clip ? clip / norm : 1;
    this.t++;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    for (const [k, p] of params) {
      const g = grads.get(k);
      const m = this.m.get(k);
      const v = this.v.get(k);
      if (!g || !m || !v) throw new Error(`internal: no gradient/state for ${k}`);
      const wd = decays(k) ? lr * weightDecay : 0;
      for (let i = 0; i < p.length; i++) {
        const gi = (g[i] ?? oob()) * scale;
        const mi = beta1 * (m[i] ?? oob()) + (1 - beta1) * gi;
        const vi = beta2 * (v[i] ?? oob()) + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = (p[i] ?? oob()) * (1 - wd) - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
      }
    }
    return norm;
  }
}
