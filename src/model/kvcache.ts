/**
 * The KV cache of a batch of sequences, kept in JS and fed to onnxruntime as-is (see sampler.ts).
 *
 *   BatchCache  k[l], v[l] (B,H,cap,D) per layer, each sequence's length; grows, gains rows,
 *               drops rows, all in place, in buffers taken from and given back to a BufferPool
 *   SeqCache    one sequence's cache on its own (H,n,D), kept between calls (Sampler keepCache)
 *   prefillGroups  how to split a prefill of rows sorted longest first into graph runs
 *
 * Positions: a token's position is its slot in its row, 0 .. len-1 (the sampler feeds pos = len(b) + i
 * for the i-th new token of row b). With learned positions (wpe) the position is already mixed into
 * k and v by the embedding; with rotary positions (config.positions 'rotary', rope.ts) the graphs
 * rotate each new key by ITS OWN position before it is returned, and the cache keeps these rotated
 * keys (v is not rotated): a cached key is never rotated again, only the new query is rotated by the
 * new token's position, so q.k sees the difference of the two. Hence nothing here depends on the
 * position encoding, and a cache may only be reused for the same tokens at the same slots (a prefix,
 * as SeqCache reuse does), never shifted to other slots.
 */
import type { ModelConfig } from './config.js';
import { oob } from '../core/errors.js';

/** One sequence's KV cache: the tokens fed so far and, per layer, k and v (H,n,D). */
export interface SeqCache {
  tokens: number[];
  k: Float32Array[];
  v: Float32Array[];
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
      const c = (best[i] ?? oob()) + (j - i) * (lens[i] ?? oob()) + PREFILL_CALL_COST;
      if (c < (best[j] ?? oob())) {
        best[j] = c;
        from[j] = i;
      }
    }
  }
  const out: [number, number][] = [];
  for (let j = n; j > 0; j = from[j] ?? oob()) out.unshift([from[j] ?? oob(), j]);
  return out;
}

const GROW = 32;

/**
 * Spare KV-cache backing buffers, largest first. A batch takes what it needs (2 per layer) and
 * gives them back when done; at most `keep` are held, the largest, so memory stays bounded by
 * what the biggest recent batch used.
 */
export class BufferPool {
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
export class BatchCache {
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
      const ks = this.store[2 * l] ?? oob();
      const vs = this.store[2 * l + 1] ?? oob();
      this.k[l] = ks.subarray(0, n);
      this.v[l] = vs.subarray(0, n);
    }
  }

  /** Backing buffer i, replaced (its first `keep` floats kept) when it holds fewer than `floats`: by one twice as large, at most `max`. */
  private reserve(i: number, floats: number, keep: number, max = Number.POSITIVE_INFINITY): Float32Array {
    const a = this.store[i] ?? oob();
    if (a.length >= floats) return a;
    const bigger = new Float32Array(Math.min(max, Math.max(floats, 2 * a.length)));
    bigger.set(a.subarray(0, keep));
    this.store[i] = bigger;
    return bigger;
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
      const a = this.reserve(i, rows * cap * D, rows * old * D, full);
      // (rows, old, D) -> (rows, cap, D), last row first; clear the new slots
      for (let r = rows - 1; r >= 0; r--) {
        if (r > 0 && old > 0) a.copyWithin(r * cap * D, r * old * D, (r + 1) * old * D);
        a.fill(0, (r * cap + old) * D, (r + 1) * cap * D);
      }
    }
    this.cap = cap;
    this.views();
  }

  /** Add n empty rows at the end (B grows by n); returns the index of the first. */
  append(n: number): number {
    const r0 = this.B;
    const { H, D, cap } = this;
    const rows = this.B + n;
    for (let i = 0; i < this.store.length; i++) this.reserve(i, rows * H * cap * D, r0 * H * cap * D).fill(0, r0 * H * cap * D, rows * H * cap * D);
    this.B = rows;
    this.len.push(...new Array<number>(n).fill(0));
    this.views();
    return r0;
  }

  /** Row r becomes a copy of row sr of `src` (its first src.len[sr] positions); capacity must already fit. */
  copyRow(r: number, src: BatchCache, sr: number): void {
    const { H, D, cap } = this;
    const n = src.len[sr] ?? oob();
    if (n > cap) throw new Error(`internal: copying ${n} positions into a capacity of ${cap}`);
    for (let l = 0; l < this.m.layers; l++) {
      for (const [dst, from] of [
        [this.k[l], src.k[l]],
        [this.v[l], src.v[l]],
      ] as [Float32Array, Float32Array][]) {
        for (let h = 0; h < H; h++) {
          const at = (r * H + h) * cap * D;
          dst.set(from.subarray((sr * H + h) * src.cap * D, ((sr * H + h) * src.cap + n) * D), at);
          dst.fill(0, at + n * D, at + cap * D);
        }
      }
    }
    this.len[r] = n;
  }

  /** Copy the first n positions of a sequence cache into row b (capacity must already fit). */
  load(b: number, c: SeqCache, n: number): void {
    const { H, D, cap } = this;
    const cn = c.tokens.length;
    for (let l = 0; l < this.m.layers; l++) {
      const k = this.k[l] ?? oob();
      const v = this.v[l] ?? oob();
      const ck = c.k[l] ?? oob();
      const cv = c.v[l] ?? oob();
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
    const n = this.len[b] ?? oob();
    if (tokens.length !== n) throw new Error(`internal: cache of ${n} positions for ${tokens.length} tokens`);
    const out: SeqCache = { tokens, k: [], v: [] };
    for (let l = 0; l < this.m.layers; l++) {
      const k = this.k[l] ?? oob();
      const v = this.v[l] ?? oob();
      const ck = new Float32Array(H * n * D);
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
    this.len = keep.map((b) => this.len[b] ?? oob());
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
    const k = this.k[l] ?? oob();
    const v = this.v[l] ?? oob();
    for (let b = 0; b < chunks.length; b++) {
      const nd = (chunks[b] ?? oob()).length * D;
      if (nd === 0) continue;
      const L = this.len[r0 + b] ?? oob();
      for (let h = 0; h < H; h++) {
        const src = (b * H + h) * S * D;
        const dst = (((r0 + b) * H + h) * cap + L) * D;
        for (let i = 0; i < nd; i++) {
          k[dst + i] = nk[src + i] ?? oob();
          v[dst + i] = nv[src + i] ?? oob();
        }
      }
    }
  }
}
