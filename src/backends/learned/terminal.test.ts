import { describe, expect, it } from 'vitest';
import { CMD, EOT, EXIT, OUT } from '../../model/framing.js';
import { BatchScheduler, type GenRequest, type GenResult, type LearnedEngine, type ScoreResult } from './scheduler.js';
import { LearnedTerminal, settingsFrom } from './terminal.js';

const bytes = (s: string): number[] => [...Buffer.from(s)];

/** A scripted engine: answers each prompt with the next scripted token list; records batch sizes. */
class Scripted implements LearnedEngine {
  readonly framing = 'turns' as const;
  readonly context = 64;
  readonly batches: number[] = [];
  readonly prompts: number[][] = [];
  readonly temperatures: number[] = [];
  constructor(private readonly answers: number[][]) {}
  async generate(batch: readonly GenRequest[]): Promise<GenResult[]> {
    this.batches.push(batch.length);
    return batch.map((r) => {
      this.prompts.push([...r.prompt]);
      this.temperatures.push(r.temperature);
      const a = (this.answers.shift() ?? []).slice(0, r.maxNew);
      return { tokens: a, logprobs: a.map(() => -0.5) };
    });
  }
  async score(prefix: readonly number[], target: readonly number[]): Promise<ScoreResult> {
    const n = target.length;
    return { logp: new Float64Array(n).fill(-1), pMax: new Float64Array(n).fill(0.5), argmaxCorrect: new Uint8Array(n), sumSq: new Float64Array(n).fill(0.3 + 0 * prefix.length) };
  }
}

const make = (answers: number[][], options: Record<string, unknown> = {}): { t: LearnedTerminal; e: Scripted; s: BatchScheduler } => {
  const e = new Scripted(answers);
  const s = new BatchScheduler(e, 8);
  const t = new LearnedTerminal(s, e.context, settingsFrom({ options }, e.context), { backend: 'learned', mode: 'pty' });
  return { t, e, s };
};

describe('learned terminal (scripted engine)', () => {
  it('parses output, exit and cwd, and conditions the next prompt on the history', async () => {
    const { t, e } = make([[...bytes('a.txt\r\n'), EXIT, ...bytes('0 /root/p'), EOT], [EXIT, ...bytes('2 /root/p'), EOT]]);
    const r = await t.run('ls');
    expect(r.output.toString()).toBe('a.txt\r\n');
    expect(r.exit).toBe(0);
    expect(r.cwd).toBe('/root/p');
    expect(r.logprobs).toHaveLength(7 + 1 + 9 + 1);
    const r2 = await t.run('false');
    expect([r2.exit, r2.cwd, r2.output.length]).toEqual([2, '/root/p', 0]);
    // second prompt = whole first turn + [CMD] false [OUT]
    expect(e.prompts[1]).toEqual([CMD, ...bytes('ls'), OUT, ...bytes('a.txt\r\n'), EXIT, ...bytes('0 /root/p'), EOT, CMD, ...bytes('false'), OUT]);
  });

  it('greedy by default; a run marked `sample` draws at temperature 1, or at the session temperature', async () => {
    const turn = [EXIT, ...bytes('0 /root'), EOT];
    const { t, e } = make([turn, turn, turn]);
    await t.run('date');
    await t.run('echo $RANDOM', { sample: true });
    await t.run('pwd');
    expect(e.temperatures).toEqual([0, 1, 0]);
    const hot = make([turn, turn], { temperature: 0.7 });
    await hot.t.run('date');
    await hot.t.run('date', { sample: true });
    expect(hot.e.temperatures).toEqual([0.7, 0.7]);
  });

  it('a malformed tail gives exit 1, the previous cwd, and is counted', async () => {
    const { t } = make([[...bytes('hi\r\n'), EXIT, ...bytes('zz'), EOT], bytes('x'.repeat(100))]);
    const r = await t.run('echo hi');
    expect([r.output.toString(), r.exit, r.cwd, r.truncated]).toEqual(['hi\r\n', 1, '/root', false]);
    const r2 = await t.run('yes');
    expect(r2.truncated).toBe(true); // ran out of tokens before [EXIT]
    expect(r2.exit).toBe(1);
    expect(t.malformed).toBe(2);
  });

  it('a long output re-fits the context with fewer history turns and goes on', async () => {
    // context 64, reserve 16: a 22-token history turn + the 9-token prompt leave 33 tokens; the
    // first answer fills them, so the second call drops the history and continues the output.
    const first = bytes('a'.repeat(64));
    const { t, e } = make([first, [...bytes('b'.repeat(5)), EXIT, ...bytes('0 /root'), EOT]]);
    await t.setHistory([{ cmd: 'echo hi', output: Buffer.from('hi\r\n'), exit: 0, cwd: '/root', ms: 0, timedOut: false, truncated: false }]);
    const r = await t.run('cat big');
    const p0 = e.prompts[0] ?? [];
    const p1 = e.prompts[1] ?? [];
    expect(p0[0]).toBe(CMD);
    expect(p0.length).toBe(22 + 9); // [CMD] echo hi [OUT] hi\r\n [EXIT] 0 /root [EOT] (22) + [CMD] cat big [OUT] (9)
    const n = 64 - p0.length; // what the first call could write
    expect(p1).toEqual([CMD, ...bytes('cat big'), OUT, ...first.slice(0, n)]);
    expect(r.output.toString()).toBe('a'.repeat(n) + 'bbbbb');
    expect([r.exit, r.truncated]).toEqual([0, false]);
  });

  it('caps the output at maxOutputBytes and flags it', async () => {
    const e = new Scripted([[...bytes('0123456789'), EXIT, ...bytes('0 /root'), EOT]]);
    const t = new LearnedTerminal(new BatchScheduler(e), 64, settingsFrom({ maxOutputBytes: 4 }, 64), { backend: 'learned', mode: 'pty' });
    const r = await t.run('seq 1 100000');
    expect([r.output.toString(), r.truncated, r.exit]).toEqual(['0123', true, 0]);
  });

  it('setHistory replaces the history and the cwd; score does not change it', async () => {
    const { t, e } = make([[EXIT, ...bytes('0 /tmp'), EOT]]);
    await t.setHistory([{ cmd: 'cd /tmp', output: Buffer.alloc(0), exit: 0, cwd: '/tmp', ms: 0, timedOut: false, truncated: false }]);
    const s = await t.score('pwd', { output: Buffer.from('/tmp\r\n'), exit: 0, cwd: '/tmp' });
    expect(s.outputTokens).toBe(6);
    expect(s.logp).toHaveLength(6 + 1 + 6 + 1);
    await t.run('pwd');
    expect(e.prompts[0]?.slice(0, 1 + 7 + 1)).toEqual([CMD, ...bytes('cd /tmp'), OUT]);
  });

  it('gathers concurrent sessions into one batch', async () => {
    const answers = Array.from({ length: 5 }, (_, i) => [...bytes(`${i}\r\n`), EXIT, ...bytes('0 /root'), EOT]);
    const e = new Scripted(answers);
    const s = new BatchScheduler(e, 8);
    const ts = Array.from({ length: 5 }, () => new LearnedTerminal(s, 64, settingsFrom({}, 64), { backend: 'learned', mode: 'pty' }));
    const rs = await Promise.all(ts.map((t, i) => t.run(`echo ${i}`)));
    expect(e.batches).toEqual([5]);
    expect(rs.map((r) => r.output.toString())).toEqual(['0\r\n', '1\r\n', '2\r\n', '3\r\n', '4\r\n']);
    expect(s.stats.maxBatchSeen).toBe(5);
  });

  it('gathers concurrent scorings into one forward pass', async () => {
    const e = new Scripted([]);
    const calls: number[] = [];
    const withMany = Object.assign(e, {
      scoreMany: async (items: readonly { prefix: readonly number[]; target: readonly number[] }[]) => {
        calls.push(items.length);
        return Promise.all(items.map((it) => e.score(it.prefix, it.target)));
      },
    });
    const s = new BatchScheduler(withMany, 8);
    const ts = Array.from({ length: 3 }, () => new LearnedTerminal(s, 64, settingsFrom({}, 64), { backend: 'learned', mode: 'pty' }));
    const rs = await Promise.all(ts.map((t, i) => t.score('pwd', { output: Buffer.from('x'.repeat(i)), exit: 0, cwd: '/' })));
    expect(calls).toEqual([3]);
    expect(rs.map((r) => r.outputTokens)).toEqual([0, 1, 2]);
    expect(s.stats.scoreBatches).toBe(1);
  });

  it('rejects bad sampling options with a fix', () => {
    expect(() => settingsFrom({ options: { temperature: -1 } }, 64)).toThrow(/temperature/);
    expect(settingsFrom({ options: { temperature: 0.7, seed: 3 } }, 64)).toMatchObject({ temperature: 0.7, seed: 3, topP: 1, reserve: 16 });
  });
});
