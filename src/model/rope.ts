import { oob } from '../core/errors.js';
/**
 * Rotary position embeddings (RoPE, Su et al. 2021) for config.model.positions = 'rotary'.
 *
 * Pairing: HALF-SPLIT (GPT-NeoX / LLaMA-HF style), not interleaved: within each head of size D,
 * dim i is paired with dim i + D/2 (i < D/2), and the pair is rotated by the angle
 *   pos * ROPE_BASE^(-2i/D),  ROPE_BASE = 10000,
 * pos being the token's position (within its packed segment when training; its index in the
 * sequence, i.e. its KV-cache slot, when decoding). As one elementwise formula over the last axis:
 *   y = x * cos + x[perm] * sin,   cos = [c, c],  sin = [-s, s],  perm = the two halves swapped
 * so y[i] = x[i] c_i - x[i+D/2] s_i and y[i+D/2] = x[i+D/2] c_i + x[i] s_i. Applied to q and k
 * (not v) in every attention layer, after the qkv projection; q.k then depends on the positions
 * only through their difference. The tables are computed in float64 here and stored in the graph
 * (as float32 in float32 graphs). reference.ts computes the same rotation on its own.
 *
 * Where: the train graph uses the tape's rope op (autodiff.ts: forward and backward) with the full
 * (T,D) tables; the forward-only inference graphs use onnxruntime's fused com.microsoft.RotaryEmbedding
 * kernel (interleaved = 0, i.e. half-split, the same formula) with the (T,D/2) caches.
 */

export const ROPE_BASE = 10000;

export interface RopeTables {
  /** (T, D): cos(pos * theta_i) for i and for i + D/2 */
  cos: Float64Array;
  /** (T, D): -sin(pos * theta_i) at i, +sin(pos * theta_i) at i + D/2 */
  sin: Float64Array;
  /** (D): perm[i] = the dim whose value lands at i when the two halves of a head are swapped (the graphs swap the halves as blocks: autodiff.ts rope) */
  perm: number[];
}

/** Tables for positions 0 .. T-1 and head size D (even). */
export function ropeTables(T: number, D: number): RopeTables {
  if (D % 2 !== 0) throw new Error(`internal: rotary positions need an even head size, got ${D}`);
  const half = D / 2;
  const cos = new Float64Array(T * D);
  const sin = new Float64Array(T * D);
  for (let p = 0; p < T; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * ROPE_BASE ** ((-2 * i) / D);
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[p * D + i] = c;
      cos[p * D + i + half] = c;
      sin[p * D + i] = -s;
      sin[p * D + i + half] = s;
    }
  }
  const perm = Array.from({ length: D }, (_, i) => (i + half) % D);
  return { cos, sin, perm };
}

/**
 * The (T, D/2) caches of com.microsoft.RotaryEmbedding (interleaved = 0): cos(pos * theta_i) and
 * +sin(pos * theta_i), i < D/2, in float32.
 */
export function ropeCaches(T: number, D: number): { cos: Float32Array; sin: Float32Array } {
  const r = ropeTables(T, D);
  const half = D / 2;
  const cos = new Float32Array(T * half);
  const sin = new Float32Array(T * half);
  for (let p = 0; p < T; p++) {
    for (let i = 0; i < half; i++) {
      cos[p * half + i] = r.cos[p * D + i] ?? oob();
      sin[p * half + i] = r.sin[p * D + half + i] ?? oob();
    }
  }
  return { cos, sin };
}
