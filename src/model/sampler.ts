/**
 * Inference: batched generation with a KV cache, and teacher-forced scoring. Needs only a
 * checkpoint folder (config.json + model.safetensors), never the training code.
 *
 *   const s = await Sampler.load('runs/x');                       // run folder or checkpoint folder
 *   const [g] = await s.generate([fitContext(history, 'ls', T, 256)], { maxTokens: 256, temperature: 0 });
 *   parseResult(g.tokens)                                         // -> { output, exit, cwd, complete }
 *   const sc = await s.score(contextTokens, targetTokens);        // logprob of each target token, top-1 id/prob
 *
 * The KV cache lives in JS (kvcache.ts): per layer K and V (B,H,P,D), P = capacity, grown in steps
 * of 32 positions up to the context length, in place, in buffers pooled across calls. Each call
 * feeds the cache to onnxruntime as-is (the Tensor wraps the Float32Array) and gets back only the
 * new keys/values (B,H,S,D), which are copied into place. Decode steps (one new token per
 * sequence) run a leaner graph of their own (gpt.decodeGraph); prompts and scoring run
 * gpt.inferGraph. A generate call is one batch, decoded until its last sequence finishes (see
 * decode); calls made meanwhile wait their turn. Gathering concurrent callers into batches is the
 * BatchScheduler's job (src/backends/learned/scheduler.ts: rounds, measured faster than letting
 * requests join a running batch). The sampling maths (log-softmax, greedy, temperature and top-p)
 * is in sampling.ts. Log-probabilities are the model's own (temperature 1), whatever the sampling
 * temperature.
 */
import { TwError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { loadModel } from './checkpoint.js';
import { type ModelConfig, realVocab } from './config.js';
import { BYTES, type Tokenizer } from './bpe.js';
import { EOT } from './framing.js';
import { decodeGraph, inferGraph } from './gpt.js';
import { openSession, ort } from './onnx.js';
import { BatchCache, BufferPool, prefillGroups, type SeqCache } from './kvcache.js';
import type { Params } from './params.js';
import { argmax, argmaxLogprob, logSoftmax, pick } from './sampling.js';
import { oob } from '../core/errors.js';

export type { SeqCache } from './kvcache.js';

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
  /** called with each generated token as it is picked (streaming), with the prompt's index */
  onToken?: (prompt: number, token: number, logprob: number) => void;
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

/** One sequence to generate with options of its own (Sampler.generateEach: a batch may mix them). */
export interface SampleRequest {
  prompt: readonly number[];
  /** most tokens to generate */
  maxTokens: number;
  /** 0 = greedy (default) */
  temperature?: number;
  /** nucleus sampling mass, default 1 */
  topP?: number;
  /** stop after generating any of these (included in the output); default [EOT] */
  stop?: readonly number[];
  /** randomness for temperature > 0; default new Rng(0) */
  rng?: Rng;
  /** a cache returned by an earlier call: its longest common prefix with the prompt is not fed again */
  cache?: SeqCache | null;
  /** return the cache after this request in `Generation.cache` */
  keepCache?: boolean;
  /** called with each generated token as it is picked (streaming) */
  onToken?: (token: number, logprob: number) => void;
}

/** One sequence inside the decoding loop. */
interface Request {
  prompt: readonly number[];
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: ReadonlySet<number>;
  rng: Rng;
  cache: SeqCache | null;
  keepCache: boolean;
  onToken: ((token: number, logprob: number) => void) | null;
  gen: Generation;
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

export class Sampler {
  /** KV-cache buffers of finished batches, reused by the next (see BatchCache) */
  private readonly pool = new BufferPool();
  /** the batch decoding now, or the last one: a generate call waits for it before its own */
  private busy: Promise<unknown> = Promise.resolve();
  /** decode steps run, most live rows in one step, sequences generated */
  readonly stats = { steps: 0, maxRows: 0, sequences: 0 };

  /** ids that may be sampled (config.realVocab) */
  private readonly nReal: number;

  private constructor(
    readonly config: ModelConfig,
    private readonly session: ort.InferenceSession,
    /** the S = 1 graph (gpt.decodeGraph) */
    private readonly step: ort.InferenceSession,
    /** how the model's ids map to bytes (bpe.ts): callers frame prompts and read results with it */
    readonly tokenizer: Tokenizer,
  ) {
    this.nReal = realVocab(config);
    if (tokenizer.size !== this.nReal)
      throw new TwError(
        `the model emits ${this.nReal} ids but its tokenizer (${tokenizer.kind}) has ${tokenizer.size}`,
        'load the model with the tokenizer saved beside it (Sampler.load reads tokenizer.json)',
      );
  }

  /**
   * Weights are baked into the session's graph (see gpt.inferGraph). Threads: onnxruntime intra-op
   * threads, default TW_ENGINE_THREADS or 2 (on a loaded machine 1 is often faster: `tw bench engine`).
   */
  static async fromParams(m: ModelConfig, params: Params, threads = defaultThreads(), tokenizer: Tokenizer = BYTES): Promise<Sampler> {
    return new Sampler(m, await openSession(inferGraph(m, params), { threads }), await openSession(decodeGraph(m, params), { threads }), tokenizer);
  }

  /** A checkpoint folder or a `tw train` run folder (its latest checkpoint). */
  static async load(dir: string, threads = defaultThreads()): Promise<Sampler> {
    const { info, params, tokenizer } = loadModel(dir);
    return Sampler.fromParams(info.model, params, threads, tokenizer);
  }

  /** A fresh batch cache: empty caches for B sequences, buffers from the pool. */
  private newBatchCache(B: number): BatchCache {
    return new BatchCache(this.config, B, this.pool);
  }

  /**
   * Feed chunks[b] (possibly empty) to sequence r0 + b: the rows r0 .. r0 + chunks.length - 1 of
   * the state (by default all of them), extending their caches. Returns logits (n,S,Vp) with
   * S = the longest chunk; row (b, i) is the next-token distribution after chunks[b][i].
   */
  private async feed(st: BatchCache, chunks: number[][], r0 = 0): Promise<{ logits: Float32Array; S: number }> {
    const m = this.config;
    const B = chunks.length;
    const S = Math.max(1, ...chunks.map((c) => c.length));
    const len = (b: number): number => st.len[r0 + b] ?? oob();
    for (let b = 0; b < B; b++) {
      if (len(b) + (chunks[b] ?? oob()).length > m.context)
        throw new TwError(
          `sequence ${r0 + b} would exceed the context of ${m.context} tokens`,
          'shorten the prompt (framing.fitContext keeps the most recent turns that fit)',
        );
    }
    st.ensure(Math.max(...chunks.map((c, b) => len(b) + c.length)));
    const P = st.cap;
    if (S === 1) {
      // one decode step: at most one token per sequence (empty chunks are fed token 0 and not cached)
      const ids = new BigInt64Array(B);
      const pos = new BigInt64Array(B);
      const mask = new Float32Array(B * (P + 1));
      for (let b = 0; b < B; b++) {
        const c = chunks[b] ?? oob();
        ids[b] = BigInt(c.length > 0 ? (c[0] ?? oob()) : 0);
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
      const c = chunks[b] ?? oob();
      const L = len(b);
      for (let i = 0; i < S; i++) {
        ids[b * S + i] = BigInt(i < c.length ? (c[i] ?? oob()) : 0);
        pos[b * S + i] = BigInt(Math.min(L + i, m.context - 1));
        const row = (b * S + i) * (P + S);
        mask.fill(0, row, row + L);
        mask.fill(0, row + P, row + P + i + 1);
      }
    }
    const feeds = {
      ids: new ort.Tensor('int64', ids, [B, S]),
      pos: new ort.Tensor('int64', pos, [B, S]),
      mask: new ort.Tensor('float32', mask, [B, 1, S, P + S]),
    };
    return { logits: await this.run(this.session, st, r0, chunks, S, feeds), S };
  }

  /**
   * Run a graph over rows r0 .. r0 + chunks.length - 1 with their KV cache (a contiguous slice of
   * the state's buffers) fed beside `feeds`; write the new keys/values (S per sequence) back.
   * Returns the logits.
   */
  private async run(
    session: ort.InferenceSession,
    st: BatchCache,
    r0: number,
    chunks: number[][],
    S: number,
    feeds: Record<string, ort.Tensor>,
  ): Promise<Float32Array> {
    const { H, D, cap: P } = st;
    const B = chunks.length;
    const block = H * P * D;
    const all: Record<string, ort.Tensor> = { ...feeds };
    for (let l = 0; l < this.config.layers; l++) {
      all[`k${l}`] = new ort.Tensor('float32', (st.k[l] ?? oob()).subarray(r0 * block, (r0 + B) * block), [B, H, P, D]);
      all[`v${l}`] = new ort.Tensor('float32', (st.v[l] ?? oob()).subarray(r0 * block, (r0 + B) * block), [B, H, P, D]);
    }
    const out = await session.run(all);
    for (let l = 0; l < this.config.layers; l++) st.write(l, out[`newk${l}`]?.data as Float32Array, out[`newv${l}`]?.data as Float32Array, S, chunks, r0);
    for (let b = 0; b < B; b++) st.len[r0 + b] = (st.len[r0 + b] ?? oob()) + (chunks[b] ?? oob()).length;
    return out['logits']?.data as Float32Array;
  }

  /**
   * Generate a continuation for each prompt, all in one batch (decoded together; each sequence
   * leaves the batch when it finishes). A call made while another decodes waits for it.
   */
  generate(prompts: readonly (readonly number[])[], o: GenerateOptions): Promise<Generation[]> {
    const rng = o.rng ?? new Rng(0);
    const mt = o.maxTokens;
    return this.generateEach(
      prompts.map(
        (prompt, i): SampleRequest => ({
          prompt,
          maxTokens: typeof mt === 'number' ? mt : (mt[i] ?? 0),
          temperature: o.temperature,
          topP: o.topP,
          stop: o.stop,
          rng,
          cache: o.caches?.[i],
          keepCache: o.keepCache,
          onToken: o.onToken ? (tok, lp) => o.onToken?.(i, tok, lp) : undefined,
        }),
      ),
    );
  }

  /**
   * Generate one continuation per request, each with its own options, all in one batch (the
   * learned backend's sessions differ in limits, stop tokens, caches and their own Rng). A call
   * made while another decodes waits for it. Results in request order.
   */
  async generateEach(requests: readonly SampleRequest[]): Promise<Generation[]> {
    if (requests.length === 0) return [];
    const T = this.config.context;
    for (const r of requests) {
      if (r.prompt.length === 0) throw new TwError('empty prompt', 'a prompt holds at least one token, e.g. framing.encodePrompt(cmd)');
      if (r.prompt.length > T)
        throw new TwError(
          `a prompt of ${r.prompt.length} tokens exceeds the context of ${T} tokens`,
          'shorten the prompt (framing.fitContext keeps the most recent turns that fit)',
        );
    }
    const reqs = requests.map(
      (r): Request => ({
        prompt: r.prompt,
        maxTokens: r.maxTokens,
        temperature: r.temperature ?? 0,
        topP: r.topP ?? 1,
        stop: new Set(r.stop ?? [EOT]),
        rng: r.rng ?? new Rng(0),
        cache: r.cache ?? null,
        keepCache: r.keepCache ?? false,
        onToken: r.onToken ?? null,
        gen: { tokens: [], logprobs: [], finish: 'length', reused: 0 },
      }),
    );
    const run = this.busy.then(() => this.decode(reqs));
    this.busy = run.catch(() => undefined);
    await run;
    return reqs.map((r) => r.gen);
  }

  /**
   * The decoding loop of one batch:
   *  1. the prompts are fed (admit: longest first, in groups of similar length, see prefillGroups);
   *  2. every live row picks its next token from its last logits; a row that stops, reaches its
   *     limit or the context is done, and its row free;
   *  3. one decode step over the rows (free rows are fed a dummy token that is not cached); when
   *     half the rows are free, the batch is compacted first.
   * Sampling draws each row's token from its request's Rng, rows in order, so a seeded call is
   * reproducible.
   */
  private async decode(reqs: Request[]): Promise<void> {
    const Vp = this.config.vocab;
    const adm = await this.admit(reqs);
    const st = adm.st;
    let rows: (Request | null)[] = adm.order;
    let logits = adm.logits;
    try {
      for (;;) {
        // 2. pick
        let chunks: number[][] = rows.map(() => []);
        for (let r = 0; r < rows.length; r++) {
          const req = rows[r];
          if (!req) continue;
          const g = req.gen;
          let tok: number;
          let lpTok: number;
          if (req.temperature <= 0) [tok, lpTok] = argmaxLogprob(logits, r * Vp, this.nReal);
          else {
            const lp = logSoftmax(logits, r * Vp, this.nReal);
            tok = pick(lp, req.temperature, req.topP, req.rng);
            lpTok = lp[tok] ?? oob();
          }
          g.tokens.push(tok);
          g.logprobs.push(lpTok);
          req.onToken?.(tok, lpTok);
          let finished = true;
          if (req.stop.has(tok)) g.finish = 'stop';
          else if (g.tokens.length >= req.maxTokens) g.finish = 'length';
          else if ((st.len[r] ?? oob()) + 1 > this.config.context) g.finish = 'context';
          else finished = false;
          if (!finished) {
            chunks[r] = [tok];
            continue;
          }
          if (req.keepCache) g.cache = st.extract(r, [...req.prompt, ...g.tokens.slice(0, -1)]);
          rows[r] = null;
        }
        const still = rows.map((r, i) => (r !== null ? i : -1)).filter((i) => i >= 0);
        if (still.length === 0) return;
        if (still.length * 2 <= rows.length) {
          st.select(still);
          rows = still.map((i) => rows[i] as Request);
          chunks = still.map((i) => chunks[i] ?? oob());
        }
        // 3. decode
        this.stats.steps++;
        this.stats.maxRows = Math.max(this.stats.maxRows, still.length);
        logits = (await this.feed(st, chunks)).logits;
      }
    } finally {
      st.release();
    }
  }

  /**
   * Feed the prompts of a batch: reuse each request's cache (its longest common prefix with the
   * prompt, at most all but the last token: its logits are needed), then the rest, longest first,
   * in groups (prefillGroups). Returns the batch, the requests in its row order, and each row's
   * last logits (n,Vp).
   */
  private async admit(reqs: Request[]): Promise<{ st: BatchCache; order: Request[]; logits: Float32Array }> {
    const Vp = this.config.vocab;
    for (const r of reqs) {
      const c = r.cache;
      const n = Math.min(c?.tokens.length ?? 0, r.prompt.length - 1);
      let j = 0;
      while (j < n && c?.tokens[j] === r.prompt[j]) j++;
      r.gen.reused = j;
    }
    const order = [...reqs].sort((a, b) => b.prompt.length - b.gen.reused - (a.prompt.length - a.gen.reused));
    const st = this.newBatchCache(order.length);
    try {
      st.ensure(Math.max(1, ...order.map((r) => r.prompt.length)));
      order.forEach((r, i) => r.gen.reused > 0 && st.load(i, r.cache as SeqCache, r.gen.reused));
      const todo = order.map((r) => r.prompt.slice(r.gen.reused));
      const logits = new Float32Array(order.length * Vp);
      for (const [r0, r1] of prefillGroups(todo.map((t) => t.length))) {
        const chunks = todo.slice(r0, r1);
        const f = await this.feed(st, chunks, r0);
        chunks.forEach((c, b) => logits.set(f.logits.subarray((b * f.S + c.length - 1) * Vp, (b * f.S + c.length) * Vp), (r0 + b) * Vp));
      }
      this.stats.sequences += order.length;
      return { st, order, logits };
    } catch (e) {
      st.release();
      throw e;
    }
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
    const st = this.newBatchCache(items.length);
    const { logits, S } = await this.feed(
      st,
      items.map((it) => [...it.context, ...it.target]),
    ).finally(() => st.release());
    return items.map((it, b) => {
      const sc: Score = { logprobs: [], top1: [], top1Prob: [], ...(opts.dists ? { dists: [] } : {}) };
      it.target.forEach((tok, i) => {
        const lp = logSoftmax(logits, (b * S + it.context.length - 1 + i) * Vp, this.nReal);
        const best = argmax(lp);
        sc.logprobs.push(lp[tok] ?? oob());
        sc.top1.push(best);
        sc.top1Prob.push(Math.exp(lp[best] ?? oob()));
        sc.dists?.push(Float32Array.from(lp, Math.exp));
      });
      return sc;
    });
  }

  /** Raw logits (S, Vp) of one sequence, for tests against the reference. */
  async logits(tokens: readonly number[]): Promise<Float32Array> {
    const st = this.newBatchCache(1);
    return (await this.feed(st, [[...tokens]]).finally(() => st.release())).logits;
  }

  /** Logits of one sequence fed in pieces (exercises the cache); rows of the last piece. */
  async logitsChunked(pieces: readonly (readonly number[])[]): Promise<Float32Array> {
    const st = this.newBatchCache(1);
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
