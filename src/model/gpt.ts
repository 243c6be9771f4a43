/**
 * The byte-level GPT as ONNX graphs.
 *
 * Legend: B batch, T context (training), S new tokens this call, P cache capacity (inference),
 * C width d, H heads, D = C / H head size, Vp padded vocab (264), N = B*T.
 * Pre-LN blocks, tanh-GELU MLP (4C), tied input/output embedding, and positions per
 * config.model.positions: 'learned' absolute (a wpe (T,C) parameter added to the token embedding)
 * or 'rotary' (no wpe; q and k rotated by RoPE in every layer, half-split pairs, see rope.ts).
 * The graph inputs are the same for both: rotary takes its angles from the same positions
 * (pos_onehot when training, pos when inferring), via constant cos/sin tables. Training uses the
 * tape's rope op (forward and backward); inference the fused com.microsoft.RotaryEmbedding kernel
 * (same formula, half-split, no backward needed).
 *
 *  trainGraph: inputs  every parameter (see config.paramShapes), x_onehot (N,Vp), y_onehot (N,Vp),
 *                      weight (N,1) = mask / sum(mask), pos_onehot (N,T) position within its segment,
 *                      attn_mask (B,1,T,T) additive (0 / -1e9): causal and within a segment, so that one row
 *                      can hold several packed windows that do not see each other
 *              outputs loss (scalar), grad:<param> for every parameter (omitted when withGrads = false: eval).
 *  inferGraph: inputs  every parameter, ids (B,S) int64, pos (B,S) int64, mask (B,1,S,P+S) additive,
 *                      k<l> and v<l> (B,H,P,D) per layer: the KV cache, owned by
 *                      the caller (sampler.ts)
 *              outputs logits (B,S,Vp), newk<l>, newv<l> (B,H,S,D): the caller writes them into its cache.
 */
import { type V, Tape } from './autodiff.js';
import { type ModelConfig, paramShapes } from './config.js';
import type { AttrValue, DType } from './onnx.js';
import { ropeCaches, ropeTables } from './rope.js';

type Params = Map<string, V>;

function param(p: Params, name: string): V {
  const v = p.get(name);
  if (!v) throw new Error(`internal: no parameter ${name}`);
  return v;
}

/** The MLP half and the residual wiring shared by both graphs. x: (B,T,C). */
function mlp(t: Tape, p: Params, l: number, x: V, fused = false): V {
  const h = t.layerNorm(x, param(p, `h${l}.ln2.g`), param(p, `h${l}.ln2.b`));
  const f = fused
    ? t.fastGeluBias(t.matmul(h, param(p, `h${l}.fc.w`)), param(p, `h${l}.fc.b`)) // forward only: one fused kernel
    : t.gelu(t.add(t.matmul(h, param(p, `h${l}.fc.w`)), param(p, `h${l}.fc.b`))); // (B,T,4C)
  return t.add(x, t.add(t.matmul(f, param(p, `h${l}.out.w`)), param(p, `h${l}.out.b`)));
}

/** The rotary tables (T,D) as constant graph values (float32 or float64, as the tape). */
function ropeConsts(t: Tape, m: ModelConfig): { cos: V; sin: V } {
  const D = m.d / m.heads;
  const r = ropeTables(m.context, D);
  const c = (prefix: string, a: Float64Array): V => ({ name: t.g.constant(prefix, t.elem, [m.context, D], a), shape: [m.context, D], grad: false });
  return { cos: c('rope_cos', r.cos), sin: c('rope_sin', r.sin) };
}

/**
 * Forward-only RoPE with onnxruntime's fused kernel: x (B,S,C) with num_heads H (heads are
 * contiguous D-blocks of C), or (B,H,1,D) (one token: the same memory as (B,1,H,D)); pos (B,S) int64.
 */
function ropeFused(t: Tape, m: ModelConfig, x: string, pos: string, caches: { cos: string; sin: string }, out?: string): string {
  const [y] = t.g.node('RotaryEmbedding', [x, pos, caches.cos, caches.sin], { num_heads: m.heads, interleaved: 0 }, out === undefined ? 1 : [out], 'com.microsoft');
  return y as string;
}

/** The (T,D/2) cos/sin caches of the fused kernel as float32 constants. */
function ropeCacheConsts(t: Tape, m: ModelConfig): { cos: string; sin: string } {
  const D = m.d / m.heads;
  const c = ropeCaches(m.context, D);
  return { cos: t.g.constant('rope_cos', 'float32', [m.context, D / 2], c.cos), sin: t.g.constant('rope_sin', 'float32', [m.context, D / 2], c.sin) };
}

function lmHead(t: Tape, p: Params, x: V, m: ModelConfig): V {
  const h = t.layerNorm(x, param(p, 'lnf.g'), param(p, 'lnf.b'));
  const wteT = t.transpose(param(p, 'wte'), [1, 0]); // (C,Vp)
  void m;
  return t.matmul(h, wteT);
}

export interface TrainGraph {
  bytes: Uint8Array;
  paramNames: string[];
  nodes: number;
}

export function trainGraph(m: ModelConfig, B: number, dtype: DType = 'float32', withGrads = true): TrainGraph {
  const T = m.context;
  const t = new Tape(dtype);
  const C = m.d;
  const H = m.heads;
  const D = C / H;
  const Vp = m.vocab;
  const N = B * T;
  const p: Params = new Map();
  for (const [name, shape] of paramShapes(m)) p.set(name, t.input(name, shape, true));
  const xOh = t.input('x_onehot', [N, Vp]);
  const yOh = t.input('y_onehot', [N, Vp]);
  const w = t.input('weight', [N, 1]);
  const posOh = t.input('pos_onehot', [N, T]);
  const amask = t.input('attn_mask', [B, 1, T, T]);

  // embeddings, learned: one-hot (N,Vp) @ wte (Vp,C) + one-hot positions (N,T) @ wpe (T,C) -> (B,T,C)
  //             rotary:  one-hot (N,Vp) @ wte (Vp,C) -> (B,T,C); positions enter in attention (below)
  const tok = t.matmul(xOh, param(p, 'wte'));
  let x = t.reshape(m.positions === 'rotary' ? tok : t.add(tok, t.matmul(posOh, param(p, 'wpe'))), [B, T, C], [B, T, C]);
  // rotary: each token's cos/sin row by its position within its segment, one-hot (N,T) @ table (T,D)
  // -> (N,D) -> (B,T,1,D), broadcast over the heads of (B,T,H,D); no gradient (constants)
  let rot: { cos: V; sin: V } | null = null;
  if (m.positions === 'rotary') {
    const tab = ropeConsts(t, m);
    const rows = (a: V): V => t.reshape(t.matmul(posOh, a), [B, T, 1, D], [B, T, 1, D]);
    rot = { cos: rows(tab.cos), sin: rows(tab.sin) };
  }
  for (let l = 0; l < m.layers; l++) {
    const h = t.layerNorm(x, param(p, `h${l}.ln1.g`), param(p, `h${l}.ln1.b`));
    const qkv = t.add(t.matmul(h, param(p, `h${l}.attn.w`)), param(p, `h${l}.attn.b`)); // (B,T,3C)
    const [q, k, v] = t.split(qkv, [C, C, C]) as [V, V, V];
    // (B,T,C) -> (B,T,H,D), rotated (q and k, rotary only), then the heads' layout `perm`. The
    // rope op's backward (autodiff.ts) rotates the gradient back: dx = dy * cos + swap(dy * sin)
    const heads = (z: V, perm: number[], rotate = false): V => {
      const z4 = t.reshape(z, [B, T, H, D], [B, T, H, D]);
      return t.transpose(rot && rotate ? t.rope(z4, rot.cos, rot.sin) : z4, perm);
    };
    const qh = heads(t.scale(q, 1 / Math.sqrt(D)), [0, 2, 1, 3], true); // (B,H,T,D)
    const kh = heads(k, [0, 2, 3, 1], true); // (B,H,D,T)
    const vh = heads(v, [0, 2, 1, 3]); // (B,H,T,D)
    const att = t.softmax(t.add(t.matmul(qh, kh), amask)); // (B,H,T,T)
    const y = t.reshape(t.transpose(t.matmul(att, vh), [0, 2, 1, 3]), [B, T, C], [B, T, C]);
    x = t.add(x, t.add(t.matmul(y, param(p, `h${l}.proj.w`)), param(p, `h${l}.proj.b`)));
    x = mlp(t, p, l, x);
  }
  const logits = t.reshape(lmHead(t, p, x, m), [N, Vp], [N, Vp]);
  const loss = t.softmaxCrossEntropy(logits, yOh, w);
  const leaves = [...p.values()];
  t.g.alias(loss.name, 'loss', dtype, []);
  if (withGrads) {
    const grads = t.backward(loss, leaves);
    for (const leaf of leaves) t.g.alias(grads.get(leaf.name) as string, `grad:${leaf.name}`, dtype, leaf.shape);
  }
  return { bytes: t.g.encode(), paramNames: leaves.map((l) => l.name), nodes: t.g.nodeCount };
}

/**
 * Forward-only graph with an external KV cache (see the header). Dims B, S, P are symbolic.
 * With `weights`, the parameters are baked in as initializers (onnxruntime can then pre-pack the
 * matmul weights, and nothing is fed per call); without, they are graph inputs.
 */
export function inferGraph(m: ModelConfig, weights?: ReadonlyMap<string, Float32Array>): Uint8Array {
  const t = new Tape('float32');
  const g = t.g;
  const C = m.d;
  const H = m.heads;
  const D = C / H;
  const p: Params = new Map();
  for (const [name, shape] of paramShapes(m)) {
    const w = weights?.get(name);
    if (weights && !w) throw new Error(`internal: missing weight ${name}`);
    p.set(name, w ? { name: g.initializer(name, shape, w), shape, grad: false } : t.input(name, shape, false));
  }
  const ids = g.input('ids', 'int64', ['B', 'S']);
  const pos = g.input('pos', 'int64', ['B', 'S']);
  const mask = g.input('mask', 'float32', ['B', 1, 'S', 'PS']);
  const one = (op: string, ins: string[], attrs: Record<string, AttrValue> = {}, domain = ''): string => g.node(op, ins, attrs, 1, domain)[0] as string;

  // learned: wte[ids] + wpe[pos]; rotary: wte[ids] only (q and k are rotated by pos in every layer)
  const emb = m.positions === 'rotary' ? one('Gather', [param(p, 'wte').name, ids]) : one('Add', [one('Gather', [param(p, 'wte').name, ids]), one('Gather', [param(p, 'wpe').name, pos])]);
  let x: V = { name: emb, shape: ['B', 'S', C], grad: false };
  const rot = m.positions === 'rotary' ? ropeCacheConsts(t, m) : null;
  // cache length P as a 1-D int64 tensor, for slicing the attention weights into [cache | new]
  const capLen = one('Slice', [one('Shape', [`k0`]), t.ints([2]), t.ints([3])]);
  for (let l = 0; l < m.layers; l++) {
    const kc = g.input(`k${l}`, 'float32', ['B', H, 'P', D]);
    const vc = g.input(`v${l}`, 'float32', ['B', H, 'P', D]);
    const h = t.layerNorm(x, param(p, `h${l}.ln1.g`), param(p, `h${l}.ln1.b`));
    const qkv = t.add(t.matmul(h, param(p, `h${l}.attn.w`)), param(p, `h${l}.attn.b`)); // (B,S,3C)
    const [q, k, v] = t.split(qkv, [C, C, C]) as [V, V, V];
    const heads = (z: string): string => one('Transpose', [one('Reshape', [z, t.ints([0, 0, H, D])])], { perm: [0, 2, 1, 3] }); // (B,H,S,D)
    // rotary: q and k (B,S,C) rotated by their own positions; the cache keeps rotated keys (see kvcache.ts)
    const rotate = (z: V): string => (rot ? ropeFused(t, m, z.name, pos, rot) : z.name);
    const qh = heads(rotate(q));
    const kh = heads(rotate(k));
    const vh = heads(v.name);
    g.alias(kh, `newk${l}`, 'float32', ['B', H, 'S', D]);
    g.alias(vh, `newv${l}`, 'float32', ['B', H, 'S', D]);
    const qk = (k: string): string => one('FusedMatMul', [qh, k], { transB: 1, alpha: { float: 1 / Math.sqrt(D) } }, 'com.microsoft'); // q k^T / sqrt(D)
    const sCache = qk(kc); // (B,H,S,P)
    const sNew = qk(kh); // (B,H,S,S)
    const att = one('Softmax', [one('Add', [one('Concat', [sCache, sNew], { axis: 3 }), mask])], { axis: -1 }); // (B,H,S,P+S)
    const aCache = one('Slice', [att, t.ints([0]), capLen, t.ints([3])]);
    const aNew = one('Slice', [att, capLen, t.ints([2 ** 62]), t.ints([3])]);
    const y = one('Add', [one('MatMul', [aCache, vc]), one('MatMul', [aNew, vh])]); // (B,H,S,D)
    const yc: V = { name: one('Reshape', [one('Transpose', [y], { perm: [0, 2, 1, 3] }), t.ints([0, 0, C])]), shape: ['B', 'S', C], grad: false };
    x = t.add(x, t.add(t.matmul(yc, param(p, `h${l}.proj.w`)), param(p, `h${l}.proj.b`)));
    x = mlp(t, p, l, x, true);
  }
  g.alias(lmHead(t, p, x, m).name, 'logits', 'float32', ['B', 'S', m.vocab]);
  return g.encode();
}

/**
 * The graph for one decode step: exactly one new token per sequence (S = 1), same numerics as
 * inferGraph with S = 1 but leaner: activations are 2-D (B,C), so the weight products are Gemm
 * with their bias fused, and (B,1,H,D) = (B,H,1,D) in memory, so heads need Reshape, not Transpose.
 *  inputs  ids (B) int64, pos (B) int64, mask (B,1,1,P+1) additive (the last column is the new
 *          token itself), k<l>, v<l> (B,H,P,D) per layer: the KV cache
 *  outputs logits (B,Vp), newk<l>, newv<l> (B,H,1,D)
 */
export function decodeGraph(m: ModelConfig, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  const t = new Tape('float32');
  const g = t.g;
  const C = m.d;
  const H = m.heads;
  const D = C / H;
  for (const [name, shape] of paramShapes(m)) {
    const v = weights.get(name);
    if (!v) throw new Error(`internal: missing weight ${name}`);
    g.initializer(name, shape, v);
  }
  const one = (op: string, ins: string[], attrs: Record<string, AttrValue> = {}, domain = ''): string => g.node(op, ins, attrs, 1, domain)[0] as string;
  const ln = (x: string, pre: string): string => one('LayerNormalization', [x, `${pre}.g`, `${pre}.b`], { axis: -1, epsilon: { float: 1e-5 } });
  const ids = g.input('ids', 'int64', ['B']);
  const pos = g.input('pos', 'int64', ['B']);
  const mask = g.input('mask', 'float32', ['B', 1, 1, 'P1']);
  // learned: wte[ids] + wpe[pos]; rotary: wte[ids] only (q and k are rotated by pos in every layer)
  let x = m.positions === 'rotary' ? one('Gather', ['wte', ids]) : one('Add', [one('Gather', ['wte', ids]), one('Gather', ['wpe', pos])]); // (B,C)
  const heads = t.ints([0, H, 1, D]);
  const rot = m.positions === 'rotary' ? ropeCacheConsts(t, m) : null;
  const pos1 = rot ? one('Unsqueeze', [pos, t.ints([1])]) : ''; // (B,1): one new token per sequence
  const flat = t.ints([0, C]);
  const capLen = one('Slice', [one('Shape', ['k0']), t.ints([2]), t.ints([3])]);
  const alpha = { float: 1 / Math.sqrt(D) };
  for (let l = 0; l < m.layers; l++) {
    const kc = g.input(`k${l}`, 'float32', ['B', H, 'P', D]);
    const vc = g.input(`v${l}`, 'float32', ['B', H, 'P', D]);
    const qkv = one('Gemm', [ln(x, `h${l}.ln1`), `h${l}.attn.w`, `h${l}.attn.b`]); // (B,3C) = [q | k | v]
    const [q, k, v] = g.node('Split', [qkv, t.ints([C, C, C])], { axis: 1 }, 3) as [string, string, string];
    const qr = one('Reshape', [q, heads]); // (B,H,1,D)
    // rotary: q and k (B,H,1,D) rotated by the new token's position (its cache slot); the rotated k is what the cache keeps
    const qh = rot ? ropeFused(t, m, qr, pos1, rot) : qr;
    const [kh] = rot ? [ropeFused(t, m, one('Reshape', [k, heads]), pos1, rot, `newk${l}`)] : (g.node('Reshape', [k, heads], {}, [`newk${l}`]) as [string]);
    const [vh] = g.node('Reshape', [v, heads], {}, [`newv${l}`]) as [string];
    g.output(kh, 'float32', ['B', H, 1, D]);
    g.output(vh, 'float32', ['B', H, 1, D]);
    const sCache = one('FusedMatMul', [qh, kc], { transB: 1, alpha }, 'com.microsoft'); // (B,H,1,P)
    const sNew = one('FusedMatMul', [qh, kh], { transB: 1, alpha }, 'com.microsoft'); // (B,H,1,1)
    const att = one('Softmax', [one('Add', [one('Concat', [sCache, sNew], { axis: 3 }), mask])], { axis: -1 }); // (B,H,1,P+1)
    const aCache = one('Slice', [att, t.ints([0]), capLen, t.ints([3])]);
    const aNew = one('Slice', [att, capLen, t.ints([2 ** 62]), t.ints([3])]);
    const y = one('Add', [one('MatMul', [aCache, vc]), one('Mul', [aNew, vh])]); // (B,H,1,D)
    x = one('Add', [x, one('Gemm', [one('Reshape', [y, flat]), `h${l}.proj.w`, `h${l}.proj.b`])]);
    const f = one('FastGelu', [one('MatMul', [ln(x, `h${l}.ln2`), `h${l}.fc.w`]), `h${l}.fc.b`], {}, 'com.microsoft');
    x = one('Add', [x, one('Gemm', [f, `h${l}.out.w`, `h${l}.out.b`])]);
  }
  g.node('Gemm', [ln(x, 'lnf'), 'wte'], { transB: 1 }, ['logits']); // tied embedding: (B,C) @ wte^T
  g.output('logits', 'float32', ['B', m.vocab]);
  return g.encode();
}
