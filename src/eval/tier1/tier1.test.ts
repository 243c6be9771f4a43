import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, SessionSpec, Terminal, TokenScores, Turn } from '../../core/terminal.js';
import { nullBackend } from '../../backends/null/index.js';
import { newSession, turnToRecord } from '../../session/format.js';
import { loadEvalData, type EvalData, type EvalSession, type EvalTurn } from './data.js';
import { runTier1 } from './index.js';
import { filesWrittenBefore, stateProbesAt, writtenPaths } from './stateprobes.js';
import { summary, toJson, writeRunFolder } from './report.js';
import { runMeta } from '../../core/meta.js';
import { parseSweAgentRow } from '../../corpus/formats/swe-agent/index.js';

const turn = (cmd: string, output: string, exit = 0, cwd = '/root', family = 'inspect'): EvalTurn => ({
  cmd,
  output: Buffer.from(output),
  exit,
  cwd,
  family,
  scored: true,
  nondeterministic: null,
});

/** 12 turns: 4 empty exit-0 (what null gets right), the rest non-empty. */
function dataset(): EvalData {
  const turns: EvalTurn[] = [];
  for (let i = 0; i < 12; i++) turns.push(i % 3 === 0 ? turn(`touch f${i}`, '', 0, '/root', 'edit') : turn(`echo line${i}`, `line${i}\r\n`));
  const s: EvalSession = { id: 's0', kind: 'sessions', spec: { mode: 'pty' }, turns };
  return { path: '(memory)', kind: 'sessions', sessions: [s, { ...s, id: 's1' }] };
}

/**
 * A test double for the Terminal contract with known answers: it knows the recorded session and
 * answers turn i right iff its history is still the real one, except at `errAt` where it errs
 * once; after an error its history is wrong until setHistory gives it the real one.
 * Its scores put p = 0.9 on every true token (argmax right), so ECE is |1 - 0.9| = 0.1.
 */
function oracleDouble(data: EvalData, errAt: number | null, withHistory: boolean): Backend {
  const bySpec = new Map<SessionSpec, EvalSession>();
  let started = 0;
  class T implements Terminal {
    readonly info = { backend: 'double', mode: 'pty' as const };
    readonly dead = false;
    private i = 0;
    private clean = true;
    constructor(private readonly s: EvalSession) {}
    async run(cmd: string): Promise<Turn> {
      const truth = this.s.turns[this.i];
      const idx = this.i++;
      if (idx + 1 === errAt) this.clean = false;
      const ok = this.clean && truth !== undefined && truth.cmd === cmd;
      return {
        cmd,
        output: ok ? truth.output : Buffer.from('garbage\r\n'),
        exit: ok ? (truth.exit ?? 0) : 0,
        cwd: '/root',
        ms: 0,
        timedOut: false,
        truncated: false,
      };
    }
    async close(): Promise<void> {}
    setHistory?: (turns: readonly Turn[]) => Promise<void>;
    score?: (cmd: string, truth: Pick<Turn, 'output' | 'exit' | 'cwd'>) => Promise<TokenScores>;
  }
  return {
    name: 'double',
    description: 'test double',
    start: async (spec) => {
      const s = bySpec.get(spec) ?? data.sessions[started++ % data.sessions.length];
      if (!s) throw new Error('no session');
      const t = new T(s);
      if (withHistory) {
        t.setHistory = async (turns) => {
          (t as unknown as { i: number; clean: boolean }).i = turns.length;
          (t as unknown as { clean: boolean }).clean = true;
        };
        t.score = async (_cmd, truth) => {
          const n = truth.output.length + 3;
          return {
            logp: new Float64Array(n).fill(Math.log(0.9)),
            pMax: new Float64Array(n).fill(0.9),
            argmaxCorrect: new Uint8Array(n).fill(1),
            sumSq: new Float64Array(n).fill(0.81 + 0.01),
            outputTokens: truth.output.length,
          };
        };
      }
      return t;
    },
  };
}

describe('tier1 runner', () => {
  it('a perfect backend scores 100%, null scores the empty exit-0 share, with the null beside it', async () => {
    const data = dataset();
    const r = await runTier1({ target: oracleDouble(data, null, false), baseline: nullBackend, oracle: null, data, concurrency: 1, bins: 10 });
    const fr = r.freeRunning.exact;
    expect(fr.overall.target.rate).toBe(1);
    expect(fr.overall.target.total).toBe(24);
    expect(fr.overall.baseline.passed).toBe(8); // 4 empty turns x 2 sessions
    expect(fr.overall.baselineNonEmpty.passed).toBe(0);
    expect(fr.overall.targetNonEmpty.total).toBe(16);
    expect(r.exactMatchByDepth).toEqual({ '1': 1, '3': 1, '10': 1, '25': null, '50': null });
    expect(fr.byFamily.edit?.baseline.rate).toBe(1);
    expect(r.reseedSupported).toBe(false);
    expect(r.teacherForced.scores).toBeNull();
    expect(r.oracle.used).toBe(false);
  });

  it('recovery: one error poisons free running until a reseed', async () => {
    const data = dataset();
    const r = await runTier1({ target: oracleDouble(data, 2, true), baseline: nullBackend, oracle: null, data, concurrency: 2, bins: 10 });
    expect(r.reseedSupported).toBe(true);
    // k=1: only turn 2 wrong (11/12 per session); k=inf: only turn 1 right.
    expect(r.recovery['1']?.overall.passed).toBe(22);
    expect(r.recovery.inf?.overall.passed).toBe(2);
    // k=5: wrong at turns 2..5, reseeded before turn 6 (i=5) and 11 (i=10): 12 - 4 = 8 right per session.
    expect(r.recovery['5']?.overall.passed).toBe(16);
    // k=10: wrong at 2..10, right at 1, 11, 12.
    expect(r.recovery['10']?.overall.passed).toBe(6);
    expect(r.recovery['5']?.bySinceReseed['0']?.rate).toBe(1);
    expect(r.exactMatchByDepth['1']).toBe(1);
    expect(r.exactMatchByDepth['3']).toBe(0);
    expect(r.exactMatchByDepthTeacherForced['3']).toBe(1);
    // scores: p = 0.9 on every true token -> 0.152 bits/byte, ECE 0.1, Brier 1 - 1.8 + 0.82 = 0.02
    const s = r.teacherForced.scores;
    expect(s?.crossEntropy.overall.bitsPerByte).toBeCloseTo(-Math.log2(0.9), 9);
    expect(s?.calibration.overall.ece).toBeCloseTo(0.1, 9);
    expect(s?.calibration.overall.brier).toBeCloseTo(0.02, 9);
    expect(r.freeRunning.scores?.calibration.overall.tokens).toBe(s?.calibration.overall.tokens);
    const text = summary(r);
    expect(text).toContain('k=5');
    const dir = mkdtempSync(join(tmpdir(), 'tw-tier1-'));
    await writeRunFolder(dir, runMeta('test', 1, 0, {}), r);
    for (const f of ['meta.json', 'results.json', 'reliability-teacher.svg', 'exact-by-depth.svg', 'recovery.svg', 'bits-by-depth.svg'])
      expect(existsSync(join(dir, f))).toBe(true);
    expect(toJson({ x: NaN, y: Infinity })).toBe('{\n  "x": null,\n  "y": null\n}\n');
  });

  it('a backend that crashes mid-session fails the rest of that session, and the pass goes on', async () => {
    const data = dataset();
    const crashing: Backend = {
      name: 'crash',
      description: '',
      start: async () => {
        let n = 0;
        return {
          info: { backend: 'crash', mode: 'pty' },
          dead: false,
          run: async (cmd: string) => {
            if (++n === 4) throw new Error('boom');
            return { cmd, output: Buffer.alloc(0), exit: 0, cwd: '/root', ms: 0, timedOut: false, truncated: false };
          },
          close: async () => undefined,
        };
      },
    };
    const r = await runTier1({ target: crashing, baseline: nullBackend, oracle: null, data, concurrency: 1, bins: 10 });
    expect(r.freeRunning.exact.overall.target.total).toBe(24);
    expect(r.freeRunning.exact.overall.target.passed).toBe(2); // turn 1 (empty, exit 0) of each session; turns 4-12 failed
    expect(r.errors.filter((e) => e.error.includes('boom')).length).toBe(2);
  });
});

describe('tier1 data', () => {
  it('reads our session JSONL and applies the static determinism rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-tier1-data-'));
    const mk = (cmd: string, out: string, family: string) =>
      turnToRecord({ cmd, output: Buffer.from(out), exit: 0, cwd: '/root', ms: 1, timedOut: false, truncated: false }, family);
    const s = newSession({
      id: 'a',
      backend: 'real',
      mode: 'pty',
      seed: 3,
      turns: [mk('ls', 'x\r\n', 'navigation'), mk('date', 'Thu Jan  1\r\n', 'inspect'), mk('ls -la', 'total 0\r\n', 'navigation')],
    });
    writeFileSync(join(dir, 'test.jsonl'), JSON.stringify(s) + '\n');
    const d = loadEvalData(dir);
    expect(d.kind).toBe('sessions');
    expect(d.sessions[0]?.turns.map((t) => t.nondeterministic)).toEqual([null, 'clock', 'file times']);
    expect(d.sessions[0]?.spec.seed).toBe(3);
  });

  it('reads SWE-agent sessions: no exit codes, tool turns unscored, pty rendering', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-tier1-swe-'));
    const line = {
      source: 'swe-agent-trajectory',
      path: 'x.traj',
      turns: [
        { cmd: 'ls\n', output: 'a\nb', kind: 'shell', state: { working_dir: '/repo' } },
        { cmd: 'open a\n', output: '[File: a]', kind: 'agent-tool' },
      ],
    };
    const f = join(dir, 'swe.jsonl');
    writeFileSync(f, JSON.stringify(line) + '\n');
    const d = loadEvalData(f);
    expect(d.kind).toBe('swe-agent');
    const [a, b] = d.sessions[0]?.turns ?? [];
    expect(a?.output.toString()).toBe('a\r\nb\r\n');
    expect(a?.exit).toBeNull();
    expect(a?.cmd).toBe('ls');
    expect(b?.scored).toBe(false);
  });

  it('reads `tw corpus import --format swe-agent` output the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-tier1-imp-'));
    const [s] = parseSweAgentRow(
      {
        source: 'x',
        path: 'y.traj',
        turns: [
          { cmd: 'ls\n', output: 'a', kind: 'shell' },
          { cmd: 'submit\n', output: '', kind: 'agent-tool' },
        ],
      },
      1,
    );
    writeFileSync(join(dir, 'test.jsonl'), JSON.stringify(s) + '\n');
    const d = loadEvalData(dir);
    expect(d.sessions[0]?.kind).toBe('swe-agent');
    expect(d.sessions[0]?.turns.map((t) => [t.exit, t.scored, t.output.toString()])).toEqual([
      [null, true, 'a\r\n'],
      [null, false, ''],
    ]);
  });

  it.skipIf(!existsSync('/work/shared/external/swe-agent-sessions.jsonl'))('parses the external SWE-agent set (format only; evaluation data)', () => {
    // skipped where the shared external folder is not mounted (outside this workspace)
    const d = loadEvalData('/work/shared/external/swe-agent-sessions.jsonl');
    expect(d.sessions.length).toBe(14);
    expect(d.sessions.reduce((n, s) => n + s.turns.length, 0)).toBe(152);
  });
});

describe('state probes', () => {
  it('finds the files a command writes', () => {
    expect(writtenPaths("cat > notes.md <<'EOF'\nx > y\nEOF")).toEqual(['notes.md']);
    expect(writtenPaths("echo 'a > b' >> log.txt && echo hi 2>/dev/null")).toEqual(['log.txt']);
    expect(writtenPaths('ls 2>&1 | tee -a out.log')).toEqual(['out.log']);
    expect(writtenPaths("sed -i 's/a/b/g' src/app.py")).toEqual(['src/app.py']);
    expect(writtenPaths('touch a.txt b.txt')).toEqual(['a.txt', 'b.txt']);
    expect(writtenPaths('echo $X > $HOME/x')).toEqual([]);
  });

  it('resolves them against the cwd before the command and probes the two most recent', () => {
    const s: EvalSession = {
      id: 'p',
      kind: 'sessions',
      spec: {},
      turns: [
        turn('echo a > a.txt', ''),
        turn('cd proj', '', 0, '/root/proj'),
        turn('echo b > b.txt', '', 0, '/root/proj'),
        turn('echo c >> ../a.txt', '', 0, '/root/proj'),
      ],
    };
    expect(filesWrittenBefore(s, 4)).toEqual(['/root/a.txt', '/root/proj/b.txt']);
    expect(stateProbesAt(s, 1).map((p) => p.cmd)).toEqual(['pwd', 'ls -A', 'env', "cat '/root/a.txt'"]);
  });
});
