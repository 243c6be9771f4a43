/**
 * Pure-TypeScript reference forward of the GPT in float64: plain loops, no ONNX, written
 * independently of gpt.ts so that the engine can be checked against it (reference.test.ts).
 * Slow (for tiny configs only). Legend: T tokens, C width, H heads, D head size, Vp vocab.
 * Positions: learned (wte + wpe) or rotary (RoPE on q and k, half-split pairs (d, d + D/2),
 * angle t * 10000^(-2d/D); computed here on its own, not from rope.ts).
 */
import type { ModelConfig } from './config.js';
import { oob } from '../core/errors.js';

/** Parameters by name; float32 or float64 arrays. */
export type AnyParams = ReadonlyMap<string, ArrayLike<number>>;

function get(p: AnyParams, name: string): ArrayLike<number> {
  const a = p.get(name);
  if (!a) throw new Error(`reference: missing parameter ${name}`);
  return a;
}

type Mat = Float64Array[]; // T rows of length C

function layerNorm(x: Mat, g: ArrayLike<number>, b: ArrayLike<number>): Mat {
  return x.map((row) => {
    const C = row.length;
    let mean = 0;
    for (const v of row) mean += v;
    mean /= C;
    let vr = 0;
    for (const v of row) vr += (v - mean) ** 2;
    const rstd = 1 / Math.sqrt(vr / C + 1e-5);
    return row.map((v, i) => (v - mean) * rstd * (g[i] ?? oob()) + (b[i] ?? oob()));
  });
}

/** x (T,K) @ w (K,N) + bias (N). */
function linear(x: Mat, w: ArrayLike<number>, bias: ArrayLike<number> | null, N: number): Mat {
  return x.map((row) => {
    const out = new Float64Array(N);
    for (let k = 0; k < row.length; k++) {
      const xv = row[k] ?? oob();
      for (let n = 0; n < N; n++) out[n] = (out[n] ?? oob()) + xv * (w[k * N + n] ?? oob());
    }
    if (bias) for (let n = 0; n < N; n++) out[n] = (out[n] ?? oob()) + (bias[n] ?? oob());
    return out;
  });
}

/**
 * Rotary positions, in place on one row of qkv (3C) at position t: in q and k of every head, the
 * pair (d, d + D/2) is rotated by t * 10000^(-2d/D).
 */
function rotateRow(row: Float64Array, t: number, C: number, H: number): void {
  const D = C / H;
  for (const base of [0, C]) {
    for (let hd = 0; hd < H; hd++) {
      for (let d = 0; d < D / 2; d++) {
        const angle = t / 10000 ** ((2 * d) / D);
        const i = base + hd * D + d;
        const j = i + D / 2;
        const a = row[i] ?? oob();
        const b = row[j] ?? oob();
        row[i] = a * Math.cos(angle) - b * Math.sin(angle);
        row[j] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
  }
}

const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** Logits (T, Vp) for one sequence of token ids. */
export function referenceLogits(m: ModelConfig, p: AnyParams, tokens: readonly number[]): Mat {
  const C = m.d;
  const H = m.heads;
  const D = C / H;
  const wte = get(p, 'wte');
  const rotary = m.positions === 'rotary';
  const wpe = rotary ? null : get(p, 'wpe');
  let x: Mat = tokens.map((tok, t) => Float64Array.from({ length: C }, (_, c) => (wte[tok * C + c] ?? oob()) + (wpe ? (wpe[t * C + c] ?? oob()) : 0)));
  const T = tokens.length;
  for (let l = 0; l < m.layers; l++) {
    const h = layerNorm(x, get(p, `h${l}.ln1.g`), get(p, `h${l}.ln1.b`));
    const qkv = linear(h, get(p, `h${l}.attn.w`), get(p, `h${l}.attn.b`), 3 * C);
    if (rotary) qkv.forEach((row, t) => rotateRow(row, t, C, H));
    const y: Mat = Array.from({ length: T }, () => new Float64Array(C));
    for (let hd = 0; hd < H; hd++) {
      for (let i = 0; i < T; i++) {
        const qi = qkv[i] ?? oob();
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          const kj = qkv[j] ?? oob();
          let s = 0;
          for (let d = 0; d < D; d++) s += (qi[hd * D + d] ?? oob()) * (kj[C + hd * D + d] ?? oob());
          scores.push(s / Math.sqrt(D));
        }
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const z = e.reduce((a, b) => a + b, 0);
        const yi = y[i] ?? oob();
        for (let j = 0; j <= i; j++) {
          const vj = qkv[j] ?? oob();
          for (let d = 0; d < D; d++) yi[hd * D + d] = (yi[hd * D + d] ?? oob()) + ((e[j] ?? oob()) / z) * (vj[2 * C + hd * D + d] ?? oob());
        }
      }
    }
    const a = linear(y, get(p, `h${l}.proj.w`), get(p, `h${l}.proj.b`), C);
    x = x.map((row, i) => row.map((v, c) => v + ((a[i] ?? oob())[c] ?? oob())));
    const h2 = layerNorm(x, get(p, `h${l}.ln2.g`), get(p, `h${l}.ln2.b`));
    const f = linear(h2, get(p, `h${l}.fc.w`), get(p, `h${l}.fc.b`), 4 * C).map((r) => r.map(gelu));
    const o = linear(f, get(p, `h${l}.out.w`), get(p, `h${l}.out.b`), C);
    x = x.map((row, i) => row.map((v, c) => v + ((o[i] ?? oob())[c] ?? oob())));
  }
  const hf = layerNorm(x, get(p, 'lnf.g'), get(p, 'lnf.b'));
  return hf.map((row) => {
    const out = new Float64Array(m.vocab);
    for (let v = 0; v < m.vocab; v++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += (row[c] ?? oob()) * (wte[v * C + c] ?? oob());
      out[v] = s;
    }
    return out;
  });
}

/** Mean cross-entropy of predicting tokens[i+1] from tokens[..i], weighted by mask[i+1]. */
export function referenceLoss(m: ModelConfig, p: AnyParams, seqs: readonly number[][], masks: readonly number[][]): number {
  let total = 0;
  let weight = 0;
  seqs.forEach((tokens, b) => {
    const logits = referenceLogits(m, p, tokens.slice(0, -1));
    logits.forEach((row, i) => {
      const w = (masks[b] ?? oob())[i + 1] ?? oob();
      if (w === 0) return;
      const mx = Math.max(...row);
      let z = 0;
      for (const v of row) z += Math.exp(v - mx);
      total += w * (Math.log(z) + mx - (row[tokens[i + 1] ?? oob()] ?? oob()));
      weight += w;
    });
  });
  return weight === 0 ? 0 : total / weight;
}
