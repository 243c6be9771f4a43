/**
 * Model parameters: named Float32Arrays in the order of config.paramShapes, with a seeded init.
 * Init (GPT-2 style): weights N(0, 0.02), residual output projections N(0, 0.02/sqrt(2L)),
 * biases 0, LayerNorm gains 1.
 */
import { Rng } from '../core/rng.js';
import { type ModelConfig, paramShapes } from './config.js';

export type Params = Map<string, Float32Array>;

export function initParams(m: ModelConfig, seed: number): Params {
  const rng = new Rng(seed).fork('init');
  const out: Params = new Map();
  const residStd = 0.02 / Math.sqrt(2 * m.layers);
  for (const [name, shape] of paramShapes(m)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (name.endsWith('.g')) a.fill(1);
    else if (name.endsWith('.b')) a.fill(0);
    else {
      const std = name.endsWith('proj.w') || name.endsWith('out.w') ? residStd : 0.02;
      for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
    }
    out.set(name, a);
  }
  return out;
}
