/**
 * Batching for the learned backend: many sessions share decode steps.
 *
 * Every LearnedTerminal of one model submits its generation requests here. The scheduler gathers
 * the requests submitted before the current event-loop turn ends and hands them to the engine in
 * one call (up to `maxBatch` sequences), at once, even while earlier calls still decode: the
 * Sampler batches continuously, so they join its running batch (see Sampler.drive). Scoring
 * requests (teacher-forced) are gathered the same way into one batched forward pass, one round at
 * a time.
 */
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
  /** Decode a batch together; results in request order. */
  generate(batch: readonly GenRequest[]): Promise<GenResult[]>;
  /**
   * Engines that batch continuously (the Sampler) take requests one by one instead, each resolved
   * as soon as it finishes, so a session does not wait for the slowest request of its round.
   */
  submit?(req: GenRequest): Promise<GenResult>;
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
  /** engine.generate calls, the requests they carried, and the most in one call */
  batches: number;
  sequences: number;
  maxBatchSeen: number;
  /** prompt tokens of all generation requests, and how many of them came from a kept KV cache */
  promptTokens: number;
  reusedTokens: number;
  scores: number;
  scoreBatches: number;
}

export class BatchScheduler {
  private genQueue: { req: GenRequest; p: Pending<GenResult> }[] = [];
  private scoreQueue: { prefix: readonly number[]; target: readonly number[]; p: Pending<ScoreResult> }[] = [];
  private flushing = false;
  private scoring = false;
  readonly stats: SchedulerStats = { batches: 0, sequences: 0, maxBatchSeen: 0, promptTokens: 0, reusedTokens: 0, scores: 0, scoreBatches: 0 };

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

  /** Flush on the next macrotask, so that callers in the same turn share one engine call. */
  private kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      this.dispatch();
      if (!this.scoring && this.scoreQueue.length > 0) void this.scoreLoop();
    });
  }

  /**
   * Hand every waiting generation request to the engine at once (in calls of at most maxBatch),
   * without waiting for calls still in flight: an engine that batches continuously (the Sampler)
   * lets them join its running batch, so a session whose turn ends starts its next one while
   * other sessions are still decoding.
   */
  private dispatch(): void {
    while (this.genQueue.length > 0) {
      const batch = this.genQueue.splice(0, this.maxBatch);
      this.stats.batches++;
      this.stats.sequences += batch.length;
      this.stats.maxBatchSeen = Math.max(this.stats.maxBatchSeen, batch.length);
      const settle = (b: (typeof batch)[number], r: GenResult | undefined): void => {
        this.stats.promptTokens += b.req.prompt.length;
        this.stats.reusedTokens += r?.reused ?? 0;
        if (r) b.p.resolve(r);
        else b.p.reject(new Error('internal: engine returned fewer results than requests'));
      };
      const { submit } = this.engine;
      if (submit) for (const b of batch) submit.call(this.engine, b.req).then((r) => settle(b, r), b.p.reject);
      else
        this.engine.generate(batch.map((b) => b.req)).then(
          (out) => batch.forEach((b, i) => settle(b, out[i])),
          (e: unknown) => batch.forEach((b) => b.p.reject(e)),
        );
    }
  }

  /** Scorings, gathered into one batched forward pass per round, one round at a time. */
  private async scoreLoop(): Promise<void> {
    this.scoring = true;
    try {
      while (this.scoreQueue.length > 0) {
        const items = this.scoreQueue.splice(0, this.maxBatch);
        try {
          const out = this.engine.scoreMany ? await this.engine.scoreMany(items) : await Promise.all(items.map((it) => this.engine.score(it.prefix, it.target)));
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
      }
    } finally {
      this.scoring = false;
    }
  }
}
