/**
 * The Tier-1 protocol (issue 6 part 4; seeds/002 "Tier 1"), for any backend:
 *   (a) cross-entropy / bits per byte on real outputs   -> scoreSection, teacher-forced and free-running
 *   (b) exact match per family on deterministic turns    -> exactSection
 *   (c) functional equivalence through state probes      -> functionalSection (needs the real oracle)
 *   (d) ECE, Brier, reliability diagram                  -> scoreSection
 *   (e) all of it by depth T in {1, 3, 10, 25, 50}, teacher-forced (k = 1) and free-running (k = inf)
 *   (f) recovery: reseed with the real transcript every k turns, k in {1, 5, 10, inf}
 *   (g) state accuracy: the backend's own state vs the recorded one after each turn -> stateSection
 * The null backend runs beside the target on the same turns (the floor); `real` is the oracle.
 */
import { rate, type Rate } from '../../core/stats.js';
import type { Backend, Turn } from '../../core/terminal.js';
import {
  deterministicKeys,
  DEPTHS,
  exactSection,
  functionalSection,
  recoverySection,
  scoreSection,
  type ExactSection,
  type FunctionalSection,
  type StateProbePoint,
  type RecoveryEntry,
  type ScoreSection,
} from './aggregate.js';
import type { EvalData } from './data.js';
import { stateProbesByHistory, stateProbesByReplay, stateProbesAt } from './stateprobes.js';
import { mapPool, runPass, type PassResult } from './runner.js';
import { stateSection, type StateSection } from './state.js';

export const TIER1_FORMAT = 'terminalworld.tier1';
export const TIER1_VERSION = 1;
export const RESEED_KS: readonly number[] = [1, 5, 10, Infinity];

export interface Tier1Options {
  target: Backend;
  baseline: Backend;
  /** The real oracle, or null where it is unavailable (then (c) and the replay check are skipped). */
  oracle: Backend | null;
  oracleUnavailable?: string;
  data: EvalData;
  options?: Record<string, unknown>;
  concurrency: number;
  bins: number;
  ks?: readonly number[];
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface ModeSection {
  exact: ExactSection;
  scores: ScoreSection | null;
  functional: FunctionalSection | null;
}

export interface Tier1Results {
  format: typeof TIER1_FORMAT;
  version: number;
  backend: string;
  baseline: string;
  data: { path: string; kind: string; sessions: number; turns: number; scoredTurns: number; deterministicTurns: number; excluded: Record<string, number> };
  oracle: { used: boolean; reason?: string; replayAgreement?: Rate };
  reseedSupported: boolean;
  /** Free-running exact match on deterministic turns at depth T (null where no turn is that deep). */
  exactMatchByDepth: Record<string, number | null>;
  exactMatchByDepthTeacherForced: Record<string, number | null>;
  teacherForced: ModeSection;
  freeRunning: ModeSection;
  recovery: Record<string, RecoveryEntry>;
  /** Free-running state accuracy (sessions recorded with state; null without any). */
  state: StateSection | null;
  errors: { pass: string; session: string; depth: number; error: string }[];
  seconds: number;
}

const depthNumbers = (e: ExactSection): Record<string, number | null> =>
  Object.fromEntries(
    DEPTHS.map((d) => {
      const c = e.byDepth[String(d)];
      return [String(d), c && c.target.total > 0 ? c.target.rate : null];
    }),
  );

export async function runTier1(o: Tier1Options): Promise<Tier1Results> {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  const { data } = o;
  const errors: Tier1Results['errors'] = [];
  const pass = async (b: Backend, k: number, score: boolean, label: string, options?: Record<string, unknown>, reuse?: PassResult): Promise<PassResult> => {
    const t = performance.now();
    const r = await runPass(b, data, {
      k,
      score,
      concurrency: o.concurrency,
      ...(options ? { options } : {}),
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(reuse ? { reuse } : {}),
    });
    for (const e of r.errors) errors.push({ pass: label, ...e });
    log(
      `${label}: ${r.turns.length} turns in ${((performance.now() - t) / 1000).toFixed(1)} s${r.errors.length ? `, ${r.errors.length} sessions failed` : ''}`,
    );
    return r;
  };

  // 1. Determinism check: a fresh replay on the real oracle must reproduce the recording.
  const oracleDiffers = new Set<string>();
  let replayAgreement: Rate | undefined;
  const useOracle = o.oracle !== null && data.kind === 'sessions';
  if (o.oracle && useOracle) {
    const replay = await pass(o.oracle, Infinity, false, 'oracle replay');
    for (const t of replay.turns) if (!t.cmp.exact) oracleDiffers.add(`${t.session}:${t.depth}`);
    replayAgreement = rate(replay.turns.filter((t) => t.cmp.exact).length, replay.turns.length);
  }
  const det = deterministicKeys(data, oracleDiffers);

  // 2. The target at each reseed interval; teacher-forced (k=1) and free-running (k=inf) also score.
  const ks = o.ks ?? RESEED_KS;
  const passes: PassResult[] = [];
  const free = await pass(o.target, Infinity, true, `${o.target.name} free-running`, o.options);
  const supported = free.reseedSupported;
  for (const k of ks.filter(Number.isFinite)) {
    // Without setHistory every k is the free-running pass (the backend's state is its own).
    passes.push(supported ? await pass(o.target, k, k === 1, `${o.target.name} reseed every ${k}`, o.options, free) : { ...free, k });
  }
  passes.push(free);
  const teacher = passes.find((p) => p.k === 1) ?? free;
  const base = await pass(o.baseline, Infinity, false, `${o.baseline.name} baseline`);

  // 3. Functional equivalence: state probes against the oracle at the same point.
  let functionalTeacher: FunctionalSection | null = null;
  let functionalFree: FunctionalSection | null = null;
  if (o.oracle && useOracle) {
    const oracle = o.oracle;
    const t = performance.now();
    const perSession = await mapPool(data.sessions, o.concurrency, async (s, si) => {
      const want = await stateProbesByReplay(oracle, s, DEPTHS);
      const b = await stateProbesByReplay(o.baseline, s, DEPTHS);
      const tt = supported ? await stateProbesByHistory(o.target, s, DEPTHS, 'real', o.options) : await stateProbesByReplay(o.target, s, DEPTHS, o.options);
      const own: Turn[] = free.own[si] ?? [];
      const tf = supported ? await stateProbesByHistory(o.target, s, DEPTHS, own, o.options) : tt;
      for (const [label, r] of [
        ['oracle state probes', want],
        ['target state probes (teacher)', tt],
        ['target state probes (free)', tf],
      ] as const) {
        if (r.error) errors.push({ pass: label, session: s.id, depth: 0, error: r.error });
      }
      const points = (answers: typeof tt): StateProbePoint[] =>
        [...want.answers.entries()].map(([depth, oracleTurns]) => ({
          session: si,
          depth,
          probes: stateProbesAt(s, depth),
          oracle: oracleTurns,
          target: answers.answers.get(depth),
          baseline: b.answers.get(depth),
        }));
      return { teacher: points(tt), free: points(tf) };
    });
    functionalTeacher = functionalSection(perSession.flatMap((x) => x.teacher));
    functionalFree = functionalSection(perSession.flatMap((x) => x.free));
    log(`state probes: ${functionalFree.points} state-probe points in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  const excluded: Record<string, number> = {};
  let scoredTurns = 0;
  data.sessions.forEach((s, si) =>
    s.turns.forEach((t, i) => {
      if (!t.scored) return;
      scoredTurns++;
      const why = t.nondeterministic ?? (oracleDiffers.has(`${si}:${i + 1}`) ? 'oracle replay differs' : null);
      if (why) excluded[why] = (excluded[why] ?? 0) + 1;
    }),
  );
  const teacherExact = exactSection(teacher, base, data, det);
  const freeExact = exactSection(free, base, data, det);
  return {
    format: TIER1_FORMAT,
    version: TIER1_VERSION,
    backend: o.target.name,
    baseline: o.baseline.name,
    data: {
      path: data.path,
      kind: data.kind,
      sessions: data.sessions.length,
      turns: data.sessions.reduce((n, s) => n + s.turns.length, 0),
      scoredTurns,
      deterministicTurns: det.size,
      excluded,
    },
    oracle: useOracle
      ? { used: true, ...(replayAgreement ? { replayAgreement } : {}) }
      : {
          used: false,
          reason: o.oracleUnavailable ?? (data.kind !== 'sessions' ? 'the data cannot be replayed on the oracle (no initial state)' : 'no oracle'),
        },
    reseedSupported: supported,
    exactMatchByDepth: depthNumbers(freeExact),
    exactMatchByDepthTeacherForced: depthNumbers(teacherExact),
    teacherForced: { exact: teacherExact, scores: scoreSection(teacher, data, o.bins), functional: functionalTeacher },
    freeRunning: { exact: freeExact, scores: scoreSection(free, data, o.bins), functional: functionalFree },
    recovery: recoverySection(passes, base, det),
    state: stateSection(data, free.own, base.own),
    errors,
    seconds: (performance.now() - t0) / 1000,
  };
}
