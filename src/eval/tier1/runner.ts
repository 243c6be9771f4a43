/**
 * One Tier-1 pass of a backend over the evaluation sessions, written against the Terminal
 * interface only, so that it measures every backend the same way (null and real are the bounds).
 *
 * A pass has a reseed interval k: before turn i (0-based) with i % k == 0 the backend's history is
 * replaced by the real transcript of turns [0, i) (setHistory). k = 1 is teacher forcing (every
 * turn sees the real history), k = Infinity is free running (the backend's own outputs are its
 * history), and k in between gives the recovery curve. Backends without setHistory (real, null)
 * keep their own state: for them every k is the same pass, and the runner runs it once.
 *
 * With `score`, every scored turn is also scored teacher-forced (score()) given the history the
 * backend holds at that moment, before it runs the command.
 */
import { describeError } from '../../core/errors.js';
import { canScore, canSetHistory, type Backend, type Terminal, type TokenScores, type Turn } from '../../core/terminal.js';
import { compareTurns, normalizeLoose, type TurnComparison } from '../metrics/exact.js';
import { historyTurns, type EvalData, type EvalSession } from './data.js';

export interface PassTurn {
  session: number;
  /** 1-based turn index: the depth T. */
  depth: number;
  /** Turns since the last reseed (0 = right after one; for k = Infinity, depth - 1). */
  sinceReseed: number;
  cmp: TurnComparison;
  scores?: TokenScores;
}

export interface PassResult {
  k: number;
  /** Whether the backend could take a history (false: its own state is all it has). */
  reseedSupported: boolean;
  turns: PassTurn[];
  /** Per session, the turns the backend produced (its own history in free running). */
  own: Turn[][];
  errors: { session: string; depth: number; error: string }[];
}

export interface PassOptions {
  k: number;
  score: boolean;
  /** SessionSpec.options for the backend (model path, sampling...). */
  options?: Record<string, unknown>;
  /** Sessions run at once (a learned backend batches their decode steps). */
  concurrency: number;
  timeoutMs?: number;
  onSession?: (done: number, total: number) => void;
  /**
   * The free-running pass of the same backend: before the first reseed (turns [0, k)) a k-pass
   * computes exactly what free running computed (same history, same seed), so those turns are
   * copied from it and the backend starts at turn k, reseeded. Sessions that failed there run whole.
   */
  reuse?: PassResult;
}

/** Run `fn` over items with at most n in flight; results in input order. */
export async function mapPool<T, R>(items: readonly T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}

export function compareOptionsFor(s: EvalSession): { normalize?: (b: Buffer) => Buffer } {
  return s.kind === 'swe-agent' ? { normalize: normalizeLoose } : {};
}

const EMPTY_TURN = (cmd: string): Turn => ({ cmd, output: Buffer.alloc(0), exit: -1, cwd: '', ms: 0, timedOut: false, truncated: false });

interface SessionOutcome {
  turns: PassTurn[];
  own: Turn[];
  error?: { session: string; depth: number; error: string };
  reseedSupported: boolean;
}

async function runSession(backend: Backend, s: EvalSession, si: number, o: PassOptions): Promise<SessionOutcome> {
  const turns: PassTurn[] = [];
  const own: Turn[] = [];
  const cmpOpts = compareOptionsFor(s);
  let depth = 0;
  let reseedSupported = false;
  let term: Terminal | undefined;
  // Turns before the first reseed, copied from the free-running pass (see PassOptions.reuse).
  let start = 0;
  const prev = o.reuse;
  if (
    prev &&
    Number.isFinite(o.k) &&
    prev.reseedSupported &&
    !prev.errors.some((e) => e.session === s.id) &&
    (!o.score || prev.turns.every((t) => t.session !== si || t.scores))
  ) {
    start = Math.min(o.k, s.turns.length);
    own.push(...(prev.own[si] ?? []).slice(0, start));
    for (const t of prev.turns) {
      if (t.session !== si || t.depth > start) continue;
      const { scores, ...rest } = t;
      turns.push(o.score && scores ? { ...rest, scores } : rest);
    }
    if (start === s.turns.length) return { turns, own, reseedSupported: true };
  }
  try {
    term = await backend.start({ ...s.spec, ...(o.options ? { options: o.options } : {}) });
    const setHistory = canSetHistory(term) ? term.setHistory.bind(term) : undefined;
    reseedSupported = setHistory !== undefined;
    if (start > 0 && !setHistory) throw new Error('internal: reuse of a free-running pass needs setHistory');
    let lastReseed = 0;
    for (let i = start; i < s.turns.length; i++) {
      depth = i + 1;
      const truth = s.turns[i];
      if (!truth) break;
      if (setHistory && Number.isFinite(o.k) && i > 0 && i % o.k === 0) {
        await setHistory(historyTurns(s, i));
        lastReseed = i;
      }
      let scores: TokenScores | undefined;
      if (o.score && truth.scored && canScore(term)) {
        scores = await term.score(truth.cmd, { output: truth.output, exit: truth.exit ?? 0, cwd: truth.cwd ?? '/' });
      }
      const pred = term.dead ? EMPTY_TURN(truth.cmd) : await term.run(truth.cmd, o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {});
      own.push(pred);
      if (truth.scored) {
        const cmp = compareTurns(pred, truth, cmpOpts);
        turns.push({ session: si, depth, sinceReseed: setHistory && Number.isFinite(o.k) ? i - lastReseed : i, cmp, ...(scores ? { scores } : {}) });
      }
    }
    return { turns, own, reseedSupported };
  } catch (e) {
    // The rest of the session counts as wrong (never silently dropped); the pass goes on.
    for (let i = Math.max(0, depth - 1); i < s.turns.length; i++) {
      const truth = s.turns[i];
      if (!truth?.scored || turns.some((t) => t.depth === i + 1)) continue;
      turns.push({ session: si, depth: i + 1, sinceReseed: i, cmp: compareTurns(EMPTY_TURN(truth.cmd), truth, cmpOpts) });
    }
    return { turns, own, reseedSupported, error: { session: s.id, depth, error: describeError(e) } };
  } finally {
    await term?.close().catch(() => undefined);
  }
}

export async function runPass(backend: Backend, data: EvalData, o: PassOptions): Promise<PassResult> {
  let done = 0;
  const outcomes = await mapPool(data.sessions, o.concurrency, async (s, si) => {
    const r = await runSession(backend, s, si, o);
    o.onSession?.(++done, data.sessions.length);
    return r;
  });
  return {
    k: o.k,
    reseedSupported: outcomes.some((x) => x.reseedSupported),
    turns: outcomes.flatMap((x) => x.turns),
    own: outcomes.map((x) => x.own),
    errors: outcomes.flatMap((x) => (x.error ? [x.error] : [])),
  };
}
