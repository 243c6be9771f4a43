/**
 * Functional equivalence (Tier 1 (c)): state probes inserted at fixed depths, answered by the
 * backend and by the real oracle at the same point, compared byte for byte (output + exit).
 *
 * Probes after turn T: `pwd`, `ls -A`, `env`, and `cat` of the (up to) two files the session wrote
 * most recently before T (found from the commands' redirections, `tee`, `touch` and `sed -i`
 * targets, resolved against the cwd the recording shows before the command).
 *
 * How each side reaches the point after turn T:
 *  - the oracle (real) and backends without setHistory: one fresh session per recorded session,
 *    the real commands replayed, the probes run after turn T (probes only read state, so later
 *    probe points are unaffected);
 *  - backends with setHistory: setHistory(history of turns [0, T)) and then the probes, where the
 *    history is the real transcript (teacher forced) or the backend's own turns (free running).
 */
import { posix } from 'node:path';
import { describeError } from '../../core/errors.js';
import { canSetHistory, type Backend, type Terminal, type Turn } from '../../core/terminal.js';
import { historyTurns, type EvalSession } from './data.js';

export const BASE_PROBES: readonly { kind: string; cmd: string }[] = [
  { kind: 'pwd', cmd: 'pwd' },
  { kind: 'ls', cmd: 'ls -A' },
  { kind: 'env', cmd: 'env' },
];
export const MAX_CAT_PROBES = 2;

function stripQuoted(line: string): string {
  return line.replace(/'[^']*'/g, "''").replace(/"(?:[^"\\]|\\.)*"/g, '""');
}
function unquote(w: string): string {
  return w.replace(/^['"]|['"]$/g, '');
}

/** Paths a command writes, as written (relative or absolute), from its first line only (heredoc bodies are data). */
export function writtenPaths(cmd: string): string[] {
  const line = cmd.split('\n')[0] ?? '';
  const bare = stripQuoted(line);
  const out: string[] = [];
  for (const m of bare.matchAll(/(?<![0-9&<>])>>?\s*([^\s;&|<>()]+)/g)) out.push(m[1] ?? '');
  for (const m of bare.matchAll(/\btee\s+(?:-a\s+)?([^\s;&|<>()]+)/g)) out.push(m[1] ?? '');
  for (const m of bare.matchAll(/\btouch\s+([^;&|<>()]+)/g)) out.push(...(m[1] ?? '').trim().split(/\s+/).filter((w) => !w.startsWith('-')));
  for (const m of bare.matchAll(/\bsed\s+-i\b[^;&|<>()]*?\s([^\s;&|<>()]+)\s*(?:$|[;&|])/g)) out.push(m[1] ?? '');
  return out.map(unquote).filter((p) => p !== '' && !p.startsWith('/dev/') && !/[$~`*?{]/.test(p) && p !== "''" && p !== '""');
}

/** Absolute paths written by turns [0, T), most recent first, without repeats. */
export function filesWrittenBefore(s: EvalSession, T: number): string[] {
  const seen: string[] = [];
  for (let i = 0; i < Math.min(T, s.turns.length); i++) {
    const t = s.turns[i];
    if (!t) continue;
    const cwdBefore = i > 0 ? (s.turns[i - 1]?.cwd ?? null) : (t.cwd ?? null);
    for (const p of writtenPaths(t.cmd)) {
      const abs = p.startsWith('/') ? posix.normalize(p) : cwdBefore ? posix.resolve(cwdBefore, p) : null;
      if (!abs) continue;
      const j = seen.indexOf(abs);
      if (j >= 0) seen.splice(j, 1);
      seen.push(abs);
    }
  }
  return seen.reverse();
}

export interface Probe {
  kind: string;
  cmd: string;
}

export function probesAt(s: EvalSession, T: number): Probe[] {
  const cats = filesWrittenBefore(s, T)
    .slice(0, MAX_CAT_PROBES)
    .map((p) => ({ kind: 'cat', cmd: `cat '${p.replace(/'/g, `'\\''`)}'` }));
  return [...BASE_PROBES, ...cats];
}

/** Answers per probe depth T: the probes' turns in order (missing where the backend failed). */
export type ProbeAnswers = Map<number, Turn[]>;

async function runProbes(term: Terminal, probes: readonly Probe[]): Promise<Turn[]> {
  const out: Turn[] = [];
  for (const p of probes) out.push(await term.run(p.cmd));
  return out;
}

/** Replay the real commands in one fresh session and run the probes after each depth in `depths`. */
export async function probeByReplay(backend: Backend, s: EvalSession, depths: readonly number[], options?: Record<string, unknown>): Promise<{ answers: ProbeAnswers; error?: string }> {
  const answers: ProbeAnswers = new Map();
  const want = depths.filter((T) => T <= s.turns.length);
  if (want.length === 0) return { answers };
  let term: Terminal | undefined;
  try {
    term = await backend.start({ ...s.spec, ...(options ? { options } : {}) });
    for (let i = 0; i < s.turns.length && i < Math.max(...want); i++) {
      await term.run(s.turns[i]?.cmd ?? '');
      if (want.includes(i + 1)) answers.set(i + 1, await runProbes(term, probesAt(s, i + 1)));
    }
    return { answers };
  } catch (e) {
    return { answers, error: describeError(e) };
  } finally {
    await term?.close().catch(() => undefined);
  }
}

/** Backends with setHistory: put the history of turns [0, T) in place, then probe. */
export async function probeByHistory(
  backend: Backend,
  s: EvalSession,
  depths: readonly number[],
  history: 'real' | readonly Turn[],
  options?: Record<string, unknown>,
): Promise<{ answers: ProbeAnswers; error?: string }> {
  const answers: ProbeAnswers = new Map();
  let term: Terminal | undefined;
  try {
    term = await backend.start({ ...s.spec, ...(options ? { options } : {}) });
    const setHistory = canSetHistory(term) ? term.setHistory.bind(term) : undefined;
    if (!setHistory) throw new Error(`backend ${backend.name} has no setHistory; use probeByReplay`);
    for (const T of depths) {
      if (T > s.turns.length) continue;
      await setHistory(history === 'real' ? historyTurns(s, T) : history.slice(0, T));
      answers.set(T, await runProbes(term, probesAt(s, T)));
    }
    return { answers };
  } catch (e) {
    return { answers, error: describeError(e) };
  } finally {
    await term?.close().catch(() => undefined);
  }
}
