/**
 * The learned backend's view of the model: the engine's Sampler (src/model/sampler.ts) behind the
 * small LearnedEngine interface the scheduler batches over.
 *
 * Each request may carry its session's KV cache from the previous turn; the cache after this turn
 * comes back with the result (Sampler keepCache), so a session's history is fed once, not every
 * turn, until fitContext starts dropping old turns.
 */
import { readCheckpointInfo, resolveModelDir } from '../../model/checkpoint.js';
import type { Tokenizer } from '../../model/bpe.js';
import type { Framing } from '../../model/framing.js';
import { Sampler, type Score } from '../../model/sampler.js';
import type { GenRequest, GenResult, LearnedEngine, ScoreResult } from './scheduler.js';

export class SamplerEngine implements LearnedEngine {
  constructor(readonly sampler: Sampler) {}

  get context(): number {
    return this.sampler.config.context;
  }

  get framing(): Framing {
    return this.sampler.config.framing;
  }

  get tokenizer(): Tokenizer {
    return this.sampler.tokenizer;
  }

  /**
   * A batch: one Sampler.generateEach call, decoded together. Each request keeps its own limit,
   * stop set, cache, streaming callback and, when sampling, its session's Rng (so a session's
   * samples depend on its seed alone, whatever shares its batch).
   */
  async generate(batch: readonly GenRequest[]): Promise<GenResult[]> {
    const gens = await this.sampler.generateEach(
      batch.map((r) => ({
        prompt: r.prompt,
        maxTokens: r.maxNew,
        temperature: r.temperature,
        topP: r.topP,
        stop: r.stop,
        cache: r.cache,
        keepCache: r.keepCache ?? false,
        ...(r.rng ? { rng: r.rng } : {}),
        ...(r.onToken ? { onToken: r.onToken } : {}),
      })),
    );
    return gens.map((g) => ({ tokens: g.tokens, logprobs: g.logprobs, reused: g.reused, ...(g.cache ? { cache: g.cache } : {}) }));
  }

  async score(prefix: readonly number[], target: readonly number[]): Promise<ScoreResult> {
    const [r] = await this.scoreMany([{ prefix, target }]);
    if (!r) throw new Error('internal: no score');
    return r;
  }

  async scoreMany(items: readonly { prefix: readonly number[]; target: readonly number[] }[]): Promise<ScoreResult[]> {
    const scores = await this.sampler.scoreMany(
      items.map((it) => ({ context: it.prefix, target: it.target })),
      { dists: true },
    );
    return items.map((it, i) => toScoreResult(scores[i], it.target));
  }

  async close(): Promise<void> {
    await this.sampler.release();
  }
}

/** The scheduler's per-token stats from a Sampler score (sum of squares from the full distribution). */
function toScoreResult(s: Score | undefined, target: readonly number[]): ScoreResult {
  if (!s) throw new Error('internal: engine returned fewer scores than requests');
  const n = target.length;
  const r: ScoreResult = { logp: new Float64Array(n), pMax: new Float64Array(n), argmaxCorrect: new Uint8Array(n), sumSq: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    r.logp[i] = s.logprobs[i] ?? -Infinity;
    r.pMax[i] = s.top1Prob[i] ?? 0;
    r.argmaxCorrect[i] = s.top1[i] === target[i] ? 1 : 0;
    const d = s.dists?.[i];
    let sq = 0;
    if (d) for (let v = 0; v < d.length; v++) sq += (d[v] ?? 0) ** 2;
    r.sumSq[i] = sq;
  }
  return r;
}

export async function loadEngine(dirOrRun: string): Promise<{ engine: SamplerEngine; dir: string; step: number }> {
  const dir = resolveModelDir(dirOrRun);
  const info = readCheckpointInfo(dir);
  return { engine: new SamplerEngine(await Sampler.load(dir)), dir, step: info.step };
}
