/**
 * A recorded session replayed on a simulated backend, turn by turn, beside the real output:
 * teacher-forced (before each turn the backend's history is replaced by the real transcript, when
 * it can take one) or free-running (its own outputs are its history). Per turn: the byte
 * differences, exit and cwd, and where the backend reports token log-probabilities (learned), a
 * per-character confidence for the heat map.
 */
import { type LogprobSpan, outputSpans } from '../core/logprobs.js';
import { getBackend, type BackendName } from '../backends/registry.js';
import { canSetHistory, type Terminal, type Turn } from '../core/terminal.js';
import { diffSegments, firstDifference, type Segment } from '../report/bytesDiff.js';
import { decodeBytes, type Session } from '../session/format.js';

export type CompareMode = 'teacher' | 'free';

/** A run of visible text with one confidence level (0..9; -1 = none). */
export type HeatRun = [text: string, level: number];

export interface CompareTurn {
  depth: number;
  cmd: string;
  family?: string;
  real: { output: string; exit: number; cwd: string };
  sim: { output: string; exit: number; cwd: string; heat?: HeatRun[]; meanConfidence?: number } | { error: string };
  exact: boolean;
  exitMatch: boolean;
  cwdMatch: boolean;
  /** First differing byte of the output (-1: same bytes). */
  firstDiff: number;
  segments: Segment[];
}

export interface CompareResult {
  backend: string;
  mode: CompareMode;
  /** false: the backend keeps its own state (teacher-forced = free-running). */
  reseeded: boolean;
  turns: CompareTurn[];
  exact: number;
  seconds: number;
}

/** Visible form of one character (as in the probe diffs: ⏎ line end, \r, \xNN). */
function visibleChar(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (ch === '\n') return '⏎\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  if (ch === '\ufffd') return '\\ufffd';
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  return ch;
}

export function visibleText(b: Buffer): string {
  let s = '';
  for (const ch of b.toString('utf8')) s += visibleChar(ch);
  return s;
}

/** Per-byte log-probabilities from the output's tokens: each byte of a token carries the token's (a BPE token's confidence is its whole). */
function byteLogprobs(spans: readonly LogprobSpan[]): number[] {
  const out: number[] = [];
  for (const s of spans) for (let k = s.start; k < s.end; k++) out[k] = s.logprob;
  return out;
}

/** Per-character confidence runs from per-byte log-probabilities of the generated output. */
export function heatRuns(output: Buffer, logprobs: readonly number[]): { heat: HeatRun[]; mean: number } {
  const runs: HeatRun[] = [];
  let byte = 0;
  let sum = 0;
  let n = 0;
  for (const ch of output.toString('utf8')) {
    const len = ch === '\ufffd' ? 1 : Buffer.byteLength(ch);
    let p = 1;
    let known = false;
    for (let k = byte; k < Math.min(byte + len, output.length); k++) {
      const lp = logprobs[k];
      if (lp !== undefined && Number.isFinite(lp)) {
        p = Math.min(p, Math.exp(lp));
        known = true;
      }
    }
    byte += len;
    if (known) {
      sum += p;
      n++;
    }
    const level = known ? Math.min(9, Math.floor(p * 10 + 1e-9)) : -1;
    const text = visibleChar(ch);
    const last = runs[runs.length - 1];
    if (last && last[1] === level) last[0] += text;
    else runs.push([text, level]);
  }
  return { heat: runs, mean: n ? sum / n : NaN };
}

const MAX_TURNS = 80;

export async function compareSession(s: Session, backendName: BackendName, mode: CompareMode, options?: Record<string, unknown>): Promise<CompareResult> {
  const t0 = performance.now();
  const backend = await getBackend(backendName);
  const turns = s.turns.slice(0, MAX_TURNS);
  const realTurns: Turn[] = turns.map((t) => ({
    cmd: t.cmd,
    output: decodeBytes(t.output),
    exit: t.exit,
    cwd: t.cwd,
    ms: 0,
    timedOut: false,
    truncated: false,
  }));
  const out: CompareTurn[] = [];
  let term: Terminal | undefined;
  let reseeded = false;
  let startError: string | undefined;
  try {
    term = await backend.start({ mode: s.mode, setup: s.setup, seed: s.seed, deterministic: s.determinism?.enabled ?? true, ...(options ? { options } : {}) });
  } catch (e) {
    startError = e instanceof Error ? e.message : String(e);
  }
  try {
    for (let i = 0; i < turns.length; i++) {
      const real = realTurns[i] as Turn;
      const rec = turns[i];
      const realSide = { output: visibleText(real.output), exit: real.exit, cwd: real.cwd };
      let sim: CompareTurn['sim'];
      let pred: Turn | undefined;
      if (!term || startError) sim = { error: `${backendName} did not start: ${startError ?? 'unknown'}` };
      else {
        try {
          if (mode === 'teacher' && canSetHistory(term) && i > 0) {
            await term.setHistory(realTurns.slice(0, i));
            reseeded = true;
          }
          pred = term.dead ? undefined : await term.run(real.cmd);
          if (!pred) sim = { error: `the session is dead (${term.deadReason ?? 'no reason given'})` };
          else {
            const laid = outputSpans(pred);
            const h = laid && laid.spans.length > 0 ? heatRuns(pred.output, byteLogprobs(laid.spans)) : undefined;
            sim = { output: visibleText(pred.output), exit: pred.exit, cwd: pred.cwd, ...(h ? { heat: h.heat, meanConfidence: h.mean } : {}) };
          }
        } catch (e) {
          sim = { error: e instanceof Error ? e.message : String(e) };
        }
      }
      const simBytes = pred?.output ?? Buffer.alloc(0);
      const sameOut = pred !== undefined && simBytes.equals(real.output);
      out.push({
        depth: i + 1,
        cmd: real.cmd,
        ...(rec?.family ? { family: rec.family } : {}),
        real: realSide,
        sim,
        exact: sameOut && pred?.exit === real.exit,
        exitMatch: pred?.exit === real.exit,
        cwdMatch: pred?.cwd === real.cwd,
        firstDiff: pred ? firstDifference(real.output, simBytes) : 0,
        segments: pred ? diffSegments(real.output, simBytes) : [],
      });
    }
  } finally {
    await term?.close().catch(() => undefined);
  }
  return { backend: backendName, mode, reseeded, turns: out, exact: out.filter((t) => t.exact).length, seconds: (performance.now() - t0) / 1000 };
}
