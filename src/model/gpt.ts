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
 * The block (LN, attention, residual, LN, MLP, residual) is written once, `block`, over the few ops
 * of `BlockOps`; each graph supplies them: trainGraph on the tape (every op with its backward),
 * inferGraph on the tape forward only (fused GELU, attention over the KV cache), decodeGraph as
 * plain nodes on 2-D activations (Gemm with the bias fused). The float64 reference (reference.ts,
 * written apart) checks all three (reference.test.ts: loss, gradients, logits whole, in pieces
 * and one token at a time).
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
import type { AttrValue, DType, OnnxGraph } from './onnx.js';
import { ropeCaches, ropeTables } from './rope.js';

type Params = Map<string, V>;

function param(p: Params, name: string): V {
  const v = p.get(name);
  if (!v) throw new Error(`internal: no parameter ${name}`);
  return v;
}

/** Append one node of a single output to `g`; returns the output's name. */
function single(g: OnnxGraph): (op: string, ins: string[], attrs?: Record<string, AttrValue>, domain?: string) => string {
  return (op, ins, attrs = {}, domain = '') => g.node(op, ins, attrs, 1, domain)[0] as string;
}

// ---- the block, written once ---------------------------------------------------------------

/**
 * The ops a block is built from, over a graph's own values X: tape values (the train graph, with
 * a backward; the inference graph, forward only) or node names (the decode-step graph, whose
 * activations are 2-D). Parameters are named by prefix, e.g. `h0.ln1` for h0.ln1.g and h0.ln1.b.
 */
interface BlockOps<X> {
  /** LayerNorm over the last axis (C), gain `${pre}.g`, bias `${pre}.b`, eps 1e-5 */
  layerNorm(x: X, pre: string): X;
  /** x @ `${pre}.w` + `${pre}.b` */
  linear(x: X, pre: string): X;
  /** gelu(x @ `${pre}.w` + `${pre}.b`), tanh approximation */
  geluLinear(x: X, pre: string): X;
  add(a: X, b: X): X;
  /** (B,T,3C) -> q, k, v (B,T,C) */
  split3(x: X): [X, X, X];
  /**
   * One of q, k, v (B,T,C) of layer l split into its H heads (B,H,T,D), in the layout `attend`
   * takes; q and k rotated by their positions when positions are rotary, v never.
   */
  heads(l: number, z: X, role: 'q' | 'k' | 'v'): X;
  /**
   * Causal attention of layer l: softmax(q k^T / sqrt(D) + mask) v over the keys each new token
   * may see (its window when training; the KV cache and the new tokens when inferring), heads
   * merged back: (B,T,C).
   */
  attend(l: number, q: X, k: X, v: X): X;
}

/**
 * Block l (pre-LN, nanoGPT's Block), the one definition the three graphs share:
 *   x (B,T,C) -> LN -> qkv (B,T,3C) -> q, k, v (B,T,C) -> heads (B,H,T,D), q and k rotated (rotary)
 *     -> attention (B,T,C) -> proj -> + x = a
 *   a -> LN -> fc (B,T,4C) -> gelu -> out (B,T,C) -> + a
 * In the inference graphs T is S, the new tokens of this call (1 in the decode graph, whose
 * activations are (B,C)).
 */
function block<X>(o: BlockOps<X>, l: number, x: X): X {
  const w = (name: string): string => `h${l}.${name}`;
  const [q, k, v] = o.split3(o.linear(o.layerNorm(x, w('ln1')), w('attn'))); // (B,T,C) each
  const y = o.attend(l, o.heads(l, q, 'q'), o.heads(l, k, 'k'), o.heads(l, v, 'v')); // (B,T,C)
  const a = o.add(x, o.linear(y, w('proj')));
  const f = o.geluLinear(o.layerNorm(a, w('ln2')), w('fc')); // (B,T,4C)
  return o.add(a, o.linear(f, w('out')));
}

/** The ops the train and inference graphs build the same way, on the tape. */
function tapeOps(t: Tape, p: Params, C: number): Pick<BlockOps<V>, 'layerNorm' | 'linear' | 'add' | 'split3'> {
  return {
    layerNorm: (x, pre) => t.layerNorm(x, param(p, `${pre}.g`), param(p, `${pre}.b`)),
    linear: (x, pre) => t.add(t.matmul(x, param(p, `${pre}.w`)), param(p, `${pre}.b`)),
    add: (a, b) => t.add(a, b),
    split3: (x) => t.split(x, [C, C, C]) as [V, V, V],
  };
}

/**
 * Attention over [KV cache | new tokens], for the two inference graphs: q, k, v (B,H,S,D) of the
 * new tokens, kc, vc (B,H,P,D) the cache, mask (B,1,S,P+S) additive, capLen = [P] (int64).
 * The scores against the cache and against the new keys are concatenated for one softmax, which
 * is split again to weight the two sets of values. Returns (B,H,S,D). With S = 1 the new tokens'
 * weights (B,H,1,1) scale v by a broadcast Mul instead of a MatMul.
 */
function cachedAttention(t: Tape, D: number, q: string, k: string, v: string, kc: string, vc: string, mask: string, capLen: string, oneToken: boolean): string {
  const one = single(t.g);
  const qk = (keys: string): string => one('FusedMatMul', [q, keys], { transB: 1, alpha: { float: 1 / Math.sqrt(D) } }, 'com.microsoft'); // q k^T / sqrt(D)
  const sCache = qk(kc); // (B,H,S,P)
  const sNew = qk(k); // (B,H,S,S)
  const att = one('Softmax', [one('Add', [one('Concat', [sCache, sNew], { axis: 3 }), mask])], { axis: -1 }); // (B,H,S,P+S)
  const aCache = one('Slice', [att, t.ints([0]), capLen, t.ints([3])]); // (B,H,S,P)
  const aNew = one('Slice', [att, capLen, t.ints([2 ** 62]), t.ints([3])]); // (B,H,S,S)
  return one('Add', [one('MatMul', [aCache, vc]), one(oneToken ? 'Mul' : 'MatMul', [aNew, v])]); // (B,H,S,D)
}

// ---- positions -----------------------------------------------------------------------------

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
  const [y] = t.g.node(
    'RotaryEmbedding',
    [x, pos, caches.cos, caches.sin],
    { num_heads: m.heads, interleaved: 0 },
    out === undefined ? 1 : [out],
    'com.microsoft',
  );
  return y as string;
}

/** The (T,D/2) cos/sin caches of the fused kernel as float32 constants. */
function ropeCacheConsts(t: Tape, m: ModelConfig): { cos: string; sin: string } {
  const D = m.d / m.heads;
  const c = ropeCaches(m.context, D);
  return { cos: t.g.constant('rope_cos', 'float32', [m.context, D / 2], c.cos), sin: t.g.constant('rope_sin', 'float32', [m.context, D / 2], c.sin) };
}

// ---- the three graphs ----------------------------------------------------------------------

/** Final LayerNorm and the tied output embedding: (..., C) @ wte^T -> (..., Vp). */
function lmHead(o: BlockOps<V>, t: Tape, p: Params, x: V): V {
  return t.matmul(o.layerNorm(x, 'lnf'), t.transpose(param(p, 'wte'), [1, 0]));
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
  const ops: BlockOps<V> = {
    ...tapeOps(t, p, C),
    geluLinear: (z, pre) => t.gelu(ops.linear(z, pre)),
    // (B,T,C) -> (B,T,H,D), q scaled by 1/sqrt(D), q and k rotated (rotary), then q, v -> (B,H,T,D)
    // and k -> (B,H,D,T). The rope op's backward (autodiff.ts) rotates the gradient back:
    // dx = dy * cos + swap(dy * sin)
    heads: (_l, z, role) => {
      const z4 = t.reshape(role === 'q' ? t.scale(z, 1 / Math.sqrt(D)) : z, [B, T, H, D], [B, T, H, D]);
      return t.transpose(rot && role !== 'v' ? t.rope(z4, rot.cos, rot.sin) : z4, role === 'k' ? [0, 2, 3, 1] : [0, 2, 1, 3]);
    },
    // the window: attn_mask (B,1,T,T) keeps each token to the earlier tokens of its own segment
    attend: (_l, q, k, v) => {
      const att = t.softmax(t.add(t.matmul(q, k), amask)); // (B,H,T,T)
      return t.reshape(t.transpose(t.matmul(att, v), [0, 2, 1, 3]), [B, T, C], [B, T, C]); // (B,H,T,D) -> (B,T,C)
    },
  };
  for (let l = 0; l < m.layers; l++) x = block(ops, l, x);
  const logits = t.reshape(lmHead(ops, t, p, x), [N, Vp], [N, Vp]);
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
  const one = single(g);
  const val = (name: string, shape: V['shape']): V => ({ name, shape, grad: false });

  // learned: wte[ids] + wpe[pos]; rotary: wte[ids] only (q and k are rotated by pos in every layer)
  const emb =
    m.positions === 'rotary'
      ? one('Gather', [param(p, 'wte').name, ids])
      : one('Add', [one('Gather', [param(p, 'wte').name, ids]), one('Gather', [param(p, 'wpe').name, pos])]);
  let x = val(emb, ['B', 'S', C]);
  const rot = m.positions === 'rotary' ? ropeCacheConsts(t, m) : null;
  // cache length P as a 1-D int64 tensor, for slicing the attention weights into [cache | new]
  const capLen = one('Slice', [one('Shape', [`k0`]), t.ints([2]), t.ints([3])]);
  const ops: BlockOps<V> = {
    ...tapeOps(t, p, C),
    geluLinear: (z, pre) => t.fastGeluBias(t.matmul(z, param(p, `${pre}.w`)), param(p, `${pre}.b`)), // one fused kernel
    // rotary: q and k (B,S,C) rotated by their own positions (the cache keeps rotated keys, see
    // kvcache.ts); then (B,S,C) -> (B,S,H,D) -> (B,H,S,D)
    heads: (_l, z, role) => {
      const zr = rot && role !== 'v' ? ropeFused(t, m, z.name, pos, rot) : z.name;
      return val(one('Transpose', [one('Reshape', [zr, t.ints([0, 0, H, D])])], { perm: [0, 2, 1, 3] }), ['B', H, 'S', D]);
    },
    // the new keys and values are outputs (the caller writes them into its cache): (B,H,S,D)
    attend: (l, q, k, v) => {
      const kc = g.input(`k${l}`, 'float32', ['B', H, 'P', D]);
      const vc = g.input(`v${l}`, 'float32', ['B', H, 'P', D]);
      g.alias(k.name, `newk${l}`, 'float32', ['B', H, 'S', D]);
      g.alias(v.name, `newv${l}`, 'float32', ['B', H, 'S', D]);
      const y = cachedAttention(t, D, q.name, k.name, v.name, kc, vc, mask, capLen, false); // (B,H,S,D)
      return val(one('Reshape', [one('Transpose', [y], { perm: [0, 2, 1, 3] }), t.ints([0, 0, C])]), ['B', 'S', C]);
    },
  };
  for (let l = 0; l < m.layers; l++) x = block(ops, l, x);
  g.alias(lmHead(ops, t, p, x).name, 'logits', 'float32', ['B', 'S', m.vocab]);
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
  const one = single(g);
  const ids = g.input('ids', 'int64', ['B']);
  const pos = g.input('pos', 'int64', ['B']);
  const mask = g.input('mask', 'float32', ['B', 1, 1, 'P1']);
  // learned: wte[ids] + wpe[pos]; rotary: wte[ids] only (q and k are rotated by pos in every layer)
  let x = m.positions === 'rotary' ? one('Gather', ['wte', ids]) : one('Add', [one('Gather', ['wte', ids]), one('Gather', ['wpe', pos])]); // (B,C)
  const headsShape = t.ints([0, H, 1, D]);
  const rot = m.positions === 'rotary' ? ropeCacheConsts(t, m) : null;
  const pos1 = rot ? one('Unsqueeze', [pos, t.ints([1])]) : ''; // (B,1): one new token per sequence
  const flat = t.ints([0, C]);
  const capLen = one('Slice', [one('Shape', ['k0']), t.ints([2]), t.ints([3])]);
  const ops: BlockOps<string> = {
    layerNorm: (z, pre) => one('LayerNormalization', [z, `${pre}.g`, `${pre}.b`], { axis: -1, epsilon: { float: 1e-5 } }),
    linear: (z, pre) => one('Gemm', [z, `${pre}.w`, `${pre}.b`]), // bias fused
    geluLinear: (z, pre) => one('FastGelu', [one('MatMul', [z, `${pre}.w`]), `${pre}.b`], {}, 'com.microsoft'),
    add: (a, b) => one('Add', [a, b]),
    split3: (z) => g.node('Split', [z, t.ints([C, C, C])], { axis: 1 }, 3) as [string, string, string], // (B,3C) = [q | k | v]
    // (B,C) -> (B,H,1,D); rotary: q and k rotated by the new token's position (its cache slot). The
    // new k (rotated) and v are outputs, written by the node that makes them: (B,H,1,D)
    heads: (l, z, role) => {
      if (role === 'q') {
        const r = one('Reshape', [z, headsShape]);
        return rot ? ropeFused(t, m, r, pos1, rot) : r;
      }
      const out = role === 'k' ? `newk${l}` : `newv${l}`;
      const [y] =
        rot && role === 'k' ? [ropeFused(t, m, one('Reshape', [z, headsShape]), pos1, rot, out)] : (g.node('Reshape', [z, headsShape], {}, [out]) as [string]);
      g.output(y, 'float32', ['B', H, 1, D]);
      return y;
    },
    attend: (l, q, k, v) => {
      const kc = g.input(`k${l}`, 'float32', ['B', H, 'P', D]);
      const vc = g.input(`v${l}`, 'float32', ['B', H, 'P', D]);
      return one('Reshape', [cachedAttention(t, D, q, k, v, kc, vc, mask, capLen, true), flat]); // (B,H,1,D) -> (B,C)
    },
  };
  for (let l = 0; l < m.layers; l++) x = block(ops, l, x);
  g.node('Gemm', [ops.layerNorm(x, 'lnf'), 'wte'], { transB: 1 }, ['logits']); // tied embedding: (B,C) @ wte^T
  g.output('logits', 'float32', ['B', m.vocab]);
  return g.encode();
}
