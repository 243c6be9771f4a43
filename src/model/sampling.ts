/**
 * The sampler's maths on one row of logits: `row` holds Vp floats from `off`, and only the real
 * vocabulary (ids 0 .. n-1: n = VOCAB with bytes, the whole vocabulary with BPE, config.realVocab)
 * takes part: pad ids are never picked and carry no probability.
 *
 *   logSoftmax     log-probabilities (temperature 1) over the real vocabulary
 *   argmaxLogprob  greedy decoding's fast path: the argmax and its log-probability, one pass, no allocation
 *   argmax         the most probable id of a row of log-probabilities (the first of ties)
 *   pick           a token from log-probabilities: greedy at temperature 0, else temperature and
 *                  nucleus (top-p) sampling, drawn from the caller's Rng
 * Log-probabilities reported for a token are the model's own (temperature 1), whatever the
 * sampling temperature: the temperature only changes which token is drawn.
 */
import type { Rng } from '../core/rng.js';
import { VOCAB } from './framing.js';
import { oob } from '../core/errors.js';

/** log-softmax over the real vocabulary (pad ids excluded). */
export function logSoftmax(row: Float32Array, off: number, n = VOCAB): Float64Array {
  let mx = -Infinity;
  for (let v = 0; v < n; v++) mx = Math.max(mx, row[off + v] ?? oob());
  let z = 0;
  for (let v = 0; v < n; v++) z += Math.exp((row[off + v] ?? oob()) - mx);
  const lz = Math.log(z) + mx;
  const out = new Float64Array(n);
  for (let v = 0; v < n; v++) out[v] = (row[off + v] ?? oob()) - lz;
  return out;
}

/** Greedy decoding's fast path: the argmax token and its log-probability, in one pass and no allocation. */
export function argmaxLogprob(row: Float32Array, off: number, n = VOCAB): [number, number] {
  let best = 0;
  let mx = row[off] ?? oob();
  for (let v = 1; v < n; v++) {
    const x = row[off + v] ?? oob();
    if (x > mx) {
      mx = x;
      best = v;
    }
  }
  let z = 0;
  for (let v = 0; v < n; v++) z += Math.exp((row[off + v] ?? oob()) - mx);
  return [best, -Math.log(z)];
}

/** The id of the largest log-probability (the first of ties). */
export function argmax(lp: Float64Array): number {
  let best = 0;
  for (let v = 1; v < lp.length; v++) if ((lp[v] ?? oob()) > (lp[best] ?? oob())) best = v;
  return best;
}

/**
 * A token from log-probabilities `lp`: the argmax at temperature <= 0; otherwise drawn from
 * softmax(lp / temperature) restricted to the nucleus, the most probable ids whose probabilities
 * (at that temperature) first reach `topP` together.
 */
export function pick(lp: Float64Array, temperature: number, topP: number, rng: Rng): number {
  const best = argmax(lp);
  if (temperature <= 0) return best;
  const p = Array.from(lp, (l, v) => [v, Math.exp((l - (lp[best] ?? oob())) / temperature)] as [number, number]);
  p.sort((a, b) => b[1] - a[1]);
  const total = p.reduce((s, x) => s + x[1], 0);
  const kept: [number, number][] = [];
  let mass = 0;
  for (const x of p) {
    kept.push(x);
    mass += x[1] / total;
    if (mass >= topP) break;
  }
  return rng.weighted(kept);
}
