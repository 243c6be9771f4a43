import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TwError } from '../../core/errors.js';
import type { Backend, Turn } from '../../core/terminal.js';
import { decodeBytes, encodeBytes, fixtureStatus, readFixtures } from './fixtures.js';
import { loadProbes } from './loader.js';
import { loadFixtureSet, recordFixtures, runProbes } from './runner.js';

/** A tiny deterministic "shell": echo prints its argument, `boom` throws, anything else is 127. */
const toy: Backend = {
  name: 'toy',
  description: 'test double',
  start: async (spec) => ({
    info: { backend: 'toy', mode: spec.mode ?? 'pty' },
    dead: false,
    run: async (cmd: string): Promise<Turn> => {
      if (cmd === 'boom') throw new Error('backend crashed');
      const m = /^echo (.*)$/.exec(cmd);
      const seedOut = cmd === 'seed' ? `${spec.seed ?? 0}\n` : undefined;
      return { cmd, output: Buffer.from(seedOut ?? (m ? `${m[1]}\n` : '')), exit: m || seedOut ? 0 : 127, cwd: '/', ms: 0, timedOut: false, truncated: false };
    },
    close: async () => undefined,
  }),
};

function tree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'probes-run-'));
  mkdirSync(path.join(root, 'errors'));
  writeFileSync(
    path.join(root, 'errors', 'p.yaml'),
    [
      '- id: ok\n  description: d\n  turns: [{ cmd: echo hi }]',
      '- id: crash\n  description: d\n  turns: [{ cmd: echo a }, { cmd: boom, grade: exit }]',
      "- id: seeds\n  description: d\n  samples: 4\n  turns: [{ cmd: seed, grade: distribution, distribution: { pattern: '\\d+' } }]",
    ].join('\n') + '\n',
  );
  return root;
}

describe('recording and running probes', () => {
  it('bytes round-trip through the fixture encoding (text or base64)', () => {
    for (const b of [Buffer.from('héllo\r\n'), Buffer.from([0, 0xff, 0xfe, 0x80])]) expect(decodeBytes(encodeBytes(b)).equals(b)).toBe(true);
    expect(encodeBytes(Buffer.from([0xff]))).toEqual({ b64: '/w==' });
  });

  it('unrecorded probes are refused with the command that records them', () => {
    const root = tree();
    const probes = loadProbes({ root });
    const e = (() => {
      try {
        loadFixtureSet(root, probes);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(TwError);
    expect((e as TwError).message).toMatch(/3 probe\(s\) have no current recorded answer: ok \(missing\)/);
    expect((e as TwError).hint).toMatch(/tw probe --record/);
  });

  it('records the oracle (samples with varied seeds), then grades it at 100%; a crashing probe fails alone', async () => {
    const root = tree();
    const probes = loadProbes({ root });
    const s = await recordFixtures(toy, root, probes, { jobs: 2, seed: 10 });
    expect(s.recorded.sort()).toEqual(['ok', 'seeds']);
    expect(s.failed).toEqual([{ id: 'crash', error: 'backend crashed' }]);
    const f = readFixtures(root, 'errors');
    expect(f.probes.seeds?.samples?.map((x) => x[0]?.output)).toEqual(['10\n', '11\n', '12\n', '13\n']);
    // hand-made fixture for the crashing probe, so the run can grade it
    f.probes.crash = {
      hash: 'x',
      locked: true,
      recordedAt: 'by hand',
      turns: [
        { output: 'a\n', exit: 0 },
        { output: '', exit: 127 },
      ],
    };
    writeFileSync(path.join(root, 'errors', 'fixtures.json'), JSON.stringify(f));
    const results = await runProbes(toy, probes, loadFixtureSet(root, probes), { jobs: 2, seed: 10 });
    expect(results.map((r) => [r.id, r.passed])).toEqual([
      ['ok', true],
      ['crash', false],
      ['seeds', true],
    ]);
    expect(results[1]?.failures[0]?.message).toBe('backend crashed');
  });

  it('re-recording keeps locked fixtures; changing a probe makes its fixture stale', async () => {
    const root = tree();
    const probes = loadProbes({ root });
    await recordFixtures(toy, root, probes, { seed: 1 });
    const file = path.join(root, 'errors', 'fixtures.json');
    const f = JSON.parse(readFileSync(file, 'utf8'));
    f.probes.ok.locked = true;
    f.probes.ok.turns[0].output = 'hand-edited\n';
    writeFileSync(file, JSON.stringify(f));
    const s = await recordFixtures(toy, root, probes, { seed: 1 });
    expect(s.skippedLocked).toEqual(['ok']);
    expect(readFixtures(root, 'errors').probes.ok?.turns[0]?.output).toBe('hand-edited\n');
    const seeds = probes.find((p) => p.id === 'seeds');
    if (!seeds) throw new Error('probe "seeds" missing');
    expect(fixtureStatus(seeds, readFixtures(root, 'errors'))).toBe('ok');
    expect(fixtureStatus({ ...seeds, samples: 5 }, readFixtures(root, 'errors'))).toBe('stale');
  });

  it('a deterministic probe whose oracle answers differently in two sessions is not recorded', async () => {
    const root = tree();
    const probes = loadProbes({ root }).filter((p) => p.id === 'ok');
    let n = 0;
    const flaky: Backend = {
      ...toy,
      start: async (spec) => ({
        ...(await toy.start(spec)),
        run: async (cmd: string) => ({ cmd, output: Buffer.from(`${n++}\n`), exit: 0, cwd: '/', ms: 0, timedOut: false, truncated: false }),
      }),
    };
    const s = await recordFixtures(flaky, root, probes);
    expect(s.recorded).toEqual([]);
    expect(s.failed[0]?.error).toMatch(/two different answers/);
    expect(readFixtures(root, 'errors').probes.ok).toBeUndefined();
  });
});
