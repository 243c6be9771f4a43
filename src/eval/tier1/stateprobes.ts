/**
 * Functional equivalence (Tier 1 (c)): state probes inserted at fixed depths, answered by the
 * backend and by the real oracle at the same point, compared byte for byte (output + exit).
 *
 * Words: a *state probe* is one read-only command asked after a turn to read the state the session
 * left (here and in a Tier 2 turn's `state:` list); a *state-probe point* is a depth T at which they
 * are asked. A bare *probe* is a Tier 2 probe (src/eval/tier2): a scripted session graded against a
 * fixture.
 *
 * State probes after turn T: `pwd`, `ls -A`, `env`, and `cat` of the (up to) two files the session wrote
 * most recently before T (found from the commands' redirections, `tee`, `touch` and `sed -i`
 * targets, resolved against the cwd the recording shows before the command).
 *
 * How each side reaches the point after turn T:
 *  - the oracle (real) and backends without setHistory: one fresh session per recorded session,
 *    the real commands replayed, the state probes run after turn T (they only read state, so later
 *    state-probe points are unaffected);
 *  - backends with setHistory: setHistory(history of turns [0, T)) and then the state probes, where the
 *    history is the real transcript (teacher forced) or the backend's own turns (free running).
 */
import { posix } from 'node:path';
import { describeError } from '../../core/errors.js';
import { canSetHistory, type Backend, type Terminal, type Turn } from '../../core/terminal.js';
import { historyTurns, type EvalSession } from './data.js';

export const BASE_STATE_PROBES: readonly { kind: string; cmd: string }[] = [
  { kind: 'pwd', cmd: 'pwd' },
  { kind: 'ls', cmd: 'ls -A' },
  { kind: 'env', cmd: 'env' },
];
export const MAX_CAT_STATE_PROBES = 2;

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
  for (const m of bare.matchAll(/\btouch\s+([^;&|<>()]+)/g))
    out.push(
      ...(m[1] ?? '')
        .trim()
        .split(/\s+/)
        .filter((w) => !w.startsWith('-')),
    );
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

export interface StateProbe {
  kind: string;
  cmd: string;
}

export function stateProbesAt(s: EvalSession, T: number): StateProbe[] {
  const cats = filesWrittenBefore(s, T)
    .slice(0, MAX_CAT_STATE_PROBES)
    .map((p) => ({ kind: 'cat', cmd: `cat '${p.replace(/'/g, `'\\''`)}'` }));
  return [...BASE_STATE_PROBES, ...cats];
}

/** Answers per state-probe depth T: the state probes' turns in order (missing where the backend failed). */
export type StateProbeAnswers = Map<number, Turn[]>;

async function runStateProbes(term: Terminal, probes: readonly StateProbe[]): Promise<Turn[]> {
  const out: Turn[] = [];
  for (const p of probes) out.push(await term.run(p.cmd));
  return out;
}

/** Replay the real commands in one fresh session and run the state probes after each depth in `depths`. */
export async function stateProbesByReplay(
  backend: Backend,
  s: EvalSession,
  depths: readonly number[],
  options?: Record<string, unknown>,
): Promise<{ answers: StateProbeAnswers; error?: string }> {
  const answers: StateProbeAnswers = new Map();
  const want = depths.filter((T) => T <= s.turns.length);
  if (want.length === 0) return { answers };
  let term: Terminal | undefined;
  try {
    term = await backend.start({ ...s.spec, ...(options ? { options } : {}) });
    for (let i = 0; i < s.turns.length && i < Math.max(...want); i++) {
      await term.run(s.turns[i]?.cmd ?? '');
      if (want.includes(i + 1)) answers.set(i + 1, await runStateProbes(term, stateProbesAt(s, i + 1)));
    }
    return { answers };
  } catch (e) {
    return { answers, error: describeError(e) };
  } finally {
    await term?.close().catch(() => undefined);
  }
}

/** Backends with setHistory: put the history of turns [0, T) in place, then run the state probes. */
export async function stateProbesByHistory(
  backend: Backend,
  s: EvalSession,
  depths: readonly number[],
  history: 'real' | readonly Turn[],
  options?: Record<string, unknown>,
): Promise<{ answers: StateProbeAnswers; error?: string }> {
  const answers: StateProbeAnswers = new Map();
  let term: Terminal | undefined;
  try {
    term = await backend.start({ ...s.spec, ...(options ? { options } : {}) });
    const setHistory = canSetHistory(term) ? term.setHistory.bind(term) : undefined;
    if (!setHistory) throw new Error(`backend ${backend.name} has no setHistory; use stateProbesByReplay`);
    for (const T of depths) {
      if (T > s.turns.length) continue;
      await setHistory(history === 'real' ? historyTurns(s, T) : history.slice(0, T));
      answers.set(T, await runStateProbes(term, stateProbesAt(s, T)));
    }
    return { answers };
  } catch (e) {
    return { answers, error: describeError(e) };
  } finally {
    await term?.close().catch(() => undefined);
  }
}
