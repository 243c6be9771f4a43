/**
 * AdamW's moments (m, v) on disk, beside a checkpoint's model.safetensors: `optimizer.safetensors`
 * with tensors `m.<param>` and `v.<param>` (format terminalworld.train-state v1). Adam's step count
 * lives in the caller's state.json. Used by `tw train` (src/train/run.ts) and the Tier-3 RL loop.
 */
import { join } from 'node:path';
import { TwError } from '../core/errors.js';
import { readSafetensors, type TensorEntry, writeSafetensors } from '../model/safetensors.js';
import type { AdamW } from './adamw.js';

export const STATE_FORMAT = 'terminalworld.train-state';
export const STATE_VERSION = 1;

export function writeOptimizer(dir: string, opt: AdamW): void {
  const tensors = new Map<string, TensorEntry>();
  for (const [k, a] of opt.m) tensors.set(`m.${k}`, { shape: [a.length], data: a });
  for (const [k, a] of opt.v) tensors.set(`v.${k}`, { shape: [a.length], data: a });
  writeSafetensors(join(dir, 'optimizer.safetensors'), tensors, { format: STATE_FORMAT, version: String(STATE_VERSION) });
}

/** Load the moments of `dir`/optimizer.safetensors into `opt` (its shapes must match). */
export function readOptimizer(dir: string, opt: AdamW, fix = 'start a new run (no --resume)'): void {
  const { tensors } = readSafetensors(join(dir, 'optimizer.safetensors'));
  for (const [k, a] of opt.m) {
    const m = tensors.get(`m.${k}`);
    const v = tensors.get(`v.${k}`);
    const va = opt.v.get(k);
    if (!m || !v || !va || m.data.length !== a.length || v.data.length !== va.length)
      throw new TwError(`optimizer state in ${dir} does not match the model (${k})`, fix);
    a.set(m.data);
    va.set(v.data);
  }
}
