/**
 * Training end to end on a tiny config and a tiny synthetic corpus: seeded determinism,
 * a loss regression bound, resume after kill -9 (bit-identical loss curve), and bad input.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TwError } from '../core/errors.js';
import { type Config, loadConfig } from '../model/config.js';
import { loadModel } from '../model/checkpoint.js';
import { readSafetensors, writeSafetensors } from '../model/safetensors.js';
import { quiet, trainLosses, writeSyntheticSessions } from './fixtures.js';
import { train } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'tw-train-'));
const data = join(dir, 'syn.jsonl');
writeSyntheticSessions(data, 120, 7);

/** tiny: d=32, 2 layers, 2 heads, T=64, B=4; 1 thread so that runs in parallel test files do not fight. */
function tiny(steps: number, over: Partial<Config['train']> = {}): Config {
  const c = loadConfig('tiny');
  return { ...c, train: { ...c.train, steps, threads: 1, ...over } };
}

describe('tw train', () => {
  it('two runs with the same seed give bit-identical losses', async () => {
    await train({ data, config: tiny(30), out: join(dir, 'a'), ...quiet });
    await train({ data, config: tiny(30), out: join(dir, 'b'), ...quiet });
    const a = trainLosses(join(dir, 'a'));
    expect(a).toHaveLength(30);
    expect(trainLosses(join(dir, 'b'))).toEqual(a);
    const meta = JSON.parse(readFileSync(join(dir, 'a', 'meta.json'), 'utf8')) as { seed: number; data: { hash: string }; commit: string };
    expect(meta.seed).toBe(1);
    expect(meta.data.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('loss regression: held-out loss on the synthetic corpus falls below 0.9 nats/token within 150 steps', async () => {
    // measured: ~0.85 at step 100 and ~0.63 at 150 (300-step schedule); the bound leaves margin for thread-count noise
    const r = await train({ data, config: tiny(150, { evalEvery: 150 }), out: join(dir, 'reg'), ...quiet });
    expect(r.validLoss).not.toBeNull();
    expect(r.validLoss as number).toBeLessThan(0.9);
    expect(r.validLoss as number).toBeGreaterThan(0.05);
  });

  it('gradient accumulation (2 x B=2) follows the same curve as one batch of 4', async () => {
    await train({ data, config: tiny(6, { batch: 4 }), out: join(dir, 'acc1'), ...quiet });
    await train({ data, config: tiny(6, { batch: 2, accum: 2 }), out: join(dir, 'acc2'), ...quiet });
    const one = trainLosses(join(dir, 'acc1'));
    const two = trainLosses(join(dir, 'acc2'));
    two.forEach((l, i) => expect(Math.abs(l - one[i]!)).toBeLessThan(1e-4));
    expect(two[0]).not.toBe(two[5]);
  });

  it('resume after kill -9 reproduces the uninterrupted loss curve bit for bit', async () => {
    const cfgFile = join(dir, 'kill.json');
    const cfg = tiny(100, { checkpointEvery: 10, evalEvery: 50 });
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const full = join(dir, 'full');
    await train({ data, config: cfg, out: full, ...quiet });
    const out = join(dir, 'killed');
    const args = ['bin/tw.js', 'train', '--data', data, '--config', cfgFile, '--out', out, '--quiet'];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    const killedAt = await new Promise<number>((resolve) => {
      const poll = setInterval(() => {
        const f = join(out, 'latest.json');
        if (existsSync(f)) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve((JSON.parse(readFileSync(f, 'utf8')) as { step: number }).step);
        }
      }, 5);
      child.on('exit', () => clearInterval(poll));
    });
    await new Promise((r) => child.on('exit', r));
    expect(killedAt).toBeLessThan(100);
    await train({ data, config: cfg, out, resume: true, ...quiet });
    expect(trainLosses(out)).toEqual(trainLosses(full));
  }, 240_000); // a child process (tsx start-up) plus two runs: slow when the shared machine is loaded

  it('--init warm-starts from a checkpoint: its weights, a fresh schedule, the source recorded in meta.json', async () => {
    await train({ data, config: tiny(40), out: join(dir, 'src'), ...quiet });
    await train({ data, config: tiny(3), out: join(dir, 'warm'), init: join(dir, 'src'), ...quiet });
    const src = trainLosses(join(dir, 'src'));
    const warm = trainLosses(join(dir, 'warm'));
    // the first step's loss is taken before any update: the source's weights, not the seeded init
    expect(warm[0]!).toBeLessThan(src[0]! - 1);
    expect(warm[0]!).toBeLessThan(src[39]! * 1.3);
    const meta = JSON.parse(readFileSync(join(dir, 'warm', 'meta.json'), 'utf8')) as { init: { path: string; step: number; sha256: string } };
    expect(meta.init.path).toBe(join(dir, 'src'));
    expect(meta.init.step).toBe(40);
    expect(meta.init.sha256).toMatch(/^[0-9a-f]{64}$/);
    // another shape is refused, naming both shapes
    const wide = loadConfig('tiny');
    const other: Config = { ...wide, model: { ...wide.model, d: 64 }, train: { ...wide.train, steps: 2, threads: 1 } };
    await expect(train({ data, config: other, out: join(dir, 'warm-bad'), init: join(dir, 'src'), ...quiet })).rejects.toThrow(/--init .* is a 32-wide/);
    // resuming with a different --init is refused
    await expect(train({ data, config: tiny(5), out: join(dir, 'warm'), resume: true, init: join(dir, 'a'), ...quiet })).rejects.toThrow(
      /differs from the warm start/,
    );
  });
});

describe('bad input', () => {
  it('unknown config name', () => {
    expect(() => loadConfig('no-such-config')).toThrow(/unknown config "no-such-config"/);
  });

  it('a data file that does not validate names the file and line', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, readFileSync(data, 'utf8').split('\n')[0] + '\n{"format":"terminalworld.session","version":1,"id":"x"}\n');
    await expect(train({ data: bad, config: tiny(5), out: join(dir, 'bad'), ...quiet })).rejects.toThrow(/bad\.jsonl:2: invalid session/);
  });

  it('missing, corrupt and mismatched checkpoints give clear errors', async () => {
    const out = join(dir, 'ck');
    const r = await train({ data, config: tiny(5, { checkpointEvery: 5 }), out, ...quiet });
    expect(() => loadModel(join(dir, 'nothing-here'))).toThrow(/no model folder/);
    const cfgFile = join(r.checkpoint, 'config.json');
    const good = readFileSync(cfgFile, 'utf8');
    writeFileSync(cfgFile, good.replace('"d": 32', '"d": 64'));
    expect(() => loadModel(out)).toThrow(/config and weights do not match.*wte is 264x32 in the weights, 264x64 by config.json/);
    writeFileSync(cfgFile, good);
    const w = join(r.checkpoint, 'model.safetensors');
    const bytes = readFileSync(w);
    writeFileSync(w, bytes.subarray(0, bytes.length - 100));
    expect(() => loadModel(out)).toThrow(/corrupt weights file/);
    writeFileSync(w, bytes);
    expect(loadModel(out).info.step).toBe(5);
  });

  it('a NaN loss stops the run naming the step and keeps the last good checkpoint', async () => {
    const out = join(dir, 'nan');
    const cfg = tiny(10, { checkpointEvery: 5 });
    const r = await train({ data, config: cfg, out, ...quiet });
    // poison one weight of the step-10 checkpoint, then continue to step 12
    const w = join(r.checkpoint, 'model.safetensors');
    const st = readSafetensors(w);
    (st.tensors.get('h0.fc.w')?.data as Float32Array)[3] = NaN;
    writeSafetensors(w, st.tensors, st.metadata);
    const err = await train({ data, config: cfg, out, resume: true, steps: 12, ...quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwError);
    expect((err as TwError).message).toMatch(/training loss is NaN at step 11/);
    expect(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')).step).toBe(10);
  });

  it('refuses to overwrite a run without --resume', async () => {
    await expect(train({ data, config: tiny(3), out: join(dir, 'a'), ...quiet })).rejects.toThrow(/already holds a run/);
  });
});
