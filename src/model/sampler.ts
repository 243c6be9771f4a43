/**
 * Inference: batched generation with a KV cache, and teacher-forced scoring. Needs only a
 * checkpoint folder (config.json + model.safetensors), never the training code.
 *
 *   const s = await Sampler.load('runs/x');                       // run folder or checkpoint folder
 *   const [g] = await s.generate([fitContext(history, 'ls', T, 256)], { maxTokens: 256, temperature: 0 });
 *   parseResult(g.tokens)                                         // -> { output, exit, cwd, complete }
 *   const sc = await s.score(contextTokens, targetTokens);        // logprob of each target token, top-1 id/prob
 *
 * The KV cache lives in JS: per layer K and V (B,H,P,D), P = capacity, grown in steps of 32 positions
 * up to the context length, in place in buffers that are pooled across calls (see State). Each call
 * feeds the cache to onnxruntime as-is (the Tensor wraps the Float32Array) and gets back only the
 * new keys/values (B,H,S,D), which are copied into place (one run of S*D floats per sequence and
 * head). Greedy decoding takes the argmax and its log-probability in one pass per row. Decode steps (one new token per sequence) run a
 * leaner graph of their own (gpt.decodeGraph); prompts and scoring run gpt.inferGraph.
 * Log-probabilities are the model's own (temperature 1), whatever the sampling temperature.
 */
import { TwError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { loadModel } from './checkpoint.js';
import type { ModelConfig } from './config.js';
import { EOT, VOCAB } from './framing.js';
import { decodeGraph, inferGraph } from './gpt.js';
import { openSession, ort } from './onnx.js';
import { type Params } from './params.js';

export interface GenerateOptions {
  /** most tokens to generate: one limit for all, or one per prompt */
  maxTokens: number | readonly number[];
  /** 0 = greedy (default) */
  temperature?: number;
  /** nucleus sampling mass, default 1 */
  topP?: number;
  /** stop after generating any of these (included in the output); default [EOT] */
  stop?: number[];
  /** randomness for temperature > 0; default new Rng(0) */
  rng?: Rng;
  /**
   * Per prompt, a cache returned by an earlier call (`Generation.cache`): the longest prefix its
   * tokens share with the prompt is taken from it, and only the rest of the prompt is fed.
   */
  caches?: readonly (SeqCache | null | undefined)[];
  /** return each sequence's KV cache in `Generation.cache` for the next call */
  keepCache?: boolean;
}

/** One sequence's KV cache: the tokens fed so far and, per layer, k and v (H,n,D). */
export interface SeqCache {
  tokens: number[];
  k: Float32Array[];
  v: Float32Array[];
}

export interface Generation {
  tokens: number[];
  /** log p(token) under the model, one per generated token */
  logprobs: number[];
  finish: 'stop' | 'length' | 'context';
  /** prompt tokens taken from `caches` instead of being fed again */
  reused: number;
  /** with `keepCache`: the cache after this call (the prompt and every generated token but the last) */
  cache?: SeqCache;
}

export interface Score {
  /** log p(target[i] | context, target[..i]) */
  logprobs: number[];
  /** argmax token id at each target position, and its probability */
  top1: number[];
  top1Prob: number[];
  /** full next-token distributions (VOCAB entries each), when asked for */
  dists?: Float32Array[];
}

export function defaultThreads(): number {
  const n = Number(process.env['TW_ENGINE_THREADS']);
  return Number.isInteger(n) && n > 0 ? n : 2;
}

/** log-softmax over the real vocabulary (pad ids excluded). */
function logSoftmax(row: Float32Array, off: number): Float64Array {
  let mx = -Infinity;
  for (let v = 0; v < VOCAB; v++) mx = Math.max(mx, row[off + v] as number);
  let z = 0;
  for (let v = 0; v < VOCAB; v++) z += Math.exp((row[off + v] as number) - mx);
  const lz = Math.log(z) + mx;
  const out = new Float64Array(VOCAB);
  for (let v = 0; v < VOCAB; v++) out[v] = (row[off + v] as number) - lz;
  return out;
}

/** Per-call overhead of a prefill run, in token positions (about 1-2 ms of graph run at ~30 positions/ms). */
const PREFILL_CALL_COST = 48;

/**
 * Split rows whose prefill lengths are sorted longest first into contiguous groups, one graph run
 * each: a run pads every row to its longest, so one long history would otherwise make every row
 * of the batch pay for its length. Minimises sum(rows x longest) + PREFILL_CALL_COST per group
 * (dynamic programming over the split points). Returns [start, end) row ranges.
 */
export function prefillGroups(lens: readonly number[]): [number, number][] {
  const n = lens.length;
  const best = new Float64Array(n + 1).fill(Infinity);
  const from = new Int32Array(n + 1);
  best[0] = 0;
  for (let j = 1; j <= n; j++) {
    for (let i = 0; i < j; i++) {
      const c = (best[i] as number) + (j - i) * (lens[i] as number) + PREFILL_CALL_COST;
      if (c < (best[j] as number)) {
        best[j] = c;
        from[j] = i;
      }
    }
  }
  const out: [number, number][] = [];
  for (let j = n; j > 0; j = from[j] as number) out.unshift([from[j] as number, j]);
  return out;
}

/** Greedy decoding's fast path: the argmax token and its log-probability, in one pass and no allocation. */
function argmaxLogprob(row: Float32Array, off: number): [number, number] {
  let best = 0;
  let mx = row[off] as number;
  for (let v = 1; v < VOCAB; v++) {
    const x = row[off + v] as number;
    if (x > mx) {
      mx = x;
      best = v;
    }
  }
  let z = 0;
  for (let v = 0; v < VOCAB; v++) z += Math.exp((row[off + v] as number) - mx);
  return [best, -Math.log(z)];
}

function pick(lp: Float64Array, temperature: number, topP: number, rng: Rng): number {
  let best = 0;
  for (let v = 1; v < VOCAB; v++) if ((lp[v] as number) > (lp[best] as number)) best = v;
  if (temperature <= 0) return best;
  const p = Array.from(lp, (l, v) => [v, Math.exp((l - (lp[best] as number)) / temperature)] as [number, number]);
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

export class Sampler {

  /** KV-cache buffers of finished batches, reused by the next (see State) */
  private readonly pool = new BufferPool();

  private constructor(
    readonly config: ModelConfig,
    private readonly session: ort.InferenceSession,
    /** the S = 1 graph (gpt.decodeGraph) */
    private readonly step: ort.InferenceSession,
  ) {}

  /**
   * Weights are baked into the session's graph (see gpt.inferGraph). Threads: onnxruntime intra-op
   * threads, default TW_ENGINE_THREADS or 2 (on a loaded machine 1 is often faster: `tw bench engine`).
   */
  static async fromParams(m: ModelConfig, params: Params, threads = defaultThreads()): Promise<Sampler> {
    return new Sampler(m, await openSession(inferGraph(m, params), { threads }), await openSession(decodeGraph(m, params), { threads }));
  }

  /** A checkpoint folder or a `tw train` run folder (its latest checkpoint). */
  static async load(dir: string, threads = defaultThreads()): Promise<Sampler> {
    const { info, params } = loadModel(dir);
    return Sampler.fromParams(info.model, params, threads);
  }

  /** A fresh batch state: empty caches for B sequences. */
  private newState(B: number): State {
    return new State(this.config, B, this.pool);
  }

  /**
   * Feed chunks[b] (possibly empty) to sequence r0 + b: the rows r0 .. r0 + chunks.length - 1 of
   * the state (by default all of them), extending their caches. Returns logits (n,S,Vp) with
   * S = the longest chunk; row (b, i) is the next-token distribution after chunks[b][i].
   */
  private async feed(st: State, chunks: number[][], r0 = 0): Promise<{ logits: Float32Array; S: number }> {
    const m = this.config;
    const B = chunks.length;
    const S = Math.max(1, ...chunks.map((c) => c.length));
    const len = (b: number): number => st.len[r0 + b] as number;
    for (let b = 0; b < B; b++) {
      if (len(b) + (chunks[b] as number[]).length > m.context) throw new TwError(`sequence ${r0 + b} would exceed the context of ${m.context} tokens`, 'shorten the prompt (framing.fitContext keeps the most recent turns that fit)');
    }
    st.ensure(Math.max(...chunks.map((c, b) => len(b) + c.length)));
    const P = st.cap;
    if (S === 1) {
      // one decode step: at most one token per sequence (empty chunks are fed token 0 and not cached)
      const ids = new BigInt64Array(B);
      const pos = new BigInt64Array(B);
      const mask = new Float32Array(B * (P + 1));
      for (let b = 0; b < B; b++) {
        const c = chunks[b] as number[];
        ids[b] = BigInt(c.length > 0 ? (c[0] as number) : 0);
        pos[b] = BigInt(Math.min(len(b), m.context - 1));
        mask.fill(-1e9, b * (P + 1) + len(b), (b + 1) * (P + 1) - 1);
      }
      const feeds = { ids: new ort.Tensor('int64', ids, [B]), pos: new ort.Tensor('int64', pos, [B]), mask: new ort.Tensor('float32', mask, [B, 1, 1, P + 1]) };
      return { logits: await this.run(this.step, st, r0, chunks, 1, feeds), S };
    }
    const ids = new BigInt64Array(B * S);
    const pos = new BigInt64Array(B * S);
    const mask = new Float32Array(B * S * (P + S)).fill(-1e9);
    for (let b = 0; b < B; b++) {
      const c = chunks[b] as number[];
      const L = len(b);
      for (let i = 0; i < S; i++) {
        ids[b * S + i] = BigInt(i < c.length ? (c[i] as number) : 0);
        pos[b * S + i] = BigInt(Math.min(L + i, m.context - 1));
        const row = (b * S + i) * (P + S);
        mask.fill(0, row, row + L);
        mask.fill(0, row + P, row + P + i + 1);
      }
    }
    const feeds = { ids: new ort.Tensor('int64', ids, [B, S]), pos: new ort.Tensor('int64', pos, [B, S]), mask: new ort.Tensor('float32', mask, [B, 1, S, P + S]) };
    return { logits: await this.run(this.session, st, r0, chunks, S, feeds), S };
  }

  /**
   * Run a graph over rows r0 .. r0 + chunks.length - 1 with their KV cache (a contiguous slice of
   * the state's buffers) fed beside `feeds`; write the new keys/values (S per sequence) back.
   * Returns the logits.
   */
  private async run(session: ort.InferenceSession, st: State, r0: number, chunks: number[][], S: number, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
    const { H, D, cap: P } = st;
    const B = chunks.length;
    const block = H * P * D;
    const all: Record<string, ort.Tensor> = { ...feeds };
    for (let l = 0; l < this.config.layers; l++) {
      all[`k${l}`] = new ort.Tensor('float32', (st.k[l] as Float32Array).subarray(r0 * block, (r0 + B) * block), [B, H, P, D]);
      all[`v${l}`] = new ort.Tensor('float32', (st.v[l] as Float32Array).subarray(r0 * block, (r0 + B) * block), [B, H, P, D]);
    }
    const out = await session.run(all);
    for (let l = 0; l < this.config.layers; l++) st.write(l, out[`newk${l}`]?.data as Float32Array, out[`newv${l}`]?.data as Float32Array, S, chunks, r0);
    for (let b = 0; b < B; b++) st.len[r0 + b] = (st.len[r0 + b] as number) + (chunks[b] as number[]).length;
    return out['logits']?.data as Float32Array;
  }

  /**
   * Generate a continuation for each prompt, all sequences in one batch. Finished sequences
   * leave the batch (the cache is compacted once half of its rows are done).
   */
  async generate(prompts: readonly (readonly number[])[], o: GenerateOptions): Promise<Generation[]> {
    if (prompts.length === 0) return [];
    for (const p of prompts) if (p.length === 0) throw new TwError('empty prompt', 'a prompt holds at least one token, e.g. framing.encodePrompt(cmd)');
    const st = this.newState(prompts.length);
    try {
      return await this.generateIn(st, prompts, o);
    } finally {
      st.release();
    }
  }

  private async generateIn(st: State, prompts: readonly (readonly number[])[], o: GenerateOptions): Promise<Generation[]> {
    const m = this.config;
    const Vp = m.vocab;
    const stop = new Set(o.stop ?? [EOT]);
    const rng = o.rng ?? new Rng(0);
    const temperature = o.temperature ?? 0;
    const greedy = temperature <= 0;
    const mt = o.maxTokens;
    const limit = (i: number): number => (typeof mt === 'number' ? mt : (mt[i] ?? 0));
    const res: Generation[] = prompts.map(() => ({ tokens: [], logprobs: [], finish: 'length', reused: 0 }));
    // reuse the longest common prefix of a cache and its prompt (at most all but the last prompt
    // token: its logits are needed); causal attention makes each cached position depend on the
    // tokens up to it alone
    const reuse = prompts.map((p, i) => {
      const c = o.caches?.[i];
      const n = Math.min(c?.tokens.length ?? 0, p.length - 1);
      let j = 0;
      while (j < n && c?.tokens[j] === p[j]) j++;
      return j;
    });
    reuse.forEach((n, i) => ((res[i] as Generation).reused = n));
    const todo = prompts.map((p, i) => p.slice(reuse[i])); // what is left to feed, >= 1 token each
    // state row -> prompt index: the longest remainders first, so that prefill groups are contiguous rows
    let rows = prompts.map((_, i) => i).sort((a, b) => (todo[b] as number[]).length - (todo[a] as number[]).length || a - b);
    st.ensure(Math.max(1, ...prompts.map((p) => p.length)));
    rows.forEach((i, r) => (reuse[i] as number) > 0 && st.load(r, o.caches?.[i] as SeqCache, reuse[i] as number));
    // prefill in groups (see prefillGroups), keeping each row's last logits: (B,Vp)
    let logits: Float32Array = new Float32Array(rows.length * Vp);
    const finished = new Uint8Array(prompts.length);
    for (const [r0, r1] of prefillGroups(rows.map((i) => (todo[i] as number[]).length))) {
      const chunks = rows.slice(r0, r1).map((i) => todo[i] as number[]);
      const f = await this.feed(st, chunks, r0);
      chunks.forEach((c, b) => logits.set(f.logits.subarray((b * f.S + c.length - 1) * Vp, (b * f.S + c.length) * Vp), (r0 + b) * Vp));
    }
    for (;;) {
      const next: number[][] = [];
      for (let r = 0; r < rows.length; r++) {
        const i = rows[r] as number;
        const g = res[i] as Generation;
        if (finished[i]) {
          next.push([]);
          continue;
        }
        let tok: number;
        let lpTok: number;
        if (greedy) [tok, lpTok] = argmaxLogprob(logits, r * Vp);
        else {
          const lp = logSoftmax(logits, r * Vp);
          tok = pick(lp, temperature, o.topP ?? 1, rng);
          lpTok = lp[tok] as number;
        }
        g.tokens.push(tok);
        g.logprobs.push(lpTok);
        let done = true;
        if (stop.has(tok)) g.finish = 'stop';
        else if (g.tokens.length >= limit(i)) g.finish = 'length';
        else if ((st.len[r] as number) + 1 > m.context) g.finish = 'context';
        else done = false;
        finished[i] = done ? 1 : 0;
        if (done && o.keepCache) g.cache = st.extract(r, [...(prompts[i] as number[]), ...g.tokens.slice(0, -1)]);
        next.push(done ? [] : [tok]);
      }
      const live = next.map((c, r) => (c.length > 0 ? r : -1)).filter((r) => r >= 0);
      if (live.length === 0) break;
      let chunks = next;
      if (live.length * 2 <= rows.length) {
        st.select(live);
        rows = live.map((r) => rows[r] as number);
        chunks = live.map((r) => next[r] as number[]);
      }
      logits = (await this.feed(st, chunks)).logits;
    }
    return res;
  }

  /** Teacher-forced scores of `target` after `context` (one sequence). */
  async score(context: readonly number[], target: readonly number[], opts: { dists?: boolean } = {}): Promise<Score> {
    const [s] = await this.scoreMany([{ context, target }], opts);
    return s as Score;
  }

  /** Teacher-forced scores for several (context, target) pairs in one batch. */
  async scoreMany(items: readonly { context: readonly number[]; target: readonly number[] }[], opts: { dists?: boolean } = {}): Promise<Score[]> {
    const Vp = this.config.vocab;
    if (items.some((it) => it.context.length === 0)) throw new TwError('empty scoring context', 'start the context with at least one token (e.g. [CMD])');
    const st = this.newState(items.length);
    const { logits, S } = await this.feed(st, items.map((it) => [...it.context, ...it.target])).finally(() => st.release());
    return items.map((it, b) => {
      const sc: Score = { logprobs: [], top1: [], top1Prob: [], ...(opts.dists ? { dists: [] } : {}) };
      it.target.forEach((tok, i) => {
        const lp = logSoftmax(logits, (b * S + it.context.length - 1 + i) * Vp);
        let best = 0;
        for (let v = 1; v < VOCAB; v++) if ((lp[v] as number) > (lp[best] as number)) best = v;
        sc.logprobs.push(lp[tok] as number);
        sc.top1.push(best);
        sc.top1Prob.push(Math.exp(lp[best] as number));
        sc.dists?.push(Float32Array.from(lp, Math.exp));
      });
      return sc;
    });
  }

  /** Raw logits (S, Vp) of one sequence, for tests against the reference. */
  async logits(tokens: readonly number[]): Promise<Float32Array> {
    const st = this.newState(1);
    return (await this.feed(st, [[...tokens]]).finally(() => st.release())).logits;
  }

  /** Logits of one sequence fed in pieces (exercises the cache); rows of the last piece. */
  async logitsChunked(pieces: readonly (readonly number[])[]): Promise<Float32Array> {
    const st = this.newState(1);
    let last: Float32Array = new Float32Array(0);
    try {
      for (const p of pieces) last = (await this.feed(st, [[...p]])).logits;
    } finally {
      st.release();
    }
    return last;
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.step.release();
  }
}

const GROW = 32;

/**
 * Spare KV-cache backing buffers, largest first. A batch takes what it needs (2 per layer) and
 * gives them back when done; at most `keep` are held, the largest, so memory stays bounded by
 * what the biggest recent batch used.
 */
class BufferPool {
  private spare: Float32Array[] = [];

  constructor(private readonly keep = 64) {}

  take(n: number): Float32Array[] {
    return Array.from({ length: n }, () => this.spare.shift() ?? new Float32Array(0));
  }

  give(bufs: Float32Array[]): void {
    this.spare.push(...bufs.filter((b) => b.length > 0));
    this.spare.sort((a, b) => b.length - a.length);
    this.spare.length = Math.min(this.spare.length, this.keep);
  }
}

/**
 * Per-batch KV cache: k[l], v[l] (B,H,cap,D), and each sequence's length.
 *
 * The tensors are views at the front of larger backing buffers (one per layer for K and one for V).
 * Growing the capacity by GROW positions re-strides the rows in place (backwards, so no row is
 * overwritten before it moves); a backing buffer is replaced only when it is too small, then by
 * one twice as large (at most the whole context). Dropping finished rows compacts in place too.
 * Buffers come from, and go back to, the sampler's pool, so a new batch of the same size
 * allocates nothing: a fresh 8 x 67 MB allocation per growth step (page faults, zeroing, GC)
 * had cost about a fifth of a batch-32 decode step.
 */
class State {
  cap = 0;
  B: number;
  k: Float32Array[] = [];
  v: Float32Array[] = [];
  len: number[];
  readonly H: number;
  readonly D: number;
  /** backing buffers: [k0, v0, k1, v1, ...] */
  private store: Float32Array[];

  constructor(
    private readonly m: ModelConfig,
    B: number,
    private readonly pool: BufferPool,
  ) {
    this.B = B;
    this.len = new Array<number>(B).fill(0);
    this.H = m.heads;
    this.D = m.d / m.heads;
    this.store = pool.take(2 * m.layers);
  }

  /** Return the backing buffers to the pool (the state is unusable afterwards). */
  release(): void {
    this.pool.give(this.store);
    this.store = [];
    this.k = [];
    this.v = [];
  }

  private views(): void {
    const n = this.B * this.H * this.cap * this.D;
    for (let l = 0; l < this.m.layers; l++) {
      const ks = this.store[2 * l] as Float32Array;
      const vs = this.store[2 * l + 1] as Float32Array;
      this.k[l] = ks.subarray(0, n);
      this.v[l] = vs.subarray(0, n);
    }
  }

  /**
   * Grow the capacity to hold `need` positions, in steps of GROW slots (at most the context).
   * Attention reads the whole capacity every step, so a tight capacity saves memory traffic.
   */
  ensure(need: number): void {
    if (need <= this.cap && this.cap > 0) return;
    const cap = Math.min(Math.max(this.m.context, need), Math.ceil(Math.max(need, 1) / GROW) * GROW);
    const { B, H, D } = this;
    const rows = B * H;
    const old = this.cap;
    const full = rows * Math.max(this.m.context, need) * D;
    for (let i = 0; i < this.store.length; i++) {
      let a = this.store[i] as Float32Array;
      if (a.length < rows * cap * D) {
        const bigger = new Float32Array(Math.min(full, Math.max(rows * cap * D, 2 * a.length)));
        bigger.set(a.subarray(0, rows * old * D));
        a = bigger;
        this.store[i] = a;
      }
      // (rows, old, D) -> (rows, cap, D), last row first; clear the new slots
      for (let r = rows - 1; r >= 0; r--) {
        if (r > 0 && old > 0) a.copyWithin(r * cap * D, r * old * D, (r + 1) * old * D);
        a.fill(0, (r * cap + old) * D, (r + 1) * cap * D);
      }
    }
    this.cap = cap;
    this.views();
  }

  /** Copy the first n positions of a sequence cache into row b (capacity must already fit). */
  load(b: number, c: SeqCache, n: number): void {
    const { H, D, cap } = this;
    const cn = c.tokens.length;
    for (let l = 0; l < this.m.layers; l++) {
      const k = this.k[l] as Float32Array;
      const v = this.v[l] as Float32Array;
      const ck = c.k[l] as Float32Array;
      const cv = c.v[l] as Float32Array;
      for (let h = 0; h < H; h++) {
        k.set(ck.subarray(h * cn * D, (h * cn + n) * D), (b * H + h) * cap * D);
        v.set(cv.subarray(h * cn * D, (h * cn + n) * D), (b * H + h) * cap * D);
      }
    }
    this.len[b] = n;
  }

  /** Row b's cache as a standalone SeqCache (tight: exactly its length). */
  extract(b: number, tokens: number[]): SeqCache {
    const { H, D, cap } = this;
    const n = this.len[b] as number;
    if (tokens.length !== n) throw new Error(`internal: cache of ${n} positions for ${tokens.length} tokens`);
    const out: SeqCache = { tokens, k: [], v: [] };
    for (let l = 0; l < this.m.layers; l++) {
      const k = this.k[l] as Float32Array;
      const v = this.v[l] as Float32Array;
      const ck = new Float32Array(H * D * n);
      const cv = new Float32Array(H * n * D);
      for (let h = 0; h < H; h++) {
        ck.set(k.subarray((b * H + h) * cap * D, ((b * H + h) * cap + n) * D), h * n * D);
        cv.set(v.subarray((b * H + h) * cap * D, ((b * H + h) * cap + n) * D), h * n * D);
      }
      out.k.push(ck);
      out.v.push(cv);
    }
    return out;
  }

  /** Keep only the given rows (ascending), in place: for dropping finished sequences. */
  select(keep: number[]): void {
    const block = this.H * this.D * this.cap; // one sequence's rows in k or v
    for (const a of this.store) keep.forEach((b, j) => b !== j && a.copyWithin(j * block, b * block, (b + 1) * block));
    this.len = keep.map((b) => this.len[b] as number);
    this.B = keep.length;
    this.views();
  }

  /**
   * Write new keys/values (n,H,S,D) of the valid chunk positions at the end of rows r0 .. r0+n-1. Plain
   * loops: at decode time these are B*H runs of D floats per layer, too short for subarray+set
   * (an object per run) to pay.
   */
  write(l: number, nk: Float32Array, nv: Float32Array, S: number, chunks: number[][], r0 = 0): void {
    const { H, D, cap } = this;
    const k = this.k[l] as Float32Array;
    const v = this.v[l] as Float32Array;
    for (let b = 0; b < chunks.length; b++) {
      const nd = (chunks[b] as number[]).length * D;
      if (nd === 0) continue;
      const L = this.len[r0 + b] as number;
      for (let h = 0; h < H; h++) {
        const src = (b * H + h) * S * D;
        const dst = (((r0 + b) * H + h) * cap + L) * D;
        for (let i = 0; i < nd; i++) {
          k[dst + i] = nk[src + i] as number;
          v[dst + i] = nv[src + i] as number;
        }
      }
    }
  }

}
