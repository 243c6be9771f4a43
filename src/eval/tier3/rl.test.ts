import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../../backends/registry.js';
import { noSandbox } from '../../backends/real/testkit.js';
import { familyByName, generateTasks } from '../../corpus/tasks/run.js';
import { runEpisode } from './episode.js';
import { ROLE_ACTION, ROLE_OBS, policyWindows, type Trajectory } from './framing.js';
import { grpoAdvantages, readCurve, rlConfigSchema, rlRuns, rlTasks, rlWindows, type Rollout } from './rl.js';
import { runTier3, tier3ConfigSchema } from './runner.js';

const traj = (cmds: string[], out: string): Trajectory => ({
  taskId: 't',
  family: 'f',
  instruction: 'Do X.',
  done: true,
  steps: cmds.map((cmd) => ({ cmd, out, exit: 0 })),
});

describe('tier3 RL: the loss as token weights', () => {
  it('GRPO advantages are group-normalised; a group without spread gives none', () => {
    const a = grpoAdvantages([1, 0, 0, 1]);
    expect(a.map((x) => Math.round(x * 1000) / 1000)).toEqual([1, -1, -1, 1]);
    expect(grpoAdvantages([1, 1, 1])).toEqual([0, 0, 0]);
    expect(grpoAdvantages([0, 0])).toEqual([0, 0]);
  });

  it('weights: A_i / (N |actions_i|) on action tokens, λ / (N |obs_i|) on observation tokens, 0 elsewhere', () => {
    const rs: Rollout[] = [
      { step: 1, group: 0, reward: 1, trajectory: traj(['ls'], 'a\n') },
      { step: 1, group: 0, reward: 0, trajectory: traj(['cat x', 'pwd'], '/root\n') },
      { step: 1, group: 1, reward: 0, trajectory: traj(['true'], '') },
      { step: 1, group: 1, reward: 0, trajectory: traj(['false'], '') },
    ];
    const T = 256;
    const lambda = 0.1;
    const ws = rlWindows(rs, T, lambda, true);
    expect(ws.length).toBe(4); // one window per rollout at this context
    const adv = [...grpoAdvantages([1, 0]), 0, 0];
    ws.forEach((w, i) => {
      const pw = policyWindows((rs[i] as Rollout).trajectory, T)[0];
      expect(w.tokens).toEqual(pw?.tokens);
      const nAct = w.roles.filter((r) => r === ROLE_ACTION).length;
      const nObs = w.roles.filter((r) => r === ROLE_OBS).length;
      w.roles.forEach((r, t) => {
        const want = r === ROLE_ACTION ? adv[i]! / (4 * nAct) : r === ROLE_OBS ? lambda / (4 * nObs) : 0;
        expect(w.weights[t]).toBeCloseTo(want, 6);
      });
    });
    // the success gets a positive weight on its actions, the failure a negative one; the observation
    // term is a sequence-mean: λ/N summed over each rollout's observation tokens
    expect(ws[0]?.weights.some((x) => x > 0)).toBe(true);
    expect(ws[1]?.weights.some((x) => x < 0)).toBe(true);
    for (const w of ws) expect(w.weights.reduce((s, x, t) => s + (w.roles[t] === ROLE_OBS ? x : 0), 0)).toBeCloseTo(lambda / 4, 6);
    // verifier-free: no action weight at all
    for (const w of rlWindows(rs, T, 1, false)) expect(w.weights.every((x, t) => (w.roles[t] === ROLE_ACTION ? x === 0 : true))).toBe(true);
  });

  it('rollout tasks are fresh instances of the training families, never an eval instance, and seeded', () => {
    const rl = rlConfigSchema.parse({ steps: 2, prompts: 3, group: 2, lr: 0.001, evalEvery: 1, curveInstances: 2 });
    const fams = ['count-matches', 'largest-file'].map(familyByName);
    const first = rlTasks(rl, 1, fams, new Set());
    const evalSeeds = new Set([first[0]?.seed ?? -1]);
    const again = rlTasks(rl, 1, fams, evalSeeds);
    expect(again.length).toBe(3);
    expect(again.some((t) => evalSeeds.has(t.seed))).toBe(false);
    expect(rlTasks(rl, 1, fams, new Set()).map((t) => t.id)).toEqual(first.map((t) => t.id));
    expect(
      rlTasks(rl, 2, fams, new Set())
        .map((t) => t.id)
        .filter((id) => first.some((t) => t.id === id)),
    ).toEqual([]);
    expect(rlRuns(rl).map((r) => r.arm)).toEqual(['RL-l0', 'RL-l0.05', 'RL-l0.1', 'RL-l0.5', 'RL-wm']);
    const sweep = rlRuns({ ...rl, lambdas: [0], lr: [0.0003, 0.00003] });
    expect(sweep.map((r) => [r.arm, r.lr])).toEqual([
      ['RL-l0', 0.0003],
      ['RL-wm', 0.0003],
      ['RL-l0-lr3e-05', 0.00003],
      ['RL-wm-lr3e-05', 0.00003],
    ]);
  });
});

describe.skipIf(noSandbox)('tier3 RL on the real sandbox', () => {
  it('runs from arm A, grades rollouts with the verifiers, adds RL rows and curves, and resumes at its checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tier3-rl-'));
    const base = {
      format: 'terminalworld.tier3-config',
      version: 1,
      name: 'ci-rl',
      families: ['count-matches', 'largest-file'],
      trajectories: 4,
      evalInstances: 2,
      seeds: [1],
      arms: ['A'],
      maxTurns: 3,
      model: { d: 16, layers: 1, heads: 2, context: 256 },
      train: { batch: 2, steps: 3, lr: 0.003, minLr: 0.0003, warmup: 1, threads: 1 },
    };
    const rl = { lambdas: [0.5], verifierFree: true, prompts: 2, group: 2, lr: 0.003, batch: 2, evalEvery: 1, curveInstances: 1, checkpointEvery: 1 };
    try {
      const learned = await getBackend('null');
      const log = (): void => undefined;
      const r1 = await runTier3({ out: dir, config: tier3ConfigSchema.parse({ ...base, rl: { ...rl, steps: 1 } }), learned, log });
      expect(Object.keys(r1.arms)).toEqual(['A', 'RL-l0.5', 'RL-wm']);
      for (const a of ['RL-l0.5', 'RL-wm']) expect(r1.arms[a]?.n).toBe(2);
      expect(r1.markdown).toContain('RL curves');
      const rdir = join(dir, 'rl', 'RL-l0.5-s1');
      const rolls1 = readFileSync(join(rdir, 'rollouts.jsonl'), 'utf8');
      const lines = rolls1
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Rollout);
      expect(lines.length).toBe(4); // 2 tasks x 2 rollouts
      // rewards are the verifiers' verdicts: replaying each rollout's commands on its task in a fresh
      // sandbox and running the verifier gives the same reward
      const real = await getBackend('real');
      const fams = ['count-matches', 'largest-file'].map(familyByName);
      const evalSeeds = new Set(generateTasks(2, 2, fams).map((t) => t.seed));
      const tasks = new Map(rlTasks(rlConfigSchema.parse({ ...rl, steps: 1 }), 1, fams, evalSeeds).map((t) => [t.id, t]));
      for (const l of lines) {
        const task = tasks.get(l.trajectory.taskId.replace(/#\d+$/, ''));
        if (!task) throw new Error(`no task for ${l.trajectory.taskId}`);
        const replay = await runEpisode(
          task,
          real,
          async (_t, sh) => {
            for (const st of l.trajectory.steps) await sh.run(st.cmd);
            return l.trajectory.done;
          },
          { maxObsBytes: 160, maxTurns: 3, verify: true },
        );
        expect(replay.success ? 1 : 0).toBe(l.reward);
      }
      // a kill mid-write leaves a cut line; the resumed run (more steps) drops it and continues at step 1's checkpoint
      appendFileSync(join(rdir, 'curve.jsonl'), '{"kind":"st');
      const r2 = await runTier3({ out: dir, config: tier3ConfigSchema.parse({ ...base, rl: { ...rl, steps: 2 } }), learned, log });
      expect(readFileSync(join(rdir, 'rollouts.jsonl'), 'utf8').startsWith(rolls1)).toBe(true);
      const curve = readCurve(join(rdir, 'curve.jsonl'));
      expect(curve.filter((l) => l.kind === 'step').map((l) => l.step)).toEqual([1, 2]);
      expect(curve.filter((l) => l.kind === 'eval').map((l) => l.step)).toEqual([0, 1, 2]);
      expect(JSON.parse(readFileSync(join(rdir, 'train.json'), 'utf8')).steps).toBe(2);
      expect(r2.arms['RL-l0.5']?.n).toBe(2);
      expect(r2.arms['A']).toEqual(r1.arms['A']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
