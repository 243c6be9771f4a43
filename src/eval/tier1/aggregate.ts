/**
 * Tier-1 aggregation: per-turn pass results -> the rates, curves and tables of the report.
 * Every rate is a Rate (k, n, 95% Wilson interval) and sits beside the baseline's (null) rate on
 * the same turns, and beside both rates on the turns whose true output is non-empty.
 */
import { rate, type Rate } from '../../core/stats.js';
import type { Turn } from '../../core/terminal.js';
import { CalibrationAccumulator, type Calibration } from '../metrics/calibration.js';
import { CrossEntropyAccumulator, type CrossEntropy } from '../metrics/crossentropy.js';
import { compareTurns } from '../metrics/exact.js';
import type { EvalData } from './data.js';
import type { StateProbe } from './stateprobes.js';
import type { PassResult, PassTurn } from './runner.js';

export const DEPTHS: readonly number[] = [1, 3, 10, 25, 50];

export interface Cell {
  target: Rate;
  baseline: Rate;
  targetNonEmpty: Rate;
  baselineNonEmpty: Rate;
}

interface Outcome {
  ok: boolean;
  nonEmpty: boolean;
}

/** Pairs of (target, baseline) outcomes -> a Cell. */
function toCell(pairs: readonly (readonly [Outcome, Outcome | undefined])[]): Cell {
  let t = 0;
  let b = 0;
  let n = 0;
  let tne = 0;
  let bne = 0;
  let nne = 0;
  for (const [x, y] of pairs) {
    n++;
    if (x.ok) t++;
    if (y?.ok) b++;
    if (x.nonEmpty) {
      nne++;
      if (x.ok) tne++;
      if (y?.ok) bne++;
    }
  }
  return { target: rate(t, n), baseline: rate(b, n), targetNonEmpty: rate(tne, nne), baselineNonEmpty: rate(bne, nne) };
}

const key = (session: number, depth: number): string => `${session}:${depth}`;

/** Turns that count for exact match: scored, deterministic by the static rule and by the oracle replay. */
export function deterministicKeys(data: EvalData, oracleDiffers: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  data.sessions.forEach((s, si) =>
    s.turns.forEach((t, i) => {
      if (t.scored && t.nondeterministic === null && !oracleDiffers.has(key(si, i + 1))) out.add(key(si, i + 1));
    }),
  );
  return out;
}

export interface ExactSection {
  overall: Cell;
  byDepth: Record<string, Cell>;
  byFamily: Record<string, Cell>;
  /** Every scored turn, deterministic or not. */
  allTurns: { overall: Cell; byDepth: Record<string, Cell> };
  /** Exit code / cwd equal, over every scored turn that has one (null where the data has none). */
  exitMatch: Cell | null;
  cwdMatch: Cell | null;
}

export function exactSection(target: PassResult, baseline: PassResult, data: EvalData, det: ReadonlySet<string>): ExactSection {
  const base = new Map(baseline.turns.map((t) => [key(t.session, t.depth), t] as const));
  const pair = (t: PassTurn): readonly [Outcome, Outcome | undefined] => {
    const b = base.get(key(t.session, t.depth));
    return [{ ok: t.cmp.exact, nonEmpty: t.cmp.nonEmpty }, b ? { ok: b.cmp.exact, nonEmpty: b.cmp.nonEmpty } : undefined];
  };
  const detTurns = target.turns.filter((t) => det.has(key(t.session, t.depth)));
  const byDepth = (ts: PassTurn[]): Record<string, Cell> =>
    Object.fromEntries(DEPTHS.map((d) => [String(d), toCell(ts.filter((t) => t.depth === d).map(pair))]));
  const families = new Map<string, PassTurn[]>();
  for (const t of detTurns) {
    const fam = data.sessions[t.session]?.turns[t.depth - 1]?.family ?? 'untagged';
    families.set(fam, [...(families.get(fam) ?? []), t]);
  }
  const field = (f: 'exitMatch' | 'cwdMatch'): Cell | null => {
    const ts = target.turns.filter((t) => t.cmp[f] !== null);
    if (ts.length === 0) return null;
    return toCell(
      ts.map((t) => {
        const b = base.get(key(t.session, t.depth));
        return [{ ok: t.cmp[f] === true, nonEmpty: t.cmp.nonEmpty }, b ? { ok: b.cmp[f] === true, nonEmpty: b.cmp.nonEmpty } : undefined] as const;
      }),
    );
  };
  return {
    overall: toCell(detTurns.map(pair)),
    byDepth: byDepth(detTurns),
    byFamily: Object.fromEntries([...families.keys()].sort().map((f) => [f, toCell((families.get(f) ?? []).map(pair))])),
    allTurns: { overall: toCell(target.turns.map(pair)), byDepth: byDepth(target.turns) },
    exitMatch: field('exitMatch'),
    cwdMatch: field('cwdMatch'),
  };
}

export interface DepthCalibration {
  tokens: number;
  ece: number;
  brier: number;
  accuracy: number;
}

export interface ScoreSection {
  crossEntropy: { overall: CrossEntropy; byDepth: Record<string, CrossEntropy> };
  calibration: { overall: Calibration; byDepth: Record<string, DepthCalibration> };
}

/** Cross-entropy and calibration from the scored turns of a pass; null when the backend cannot score. */
export function scoreSection(pass: PassResult, data: EvalData, bins: number): ScoreSection | null {
  const scored = pass.turns.filter((t) => t.scores !== undefined);
  if (scored.length === 0) return null;
  const ce = new CrossEntropyAccumulator();
  const cal = new CalibrationAccumulator(bins);
  const ceD = new Map(DEPTHS.map((d) => [d, new CrossEntropyAccumulator()] as const));
  const calD = new Map(DEPTHS.map((d) => [d, new CalibrationAccumulator(bins)] as const));
  for (const t of scored) {
    const s = t.scores;
    if (!s) continue;
    // No exit codes in the data (SWE-agent): score the output bytes only.
    const outputOnly = data.sessions[t.session]?.turns[t.depth - 1]?.exit === null;
    const upto = outputOnly ? Math.min(s.outputTokens, s.logp.length) : s.logp.length;
    ce.add(s, outputOnly);
    cal.addScores(s, 0, upto);
    ceD.get(t.depth)?.add(s, outputOnly);
    calD.get(t.depth)?.addScores(s, 0, upto);
  }
  const depthCal = (a: CalibrationAccumulator): DepthCalibration => {
    const r = a.result();
    return { tokens: r.tokens, ece: r.ece, brier: r.brier, accuracy: r.accuracy };
  };
  return {
    crossEntropy: { overall: ce.result(), byDepth: Object.fromEntries(DEPTHS.map((d) => [String(d), (ceD.get(d) ?? new CrossEntropyAccumulator()).result()])) },
    calibration: {
      overall: cal.result(),
      byDepth: Object.fromEntries(DEPTHS.map((d) => [String(d), depthCal(calD.get(d) ?? new CalibrationAccumulator(bins))])),
    },
  };
}

export interface RecoveryEntry {
  overall: Rate;
  /** The baseline on the same turns (it has no history to reseed: the same for every k). */
  baseline: Rate;
  byDepth: Record<string, Rate>;
  /** Exact match against turns since the last reseed: how fast fidelity returns. */
  bySinceReseed: Record<string, Rate>;
}

export function recoverySection(passes: readonly PassResult[], baseline: PassResult, det: ReadonlySet<string>): Record<string, RecoveryEntry> {
  const out: Record<string, RecoveryEntry> = {};
  const bts = baseline.turns.filter((t) => det.has(key(t.session, t.depth)));
  const baseRate = rate(bts.filter((t) => t.cmp.exact).length, bts.length);
  for (const p of passes) {
    const ts = p.turns.filter((t) => det.has(key(t.session, t.depth)));
    const r = (xs: PassTurn[]): Rate => rate(xs.filter((t) => t.cmp.exact).length, xs.length);
    const since = [...new Set(ts.map((t) => t.sinceReseed))].sort((a, b) => a - b).filter((j) => j < 50);
    out[Number.isFinite(p.k) ? String(p.k) : 'inf'] = {
      overall: r(ts),
      baseline: baseRate,
      byDepth: Object.fromEntries(DEPTHS.map((d) => [String(d), r(ts.filter((t) => t.depth === d))])),
      bySinceReseed: Object.fromEntries(since.map((j) => [String(j), r(ts.filter((t) => t.sinceReseed === j))])),
    };
  }
  return out;
}

export interface StateProbePoint {
  session: number;
  depth: number;
  probes: StateProbe[];
  oracle: Turn[];
  target: Turn[] | undefined;
  baseline: Turn[] | undefined;
}

export interface FunctionalSection {
  /** State-probe points where every state probe agrees with the oracle. */
  overall: Cell;
  byDepth: Record<string, Cell>;
  /** Single state probes, by kind (pwd, ls, env, cat). The key keeps its name: it is part of the terminalworld.tier1 v1 results. */
  byProbe: Record<string, Cell>;
  /** Every single state probe pooled (a softer figure than `overall`, where one wrong state probe fails the point); key kept as in v1. */
  probes: Cell;
  points: number;
}

export function functionalSection(points: readonly StateProbePoint[]): FunctionalSection {
  const probeOk = (got: Turn | undefined, want: Turn | undefined): boolean =>
    got !== undefined && want !== undefined && compareTurns({ ...got, exit: got.exit }, { ...want, exit: want.exit }).exact;
  const pointPairs: { depth: number; pair: readonly [Outcome, Outcome] }[] = [];
  const kinds = new Map<string, (readonly [Outcome, Outcome])[]>();
  for (const p of points) {
    let allT = true;
    let allB = true;
    let nonEmptyAll = false;
    p.probes.forEach((pr, i) => {
      const want = p.oracle[i];
      const nonEmpty = (want?.output.length ?? 0) > 0;
      nonEmptyAll ||= nonEmpty;
      const t = probeOk(p.target?.[i], want);
      const b = probeOk(p.baseline?.[i], want);
      allT &&= t;
      allB &&= b;
      kinds.set(pr.kind, [
        ...(kinds.get(pr.kind) ?? []),
        [
          { ok: t, nonEmpty },
          { ok: b, nonEmpty },
        ],
      ]);
    });
    pointPairs.push({
      depth: p.depth,
      pair: [
        { ok: allT, nonEmpty: nonEmptyAll },
        { ok: allB, nonEmpty: nonEmptyAll },
      ],
    });
  }
  return {
    overall: toCell(pointPairs.map((x) => x.pair)),
    byDepth: Object.fromEntries(DEPTHS.map((d) => [String(d), toCell(pointPairs.filter((x) => x.depth === d).map((x) => x.pair))])),
    byProbe: Object.fromEntries([...kinds.entries()].map(([k, v]) => [k, toCell(v)])),
    probes: toCell([...kinds.values()].flat()),
    points: points.length,
  };
}
