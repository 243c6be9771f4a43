import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import type { ModelConfig } from './config.js';
import { CMD, EOT, OUT } from './framing.js';
import { initParams } from './params.js';
import { Sampler } from './sampler.js';

const m: ModelConfig = { d: 32, layers: 2, heads: 2, context: 48, vocab: 264, framing: 'turns', positions: 'learned', tokenizer: 'bytes' };

async function sampler(): Promise<Sampler> {
  const p = initParams(m, 2);
  const rng = new Rng(5);
  for (const a of p.values()) for (let i = 0; i < a.length; i++) a[i] = a[i]! + rng.normal() * 0.2;
  return Sampler.fromParams(m, p, 1);
}

describe('Sampler', () => {
  it('batched greedy decoding equals decoding each sequence alone, and log-probs equal teacher-forced scores', async () => {
    const s = await sampler();
    const prompts = [
      [CMD, 108, 115, OUT],
      [CMD, 112, 119, 100, 10, 9, 8, OUT],
      [CMD, OUT],
    ];
    const batched = await s.generate(prompts, { maxTokens: 12, stop: [] });
    for (let i = 0; i < prompts.length; i++) {
      const [alone] = await s.generate([prompts[i]!], { maxTokens: 12, stop: [] });
      expect(batched[i]?.tokens).toEqual(alone?.tokens);
      const sc = await s.score(prompts[i]!, batched[i]!.tokens);
      sc.logprobs.forEach((lp, j) => expect(lp).toBeCloseTo(batched[i]!.logprobs[j]!, 4));
      // greedy picks the argmax, so each generated token is the top-1 of the teacher-forced distribution
      expect(sc.top1).toEqual(batched[i]?.tokens);
      expect(batched[i]?.tokens.every((t) => t < 260)).toBe(true);
    }
  });

  it('stops on a stop token, at maxTokens, and at the context length', async () => {
    const s = await sampler();
    const [g] = await s.generate([[CMD, OUT]], { maxTokens: 5, stop: [] });
    expect(g?.tokens).toHaveLength(5);
    expect(g?.finish).toBe('length');
    const first = g!.tokens[0]!;
    const [st] = await s.generate([[CMD, OUT]], { maxTokens: 5, stop: [first] });
    expect(st?.tokens).toEqual([first]);
    expect(st?.finish).toBe('stop');
    const [c] = await s.generate([new Array<number>(40).fill(97)], { maxTokens: 100, stop: [] });
    expect(c?.finish).toBe('context');
    expect((c?.tokens.length ?? 0) + 40).toBe(m.context + 1);
  });

  it('temperature sampling is seeded and top-p = tiny collapses to greedy', async () => {
    const s = await sampler();
    const a = await s.generate([[CMD, OUT]], { maxTokens: 10, temperature: 1, rng: new Rng(3), stop: [EOT] });
    const b = await s.generate([[CMD, OUT]], { maxTokens: 10, temperature: 1, rng: new Rng(3), stop: [EOT] });
    expect(a[0]?.tokens).toEqual(b[0]?.tokens);
    const greedy = await s.generate([[CMD, OUT]], { maxTokens: 10, stop: [] });
    const nucleus = await s.generate([[CMD, OUT]], { maxTokens: 10, temperature: 1, topP: 1e-9, rng: new Rng(4), stop: [] });
    expect(nucleus[0]?.tokens).toEqual(greedy[0]?.tokens);
  });

  it('score returns full distributions that sum to 1', async () => {
    const s = await sampler();
    const sc = await s.score([CMD, 97, OUT], [98, 99], { dists: true });
    expect(sc.dists).toHaveLength(2);
    for (const d of sc.dists ?? []) expect(d.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 4);
    expect(sc.top1Prob[0]).toBeCloseTo(Math.max(...(sc.dists?.[0] ?? [])), 5);
  });
});

describe('Sampler batching', () => {
  it('per-prompt token limits, and sequences that finish early leave the batch without changing the others', async () => {
    const s = await sampler();
    const prompts = Array.from({ length: 6 }, (_, i) => [CMD, 97 + i, OUT]);
    const limits = [1, 2, 3, 20, 20, 25];
    const batched = await s.generate(prompts, { maxTokens: limits, stop: [] });
    expect(batched.map((g) => g.tokens.length)).toEqual(limits);
    for (const i of [3, 5]) {
      const [alone] = await s.generate([prompts[i]!], { maxTokens: limits[i]!, stop: [] });
      expect(batched[i]?.tokens).toEqual(alone?.tokens);
    }
  });
});

describe('Sampler KV cache buffers', () => {
  it('growing past several capacity steps and compacting in place, with reused buffers, gives the same tokens as each sequence alone', async () => {
    const big: ModelConfig = { ...m, context: 128 };
    const p = initParams(big, 3);
    const rng = new Rng(6);
    for (const a of p.values()) for (let i = 0; i < a.length; i++) a[i] = a[i]! + rng.normal() * 0.2;
    const s = await Sampler.fromParams(big, p, 1);
    // lengths cross the 32-position growth steps at different times; two rows finish early (compaction)
    const prompts = [3, 40, 70, 10].map((n, i) => Array.from({ length: n }, (_, j) => (j === 0 ? CMD : 97 + ((i * 7 + j) % 26))));
    const limits = [2, 3, 50, 110];
    const first = await s.generate(prompts, { maxTokens: limits, stop: [] });
    expect(first.map((g) => g.tokens.length)).toEqual([2, 3, 50, 110]);
    expect(first[3]?.finish).toBe('length');
    for (const [i, pr] of prompts.entries()) {
      const [alone] = await s.generate([pr], { maxTokens: limits[i]!, stop: [] });
      expect(first[i]?.tokens).toEqual(alone?.tokens);
      const sc = await s.score(pr, first[i]!.tokens);
      expect(sc.top1).toEqual(first[i]?.tokens);
      sc.logprobs.forEach((lp, j) => expect(lp).toBeCloseTo(first[i]!.logprobs[j]!, 4));
    }
    // the pool now holds buffers full of other sequences' keys and values: nothing may leak through
    const again = await s.generate(prompts, { maxTokens: limits, stop: [] });
    expect(again).toEqual(first);
  });
});

describe('Sampler calls', () => {
  it('generateEach: requests with options of their own in one batch give what each gives alone', async () => {
    const s = await sampler();
    const reqs = [
      { prompt: [CMD, 97, 98, OUT], maxTokens: 12, stop: [] },
      { prompt: [CMD, 120, 121, 122, OUT], maxTokens: 9, temperature: 1, topP: 0.9, rng: new Rng(3), stop: [EOT] },
      { prompt: [CMD, OUT], maxTokens: 20, stop: [] },
    ];
    const alone = [];
    for (const r of reqs) alone.push((await s.generateEach([{ ...r, rng: new Rng(3) }]))[0]);
    const before = s.stats.maxRows;
    const streamed: number[][] = [[], [], []];
    const batched = await s.generateEach(reqs.map((r, i) => ({ ...r, rng: new Rng(3), onToken: (tok: number) => streamed[i]?.push(tok) })));
    expect(batched.map((g) => g.tokens)).toEqual(alone.map((g) => g?.tokens));
    expect(streamed).toEqual(batched.map((g) => g.tokens));
    expect(batched.map((g) => g.tokens.length)).toEqual([12, alone[1]?.tokens.length, 20]);
    expect(before).toBe(1);
    expect(s.stats.maxRows).toBe(3);
  });

  it("a call made while another decodes waits for it (batching across callers is the BatchScheduler's), and both give what they give alone", async () => {
    const s = await sampler();
    const a = [CMD, 97, 98, OUT];
    const b = [CMD, 120, 121, 122, 123, 124, OUT];
    const [aloneA] = await s.generate([a], { maxTokens: 30, stop: [] });
    const [aloneB] = await s.generate([b], { maxTokens: 8, stop: [] });
    const before = { ...s.stats };
    const [[ga], [gb]] = await Promise.all([s.generate([a], { maxTokens: 30, stop: [] }), s.generate([b], { maxTokens: 8, stop: [] })]);
    expect(ga?.tokens).toEqual(aloneA?.tokens);
    expect(gb?.tokens).toEqual(aloneB?.tokens);
    gb?.logprobs.forEach((lp, j) => expect(lp).toBeCloseTo(aloneB!.logprobs[j]!, 4));
    // one batch after the other: 29 + 7 decode steps (the first token of each comes from its prompt)
    expect(s.stats.steps - before.steps).toBe(29 + 7);
  });

  it('a prompt longer than the context is refused with a fix and does not disturb a call in progress', async () => {
    const s = await sampler();
    const ok = s.generate([[CMD, 97, OUT]], { maxTokens: 5, stop: [] });
    await expect(s.generate([new Array<number>(m.context + 1).fill(97)], { maxTokens: 5 })).rejects.toThrow(/exceeds the context.*|fitContext/);
    expect((await ok)[0]?.tokens).toHaveLength(5);
  });
});

describe('Sampler prefix cache', () => {
  it('a kept cache continues a conversation exactly like re-feeding the whole history', async () => {
    const s = await sampler();
    const p1 = [
      [CMD, 97, OUT],
      [CMD, 98, 99, 100, OUT],
    ];
    const t1 = await s.generate(p1, { maxTokens: [6, 9], stop: [], keepCache: true });
    expect(t1[0]?.cache?.tokens).toEqual([...p1[0]!, ...(t1[0]?.tokens.slice(0, -1) ?? [])]);
    // turn 2: history + the generated answer + a new command
    const p2 = t1.map((g, i) => [...p1[i]!, ...g.tokens, CMD, 101, OUT]);
    const cached = await s.generate(p2, { maxTokens: 8, stop: [], caches: t1.map((g) => g.cache) });
    const fresh = await s.generate(p2, { maxTokens: 8, stop: [] });
    cached.forEach((g, i) => {
      expect(g.tokens).toEqual(fresh[i]?.tokens);
      g.logprobs.forEach((lp, j) => expect(lp).toBeCloseTo(fresh[i]!.logprobs[j]!, 4));
    });
    expect(cached.map((g) => g.reused)).toEqual(t1.map((g) => g.cache?.tokens.length));
    expect(fresh.map((g) => g.reused)).toEqual([0, 0]);
    // a cache that shares only its first token: that much is reused, nothing else is misused
    const other = await s.generate([[CMD, 120, OUT]], { maxTokens: 8, stop: [], caches: [t1[0]?.cache] });
    const plain = await s.generate([[CMD, 120, OUT]], { maxTokens: 8, stop: [] });
    expect(other[0]?.reused).toBe(1);
    expect(other[0]?.tokens).toEqual(plain[0]?.tokens);
  });

  it('a history that changed part-way (an older turn rewritten) reuses the cache up to the first change', async () => {
    const s = await sampler();
    const base = [CMD, 97, 98, OUT, 99, 100, 101, EOT, CMD, 102, OUT];
    const [t1] = await s.generate([base], { maxTokens: 6, stop: [], keepCache: true });
    const changed = [...base.slice(0, 5), 120, 121, ...base.slice(7), ...(t1?.tokens ?? []), CMD, 103, OUT];
    const [partial] = await s.generate([changed], { maxTokens: 10, stop: [], caches: [t1?.cache] });
    const [fresh] = await s.generate([changed], { maxTokens: 10, stop: [] });
    expect(partial?.reused).toBe(5);
    expect(partial?.tokens).toEqual(fresh?.tokens);
    partial?.logprobs.forEach((lp, j) => expect(lp).toBeCloseTo(fresh!.logprobs[j]!, 4));
  });
});
