/**
 * A tiny synthetic shell world for engine tests and smoke runs (not a corpus: the real corpus
 * comes from `tw corpus generate`). Commands: echo WORD, pwd, cd DIR, false, true, cat nofile.
 * Outputs follow real bash so that a model can learn them exactly.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { loadConfig, parseConfig } from '../model/config.js';
import { type Session, type SessionTurn, newSession } from '../session/format.js';
import { train } from './run.js';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'hello', 'world', 'foo', 'bar'];
const DIRS = ['/tmp', '/root', '/etc', '/var', '/usr'];

export function syntheticSessions(n: number, seed: number): Session[] {
  const rng = new Rng(seed);
  const out: Session[] = [];
  for (let s = 0; s < n; s++) {
    let cwd = '/root';
    const turns: SessionTurn[] = [];
    const k = rng.int(3, 8);
    for (let i = 0; i < k; i++) {
      const r = rng.int(0, 5);
      let cmd: string;
      let output = '';
      let exit = 0;
      if (r === 0) {
        const w = rng.pick(WORDS);
        cmd = `echo ${w}`;
        output = `${w}\r\n`;
      } else if (r === 1) {
        cmd = 'pwd';
        output = `${cwd}\r\n`;
      } else if (r === 2) {
        cwd = rng.pick(DIRS);
        cmd = `cd ${cwd}`;
      } else if (r === 3) {
        cmd = 'false';
        exit = 1;
      } else if (r === 4) {
        cmd = 'true';
      } else {
        cmd = 'cat nofile';
        output = 'cat: nofile: No such file or directory\r\n';
        exit = 1;
      }
      turns.push({ cmd, output, exit, cwd, ms: 1, timedOut: false, truncated: false });
    }
    out.push(newSession({ id: `synthetic-${seed}-${s}`, backend: 'synthetic', mode: 'pty', seed: seed + s, turns }));
  }
  return out;
}

export function writeSyntheticSessions(file: string, n: number, seed: number): void {
  writeFileSync(
    file,
    syntheticSessions(n, seed)
      .map((s) => JSON.stringify(s) + '\n')
      .join(''),
  );
}

const FILES = ['a.txt', 'b.txt', 'notes'];
const VARS = ['X', 'NAME'];

/**
 * A tiny synthetic shell world with state, for the state framing's tests: files written with
 * `echo W > F` and read back with `cat F` (possibly many turns later), removed with `rm F`,
 * variables set with `V=W` and read with `echo $V`, plus true/false. Every turn carries the state
 * change real bash would have made (turn.state, as `tw record --state` writes it). cwd: /root.
 */
export function syntheticStateSessions(n: number, seed: number): Session[] {
  const rng = new Rng(seed);
  const out: Session[] = [];
  const none = (): NonNullable<SessionTurn['state']> => ({
    files: [],
    vars: {},
    unset: [],
    functions: { added: [], removed: [] },
    aliases: { set: {}, unset: [] },
  });
  for (let s = 0; s < n; s++) {
    const files = new Map<string, string>();
    const vars = new Map<string, string>();
    const turns: SessionTurn[] = [];
    const k = rng.int(4, 12);
    for (let i = 0; i < k; i++) {
      const r = rng.int(0, 6);
      const f = rng.pick(FILES);
      const v = rng.pick(VARS);
      const w = rng.pick(WORDS);
      const state = none();
      let cmd: string;
      let output = '';
      let exit = 0;
      if (r <= 1) {
        cmd = `echo ${w} > ${f}`;
        state.files.push({ path: `/root/${f}`, op: files.has(f) ? 'modified' : 'created', kind: 'file', size: w.length + 1, mode: 0o644, content: `${w}\n` });
        files.set(f, w);
      } else if (r <= 3) {
        cmd = `cat ${f}`;
        const c = files.get(f);
        if (c === undefined) {
          output = `cat: ${f}: No such file or directory\r\n`;
          exit = 1;
        } else output = `${c}\r\n`;
      } else if (r === 4) {
        cmd = `rm ${f}`;
        if (files.delete(f)) state.files.push({ path: `/root/${f}`, op: 'deleted', kind: 'file' });
        else {
          output = `rm: cannot remove '${f}': No such file or directory\r\n`;
          exit = 1;
        }
      } else if (r === 5) {
        cmd = `${v}=${w}`;
        state.vars[v] = w;
        vars.set(v, w);
      } else {
        cmd = `echo $${v}`;
        output = `${vars.get(v) ?? ''}\r\n`;
      }
      turns.push({ cmd, output, exit, cwd: '/root', ms: 1, timedOut: false, truncated: false, state });
    }
    out.push(newSession({ id: `synthetic-state-${seed}-${s}`, backend: 'synthetic', mode: 'pty', seed: seed + s, turns }));
  }
  return out;
}

export function writeSyntheticStateSessions(file: string, n: number, seed: number): void {
  writeFileSync(
    file,
    syntheticStateSessions(n, seed)
      .map((s) => JSON.stringify(s) + '\n')
      .join(''),
  );
}

/** Options that keep a test's `train()` silent. */
export const quiet = { progress: false, log: (): void => {} };

/** The training losses a run wrote to its metrics.jsonl, in step order (tests). */
export function trainLosses(out: string): number[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; loss?: number })
    .filter((r) => r.kind === 'train')
    .map((r) => r.loss as number);
}

/**
 * A tiny model (configs/tiny.json, context 128, framing "state", lr 0.01) trained in a test on
 * `sessions` synthetic state sessions written to DIR/train.jsonl; `model` adds to or overrides the
 * model config (e.g. a tokenizer). Returns the final checkpoint folder.
 */
export async function trainTinyStateModel(dir: string, o: { sessions: number; steps: number; model?: Record<string, unknown> }): Promise<string> {
  writeSyntheticStateSessions(join(dir, 'train.jsonl'), o.sessions, 1);
  const base = loadConfig('tiny');
  const config = parseConfig(
    {
      ...base,
      model: { ...base.model, context: 128, framing: 'state', ...o.model },
      train: {
        ...base.train,
        steps: o.steps,
        batch: 8,
        lr: 0.01,
        minLr: 0.001,
        warmup: Math.min(20, Math.ceil(o.steps / 15)),
        evalEvery: 1000,
        checkpointEvery: 1000,
        seed: 1,
      },
    },
    'test',
  );
  return (await train({ data: join(dir, 'train.jsonl'), config, out: join(dir, 'run'), ...quiet })).checkpoint;
}
