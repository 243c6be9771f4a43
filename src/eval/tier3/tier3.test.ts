import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../../backends/registry.js';
import { noSandbox } from '../../backends/real/testkit.js';
import { Rng } from '../../core/rng.js';
import { generateTasks, familyByName } from '../../corpus/tasks/run.js';
import { Sampler } from '../../model/sampler.js';
import { expertAgent, mistake, noisyExpertAgent, nullAgent, runEpisode } from './episode.js';
import {
  CMD,
  DONE,
  EOT,
  EXIT,
  INSTR,
  OUT,
  encodeTrajectory,
  normObs,
  parseAction,
  policyMask,
  policyPrompt,
  policyWindows,
  type Trajectory,
} from './framing.js';
import { heldOutCrossEntropy, policyAgent, trainPolicy } from './policy.js';
import { runTier3, tier3ConfigSchema } from './runner.js';

const hand: Trajectory = {
  taskId: 't',
  family: 'f',
  instruction: 'Do X.',
  done: true,
  steps: [
    { cmd: 'ls', out: 'a\n', exit: 0 },
    { cmd: 'rm a', out: '', exit: 1 },
  ],
};
const str = (s: string): number[] => [...Buffer.from(s)];

describe('tier3 framing', () => {
  it('frames instruction, actions and observations with the intended roles and masks', () => {
    const f = encodeTrajectory(hand);
    expect(f.tokens).toEqual([
      INSTR,
      ...str('Do X.'),
      CMD,
      ...str('ls'),
      OUT,
      ...str('a\n'),
      EXIT,
      ...str('0'),
      EOT,
      CMD,
      ...str('rm a'),
      OUT,
      EXIT,
      ...str('1'),
      EOT,
      CMD,
      DONE,
    ]);
    const act = policyMask('action', f.roles);
    const echo = policyMask('echo', f.roles);
    const picked = (m: Float32Array): number[] => f.tokens.filter((_, i) => m[i] === 1);
    // action: the command bytes, the [OUT] that ends each command, and [DONE]
    expect(picked(act)).toEqual([...str('ls'), OUT, ...str('rm a'), OUT, DONE]);
    // echo: the actions and everything the terminal printed (output, [EXIT], code, [EOT]); never the instruction or [CMD]
    expect(picked(echo)).toEqual([...str('ls'), OUT, ...str('a\n'), EXIT, ...str('0'), EOT, ...str('rm a'), OUT, EXIT, ...str('1'), EOT, DONE]);
    expect(f.tokens.filter((_, i) => echo[i] === 0)).toEqual([INSTR, ...str('Do X.'), CMD, CMD, CMD]);
  });
  it('windows fit the context, start with the instruction and train every action token once', () => {
    const long: Trajectory = { ...hand, steps: Array.from({ length: 9 }, (_, i) => ({ cmd: `echo ${i}`, out: `${'x'.repeat(20)}${i}\n`, exit: 0 })) };
    const T = 60;
    const ws = policyWindows(long, T);
    expect(ws.length).toBeGreaterThan(2);
    let n = 0;
    for (const w of ws) {
      expect(w.tokens.length).toBeLessThanOrEqual(T + 1);
      expect(w.tokens[0]).toBe(INSTR);
      n += policyMask('action', w.roles).reduce((s, x) => s + x, 0);
    }
    expect(n).toBe(policyMask('action', encodeTrajectory(long).roles).reduce((s, x) => s + x, 0));
    const p = policyPrompt(long.instruction, long.steps, T, 20);
    expect(p.length).toBeLessThanOrEqual(T - 20);
    expect(p[p.length - 1]).toBe(CMD);
  });
  it('a window at the quick context holds the instruction, a whole turn and its observation', () => {
    const t: Trajectory = {
      ...hand,
      instruction: 'Count the lines in /root/logs/service.log that contain the text "[scheduler]" and write just that number to /root/answer.txt.',
    };
    const [w] = policyWindows(t, 256);
    expect(w && policyMask('echo', w.roles).reduce((s, x) => s + x, 0)).toBe(policyMask('echo', encodeTrajectory(t).roles).reduce((s, x) => s + x, 0));
  });
  it('parses actions and cuts observations', () => {
    expect(parseAction([DONE])).toEqual({ done: true, cmd: '', complete: true });
    expect(parseAction([...str('ls -l'), OUT])).toEqual({ done: false, cmd: 'ls -l', complete: true });
    expect(parseAction(str('ls')).complete).toBe(false);
    expect(normObs(Buffer.from('a\r\nb\r\n'), 100)).toBe('a\nb\n');
    expect(Buffer.byteLength(normObs('y'.repeat(500), 50))).toBeLessThanOrEqual(50);
  });
  it('mistakes are seeded and differ from the command', () => {
    const a = mistake("grep -cF 'x' /root/logs/app.log", new Rng(1));
    expect(a).toBe(mistake("grep -cF 'x' /root/logs/app.log", new Rng(1)));
    expect(a).not.toBe("grep -cF 'x' /root/logs/app.log");
  });
});

const cfg = tier3ConfigSchema.parse({
  format: 'terminalworld.tier3-config',
  version: 1,
  name: 'ci-quick',
  families: ['count-matches', 'largest-file'],
  trajectories: 4,
  evalInstances: 2,
  seeds: [1],
  arms: ['A', 'B', 'C-action', 'C-echo'],
  maxTurns: 3,
  model: { d: 16, layers: 1, heads: 2, context: 256 },
  train: { batch: 2, steps: 3, lr: 0.003, minLr: 0.0003, warmup: 1, threads: 1 },
});

describe.skipIf(noSandbox)('tier3 on the real sandbox', () => {
  it('the expert bounds (verifier passes), the null agent floors (fails), the noisy expert recovers', async () => {
    const real = await getBackend('real');
    const tasks = generateTasks(2, 7, ['count-matches', 'largest-file'].map(familyByName));
    const o = { maxObsBytes: 160, maxTurns: 10, verify: true };
    for (const t of tasks) {
      expect((await runEpisode(t, real, expertAgent, o)).success).toBe(true);
      expect((await runEpisode(t, real, nullAgent, o)).success).toBe(false);
      const noisy = await runEpisode(t, real, noisyExpertAgent(1, 3), o);
      expect(noisy.success).toBe(true);
      expect(noisy.turns).toBeGreaterThan((await runEpisode(t, real, expertAgent, o)).turns);
    }
  });
  it('a tiny policy trains with both masks, acts in the sandbox and is scored by the verifier', async () => {
    const real = await getBackend('real');
    const tasks = generateTasks(3, 5, ['count-matches'].map(familyByName));
    const o = { maxObsBytes: 160, maxTurns: 3, verify: true };
    const trajs = [];
    for (const t of tasks) trajs.push((await runEpisode(t, real, expertAgent, o)).trajectory);
    for (const mask of ['action', 'echo'] as const) {
      const p = await trainPolicy(trajs, cfg.model, cfg.train, mask, 1);
      expect(p.log.every((l) => Number.isFinite(l.loss))).toBe(true);
      const ce = await heldOutCrossEntropy(p.params, cfg.model, trajs, 1);
      expect(ce.obs).toBeGreaterThan(0);
      expect(ce.obsTokens).toBeGreaterThan(0);
      const s = await Sampler.fromParams(cfg.model, p.params, 1);
      const r = await runEpisode(tasks[0]!, real, policyAgent(s, 160, 24), o);
      await s.release();
      expect(typeof r.success).toBe('boolean');
      expect(r.turns).toBeLessThanOrEqual(3);
    }
  });
  it('the runner writes a run folder with every arm, and resumes at the stage it lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tier3-'));
    try {
      const learned = await getBackend('null'); // stands in for the learned terminal (speed)
      const log = (): void => undefined;
      const r = await runTier3({ out: dir, config: cfg, learned, log });
      expect(Object.keys(r.arms).sort()).toEqual(['A', 'B', 'C-action', 'C-echo']);
      expect(r.bounds['expert']?.['eval']?.rate).toBe(1);
      expect(r.bounds['null']?.['eval']?.rate).toBe(0);
      for (const a of Object.values(r.arms)) expect(a.n).toBe(2);
      expect(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')).tool).toBe('tw tier3 run');
      // a kill during arm B's evaluation: its output is missing; the rerun redoes only that
      const keep = statSync(join(dir, 'eval', 'A-s1-eval.jsonl')).mtimeMs;
      rmSync(join(dir, 'eval', 'B-s1-eval.jsonl'));
      rmSync(join(dir, 'results.json'));
      const r2 = await runTier3({ out: dir, config: cfg, learned, log });
      expect(existsSync(join(dir, 'eval', 'B-s1-eval.jsonl'))).toBe(true);
      expect(statSync(join(dir, 'eval', 'A-s1-eval.jsonl')).mtimeMs).toBe(keep);
      expect(r2.arms['B']?.n).toBe(2);
      expect(r2.arms['A']).toEqual(r.arms['A']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
