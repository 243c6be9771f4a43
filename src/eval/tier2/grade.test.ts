import { describe, expect, it } from 'vitest';
import type { SessionResult } from './exec.js';
import type { FixtureEntry } from './fixtures.js';
import { gradeDistribution, gradeSession } from './grade.js';
import { parseProbeFile } from './loader.js';
import type { Probe } from './schema.js';

const probe = (yaml: string): Probe => {
  const [p] = parseProbeFile(yaml, 't.yaml', 'filesystem');
  if (!p) throw new Error('no probe');
  return p;
};
const obs = (output: string, exit = 0, state?: { output: Buffer; exit: number; timedOut: boolean }[]) => ({
  output: Buffer.from(output),
  exit,
  timedOut: false,
  ...(state ? { state } : {}),
});
const entry = (turns: FixtureEntry['turns'], samples?: FixtureEntry['samples']): FixtureEntry => ({
  hash: 'h',
  recordedAt: 'now',
  turns,
  ...(samples ? { samples } : {}),
});

describe('grading one session', () => {
  const p = probe(
    '- id: p\n  description: d\n  turns:\n    - { cmd: a, grade: exact }\n    - { cmd: b, grade: exit }\n    - { cmd: c, grade: state, state: [ls] }\n    - { cmd: d, grade: none }\n',
  );
  const fx = entry([
    { output: 'x\r\n', exit: 0 },
    { output: 'anything', exit: 2 },
    { output: '', exit: 0, state: [{ output: 'bar\r\n', exit: 0 }] },
    { output: 'ignored', exit: 0 },
  ]);
  const st = (s: string) => [{ output: Buffer.from(s), exit: 0, timedOut: false }];

  it('passes when graded parts match and ignores what is not graded', () => {
    const s: SessionResult = { turns: [obs('x\r\n'), obs('other text', 2), obs('printed differently', 0, st('bar\r\n')), obs('zzz', 9)] };
    expect(gradeSession(p, fx, s)).toEqual([]);
  });

  it('reports output bytes, exit codes and state probes that differ', () => {
    const s: SessionResult = { turns: [obs('x\n'), obs('', 1), obs('', 0, st('baz\r\n')), obs('')] };
    const f = gradeSession(p, fx, s);
    expect(f.map((x) => x.what)).toEqual(['output', 'exit', 'state probe 1 (`ls`) output']);
    expect(f[0]?.expected?.toString()).toBe('x\r\n');
    expect(f[0]?.actual?.toString()).toBe('x\n');
  });

  it('a session error fails the probe with the reason', () => {
    const f = gradeSession(p, fx, { turns: [obs('x\r\n')], error: '`b`: no answer after 10000 ms (backend hung)' });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ what: 'error', turn: 1, cmd: 'b' });
    expect(f[0]?.message).toMatch(/hung/);
  });

  it('pipe-mode fixtures compare stderr too', () => {
    const q = probe('- id: q\n  description: d\n  mode: pipe\n  turns: [{ cmd: a }]\n');
    const f = gradeSession(q, entry([{ output: '', stderr: 'err\n', exit: 1 }]), { turns: [{ ...obs('', 1), stderr: Buffer.from('other\n') }] });
    expect(f.map((x) => x.what)).toEqual(['stderr']);
  });
});

describe('grading a distribution', () => {
  const p = probe(
    "- id: r\n  description: d\n  samples: 4\n  turns:\n    - { cmd: 'echo $RANDOM', grade: distribution, distribution: { pattern: '\\d+', range: [0, 32767] } }\n",
  );
  const oracle = ['1\r\n', '2\r\n', '3\r\n', '4\r\n'].map((o) => [{ output: o, exit: 0 }]);
  const fx = entry(oracle[0] ?? [], oracle);
  const sessions = (vals: string[]): SessionResult[] => vals.map((v) => ({ turns: [obs(v)] }));

  it('passes varied values in format and range', () => {
    expect(gradeDistribution(p, fx, sessions(['10\r\n', '20\r\n', '30\r\n', '10\r\n']))).toEqual([]);
  });
  it('fails a memorised constant when the oracle spreads', () => {
    const f = gradeDistribution(p, fx, sessions(['7\r\n', '7\r\n', '7\r\n', '7\r\n']));
    expect(f.map((x) => x.what)).toEqual(['distribution spread']);
    expect(f[0]?.message).toMatch(/1 distinct value.*oracle showed 4, at least 2 needed/);
  });
  it('fails values out of range and values in the wrong format', () => {
    expect(gradeDistribution(p, fx, sessions(['1\r\n', '99999\r\n', '3\r\n', '4\r\n']))[0]?.what).toBe('distribution range');
    expect(gradeDistribution(p, fx, sessions(['1\r\n', 'x\r\n', '3\r\n', '4\r\n']))[0]?.what).toMatch(/distribution format \(sample 2/);
  });
  it('a constant oracle allows a constant answer', () => {
    const constant = [0, 1, 2, 3].map(() => [{ output: '2\r\n', exit: 0 }]);
    expect(gradeDistribution(p, entry(constant[0] ?? [], constant), sessions(['5\r\n', '5\r\n', '5\r\n', '5\r\n']))).toEqual([]);
  });
});
