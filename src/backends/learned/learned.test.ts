/**
 * End to end with a tiny model initialised (seeded) in the test: d=32, 2 layers, T=64. Untrained,
 * so its outputs are noise; what is tested is the plumbing: loading, decoding, logprobs, batching,
 * history, scoring, sampling seeds.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canScore, canSetHistory, type SessionSpec, type Turn } from '../../core/terminal.js';
import { getBackend } from '../registry.js';
import { learnedBackend, schedulerFor, unloadAll } from './index.js';
import type { SamplerEngine } from './engine.js';
import { tinyModelDir } from './testkit.js';

let dir = '';
const spec = (extra: Record<string, unknown> = {}): SessionSpec => ({ options: { model: dir, maxTokens: 24, ...extra } });

beforeAll(() => {
  dir = tinyModelDir();
});
afterAll(async () => {
  await unloadAll();
});

describe('learned backend (tiny random model)', () => {
  it('is in the registry and runs a session end to end', async () => {
    const b = await getBackend('learned');
    expect(b.name).toBe('learned');
    const t = await b.start(spec());
    const r = await t.run('ls');
    expect(r.cmd).toBe('ls');
    expect(r.logprobs?.length).toBeGreaterThan(0);
    expect(r.logprobs?.length).toBeLessThanOrEqual(24);
    for (const lp of r.logprobs ?? []) expect(lp).toBeLessThanOrEqual(0);
    expect(Number.isInteger(r.exit)).toBe(true);
    expect(typeof r.cwd).toBe('string');
    expect(t.info.backend).toBe('learned');
    await t.close();
    expect(t.dead).toBe(true);
  });

  it('greedy decoding is deterministic, and batched equals unbatched', async () => {
    const cmds = ['ls', 'pwd', 'echo hello', 'cat notes.txt', 'cd /tmp', 'python3 -c "print(1)"'];
    const sequential: string[] = [];
    for (const c of cmds) {
      const t = await learnedBackend.start(spec());
      const r = await t.run(c);
      const r2 = await t.run('ls -A');
      sequential.push(`${r.output.toString('hex')}|${r.exit}|${r2.output.toString('hex')}`);
    }
    const sched = await schedulerFor(spec());
    const before = sched.stats.maxBatchSeen;
    const terms = await Promise.all(cmds.map(() => learnedBackend.start(spec())));
    const batched = await Promise.all(
      terms.map(async (t, i) => {
        const r = await t.run(cmds[i] ?? '');
        const r2 = await t.run('ls -A');
        return `${r.output.toString('hex')}|${r.exit}|${r2.output.toString('hex')}`;
      }),
    );
    expect(sched.stats.maxBatchSeen).toBe(cmds.length); // all six handed to the engine at once
    expect((sched.engine as SamplerEngine).sampler.stats.maxRows).toBe(cmds.length); // and shared decode steps
    expect(before).toBeLessThanOrEqual(1);
    expect(batched).toEqual(sequential);
  });

  it('decodes at most maxBatch sequences at once: the rest wait for the next round and give the same turns', async () => {
    const cmds = ['ls', 'pwd', 'echo hello', 'cat notes.txt', 'cd /tmp'];
    const play = async (maxBatch: number): Promise<string[]> => {
      const terms = await Promise.all(cmds.map(() => learnedBackend.start(spec({ maxBatch }))));
      return Promise.all(
        terms.map(async (t, i) => {
          const r = await t.run(cmds[i] ?? '');
          return `${r.output.toString('hex')}|${r.exit}|${r.cwd}`;
        }),
      );
    };
    const capped = await schedulerFor(spec({ maxBatch: 2 }));
    expect(await play(2)).toEqual(await play(8));
    expect(capped.stats.maxBatchSeen).toBe(2);
    expect(capped.stats.batches).toBeGreaterThanOrEqual(3); // 5 sessions in rounds of at most 2
    expect((capped.engine as SamplerEngine).sampler.stats.maxRows).toBe(2);
  });

  it("keeps each session's KV cache between turns: the history is not fed again, and the turns are the same as without it", async () => {
    const cmds = ['ls', 'pwd', 'cd /tmp', 'echo hi', 'ls -A', 'cat x'];
    const play = async (kvCache: boolean): Promise<{ turns: string[]; reused: number; prompt: number }> => {
      const sched = await schedulerFor(spec({ kvCache }));
      const before = { ...sched.stats };
      const t = await learnedBackend.start(spec({ kvCache, maxTokens: 12 }));
      const turns: string[] = [];
      for (const c of cmds) {
        const r = await t.run(c);
        turns.push(`${r.output.toString('hex')}|${r.exit}|${r.cwd}|${r.logprobs?.map((x) => x.toFixed(4)).join(',')}`);
      }
      await t.close();
      return { turns, reused: sched.stats.reusedTokens - before.reusedTokens, prompt: sched.stats.promptTokens - before.promptTokens };
    };
    const off = await play(false);
    const on = await play(true);
    expect(on.turns).toEqual(off.turns);
    expect(off.reused).toBe(0);
    expect(on.prompt).toBe(off.prompt);
    expect(on.reused).toBeGreaterThan(0);
    expect(on.reused).toBeLessThan(on.prompt);
    await expect(learnedBackend.start(spec({ kvCache: 'yes' }))).rejects.toThrow(/kvCache must be true or false/);
  });

  it('scores the truth teacher-forced without changing the history', async () => {
    const t = await learnedBackend.start(spec());
    const hist: Turn[] = [{ cmd: 'cd /tmp', output: Buffer.alloc(0), exit: 0, cwd: '/tmp', ms: 0, timedOut: false, truncated: false }];
    if (!canSetHistory(t) || !canScore(t)) throw new Error('a learned terminal sets its history and scores');
    await t.setHistory(hist);
    const truth = { output: Buffer.from('/tmp\r\n'), exit: 0, cwd: '/tmp' };
    const a = await t.score('pwd', truth);
    const b = await t.score('pwd', truth);
    expect(a?.outputTokens).toBe(6);
    expect(a?.logp.length).toBe(6 + 1 + '0 /tmp'.length + 1);
    expect([...(a?.logp ?? [])]).toEqual([...(b?.logp ?? [])]);
    for (let i = 0; i < (a?.logp.length ?? 0); i++) {
      expect(a?.logp[i]).toBeLessThan(0);
      expect(a?.pMax[i]).toBeGreaterThanOrEqual(Math.exp(a?.logp[i] ?? 0) - 1e-9);
      expect(a?.sumSq[i]).toBeGreaterThan(0);
      expect(a?.sumSq[i]).toBeLessThanOrEqual(1);
    }
    // an untrained model is close to uniform over 260 symbols: ~8 bits per token
    const bits = -[...(a?.logp ?? [])].reduce((s, x) => s + x, 0) / (a?.logp.length ?? 1) / Math.LN2;
    expect(bits).toBeGreaterThan(6);
    expect(bits).toBeLessThan(10);
  });

  it('sampling is reproducible per seed and differs across seeds', async () => {
    const run = async (seed: number): Promise<string> => {
      const t = await learnedBackend.start(spec({ temperature: 1, seed }));
      return (await t.run('ls')).output.toString('hex');
    };
    const a = await run(1);
    expect(await run(1)).toBe(a);
    const others = [await run(2), await run(3)];
    expect(others.some((o) => o !== a)).toBe(true);
  });

  it('names the fix when the model folder is missing', async () => {
    await expect(learnedBackend.start({ options: { model: join(dir, 'nope') } })).rejects.toThrow(/no learned model/);
  });
});
