/**
 * Batching for the learned backend: many sessions share decode steps.
 *
 * Every LearnedTerminal of one model submits its generation requests here. The scheduler gathers
 * all pending requests (those submitted before the current event-loop turn ends), runs them as
 * ONE batched decode (up to `maxBatch` sequences), and resolves each. Requests that arrive while a
 * batch is decoding wait for the next round. Scoring requests (teacher-forced) are gathered the
 * same way into one batched forward pass, in the same loop, so the model never runs two calls at once.
 *
 * These rounds are the model's one batching path: the Sampler decodes the batch it is given (the
 * Tier 3 policy batches through a scheduler too). A round's batch shrinks as its sequences finish.
 * Letting requests join a running batch instead (the Sampler's continuous admission, removed
 * 2026-12-07) measured slower: on 32 sessions of the shipped model, alternated in one process,
 * 38.6 vs 58.8 turns/s greedy and 33.0 vs 47.5 sampled (best of 6 and 4 pairs, docs/learned.md).
 */
import type { Tokenizer } from '../../model/bpe.js';
import type { Framing } from '../../model/framing.js';
import type { Rng } from '../../core/rng.js';
import type { SeqCache } from '../../model/sampler.js';

export interface GenRequest {
  /** Prompt token ids (context already fitted). */
  prompt: number[];
  /** Most new tokens to generate. */
  maxNew: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** Sampling randomness (unused when greedy). */
  rng: Rng | null;
  /** Stop after any of these tokens (included in the result). */
  stop: readonly number[];
  /** The session's KV cache from its previous request: its longest common prefix with `prompt` is not fed again. */
  cache?: SeqCache | null;
  /** return the KV cache after this request in GenResult.cache (sessions that keep one) */
  keepCache?: boolean;
  /** called with each generated token as it is picked (streaming) */
  onToken?: (token: number, logprob: number) => void;
}

export interface GenResult {
  tokens: number[];
  /** ln p of each generated token under the model (before temperature). */
  logprobs: number[];
  /** The KV cache after this request, to pass back with the session's next one (engines that keep one). */
  cache?: SeqCache;
  /** Prompt tokens taken from the request's cache instead of being fed. */
  reused?: number;
}

export interface ScoreResult {
  logp: Float64Array;
  pMax: Float64Array;
  argmaxCorrect: Uint8Array;
  sumSq: Float64Array;
}

/** What the scheduler needs from the model. */
export interface LearnedEngine {
  readonly context: number;
  /** how the model was trained to read sessions (src/model/framing.ts, src/model/stateframing.ts) */
  readonly framing: Framing;
  /** how its ids map to bytes (src/model/bpe.ts); absent: bytes */
  readonly tokenizer?: Tokenizer;
  /** Decode a batch together; results in request order. */
  generate(batch: readonly GenRequest[]): Promise<GenResult[]>;
  /** Teacher-forced per-token stats of `target` following `prefix` (prefix + target <= context). */
  score(prefix: readonly number[], target: readonly number[]): Promise<ScoreResult>;
  /** Several scorings in one batched forward pass; results in order. */
  scoreMany?(items: readonly { prefix: readonly number[]; target: readonly number[] }[]): Promise<ScoreResult[]>;
  close?(): Promise<void>;
}

interface Pending<R> {
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export interface SchedulerStats {
  batches: number;
  sequences: number;
  /** prompt tokens of all generation requests, and how many of them came from a kept KV cache */
  promptTokens: number;
  reusedTokens: number;
  maxBatchSeen: number;
  scores: number;
  scoreBatches: number;
}

export class BatchScheduler {
  private genQueue: { req: GenRequest; p: Pending<GenResult> }[] = [];
  private scoreQueue: { prefix: readonly number[]; target: readonly number[]; p: Pending<ScoreResult> }[] = [];
  private running = false;
  readonly stats: SchedulerStats = { batches: 0, sequences: 0, promptTokens: 0, reusedTokens: 0, maxBatchSeen: 0, scores: 0, scoreBatches: 0 };

  constructor(
    readonly engine: LearnedEngine,
    readonly maxBatch = 32,
  ) {}

  generate(req: GenRequest): Promise<GenResult> {
    return new Promise((resolve, reject) => {
      this.genQueue.push({ req, p: { resolve, reject } });
      this.kick();
    });
  }

  score(prefix: readonly number[], target: readonly number[]): Promise<ScoreResult> {
    return new Promise((resolve, reject) => {
      this.scoreQueue.push({ prefix, target, p: { resolve, reject } });
      this.kick();
    });
  }

  /** Start the loop on the next macrotask, so that callers in the same turn join the batch. */
  private kick(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.genQueue.length > 0 || this.scoreQueue.length > 0) {
        if (this.scoreQueue.length > 0) {
          const items = this.scoreQueue.splice(0, this.maxBatch);
          try {
            const out = this.engine.scoreMany
              ? await this.engine.scoreMany(items)
              : await Promise.all(items.map((it) => this.engine.score(it.prefix, it.target)));
            items.forEach((it, i) => {
              const r = out[i];
              if (r) it.p.resolve(r);
              else it.p.reject(new Error('internal: engine returned fewer scores than requests'));
            });
            this.stats.scores += items.length;
            this.stats.scoreBatches++;
          } catch (e) {
            for (const it of items) it.p.reject(e);
          }
          continue;
        }
        const batch = this.genQueue.splice(0, this.maxBatch);
        this.stats.batches++;
        this.stats.sequences += batch.length;
        this.stats.maxBatchSeen = Math.max(this.stats.maxBatchSeen, batch.length);
        try {
          const out = await this.engine.generate(batch.map((b) => b.req));
          batch.forEach((b, i) => {
            const r = out[i];
            this.stats.promptTokens += b.req.prompt.length;
            this.stats.reusedTokens += r?.reused ?? 0;
            if (r) b.p.resolve(r);
            else b.p.reject(new Error('internal: engine returned fewer results than requests'));
          });
        } catch (e) {
          for (const b of batch) b.p.reject(e);
        }
        // Let sessions whose turn just finished submit their next command into the next batch.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
      if (this.genQueue.length > 0 || this.scoreQueue.length > 0) this.kick();
    }
  }
}
