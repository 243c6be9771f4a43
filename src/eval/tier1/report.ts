/**
 * Tier-1 output: the readable summary, the JSON, and the run folder
 *   runs/<id>/meta.json  results.json  reliability-teacher.svg  reliability-free.svg
 *            exact-by-depth.svg  functional-by-depth.svg  bits-by-depth.svg  calibration-by-depth.svg  recovery.svg
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatRate, type Rate } from '../../core/stats.js';
import type { RunMeta } from '../../core/meta.js';
import { curvesSvg, reliabilitySvg, type CurveSeries } from '../metrics/svg.js';
import { DEPTHS, type Cell } from './aggregate.js';
import type { Tier1Results } from './index.js';

/** JSON with NaN/Infinity as null (JSON has neither). */
export function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

const pct = (r: Rate | undefined): string => (r && r.total > 0 ? formatRate(r) : '—');
const num = (x: number | undefined, d = 3): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

function cellRow(label: string, c: Cell | undefined): string {
  if (!c) return `  ${label.padEnd(14)} —`;
  return `  ${label.padEnd(14)} ${pct(c.target).padEnd(30)} null ${pct(c.baseline).padEnd(30)} non-empty: ${pct(c.targetNonEmpty)} vs null ${pct(c.baselineNonEmpty)}`;
}

export function summary(r: Tier1Results): string {
  const L: string[] = [];
  L.push(`Tier 1: backend ${r.backend} (baseline ${r.baseline}) on ${r.data.path}`);
  L.push(
    `  ${r.data.sessions} sessions, ${r.data.scoredTurns} scored turns, ${r.data.deterministicTurns} deterministic; oracle: ${r.oracle.used ? `real (fresh replay reproduces the recording on ${pct(r.oracle.replayAgreement)} of turns)` : `not used (${r.oracle.reason ?? ''})`}`,
  );
  if (Object.keys(r.data.excluded).length)
    L.push(
      `  excluded from exact match: ${Object.entries(r.data.excluded)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  if (!r.reseedSupported) L.push(`  ${r.backend} keeps its own state (no setHistory): teacher-forced = free-running, every reseed interval is the same pass`);
  for (const [name, m] of [
    ['teacher-forced (real history)', r.teacherForced],
    ['free-running (own history)', r.freeRunning],
  ] as const) {
    L.push('', `${name}: exact match (output + exit) on deterministic turns`);
    L.push(cellRow('all depths', m.exact.overall));
    for (const d of DEPTHS) L.push(cellRow(`T=${d}`, m.exact.byDepth[String(d)]));
    if (m.exact.exitMatch)
      L.push(
        `  exit code match ${pct(m.exact.exitMatch.target)} (null ${pct(m.exact.exitMatch.baseline)}); cwd match ${pct(m.exact.cwdMatch?.target)} (null ${pct(m.exact.cwdMatch?.baseline)})`,
      );
    L.push('  by family:');
    for (const [f, c] of Object.entries(m.exact.byFamily)) L.push(cellRow(`  ${f}`, c));
    if (m.scores) {
      const ce = m.scores.crossEntropy.overall;
      const cal = m.scores.calibration.overall;
      L.push(
        `  cross-entropy: ${num(ce.bitsPerByte)} bits/output byte (${ce.outputBytes} bytes), ${Number.isFinite(ce.tailNatsPerToken) ? `${num(ce.natsPerToken)} nats/token incl. exit+cwd` : 'output bytes only (no exit codes in the data)'}; calibration: ECE ${num(cal.ece, 4)}, Brier ${num(cal.brier, 4)}, top-1 ${num(cal.accuracy)} over ${cal.tokens} tokens`,
      );
      L.push(
        `  by depth: ${DEPTHS.map((d) => `T=${d} ${num(m.scores?.crossEntropy.byDepth[String(d)]?.bitsPerByte)} b/B ECE ${num(m.scores?.calibration.byDepth[String(d)]?.ece, 3)}`).join(' | ')}`,
      );
    } else L.push(`  cross-entropy / calibration: ${r.backend} gives no token probabilities (uniform bytes would be 8 bits/byte)`);
    if (m.functional) {
      L.push(`  functional equivalence (all state probes agree with the oracle), ${m.functional.points} state-probe points:`);
      L.push(cellRow('all depths', m.functional.overall));
      for (const d of DEPTHS) L.push(cellRow(`T=${d}`, m.functional.byDepth[String(d)]));
      L.push(cellRow('single state probes', m.functional.probes));
      for (const [k, c] of Object.entries(m.functional.byProbe)) L.push(cellRow(`state probe ${k}`, c));
    }
  }
  L.push(
    '',
    `recovery (reseed with the real transcript every k turns): exact match on deterministic turns; null ${pct(Object.values(r.recovery)[0]?.baseline)}`,
  );
  for (const [k, e] of Object.entries(r.recovery)) {
    L.push(
      `  k=${k.padEnd(4)} ${pct(e.overall).padEnd(30)} by depth: ${DEPTHS.map((d) => `${d}: ${(e.byDepth[String(d)]?.total ?? 0) > 0 ? num(e.byDepth[String(d)]?.rate, 2) : '—'}`).join('  ')}`,
    );
  }
  if (r.state) {
    const st = r.state;
    const row = (label: string, p: { target: Rate; baseline: Rate } | undefined): string =>
      `  ${label.padEnd(14)} ${pct(p?.target).padEnd(30)} null ${pct(p?.baseline)}`;
    L.push('', `state accuracy, free-running (own state = real state after the turn), ${st.turns} turns of ${st.sessions} sessions recorded with state:`);
    L.push(row('all depths', st.overall));
    for (const d of DEPTHS) L.push(row(`T=${d}`, st.byDepth[String(d)]));
    L.push(row('cwd', st.parts.cwd), row('files', st.parts.files), row('variables etc.', st.parts.shell));
  }
  if (r.errors.length)
    L.push('', `${r.errors.length} errors (first: ${r.errors[0]?.pass} ${r.errors[0]?.session} T=${r.errors[0]?.depth}: ${r.errors[0]?.error})`);
  L.push('', `${r.seconds.toFixed(1)} s`);
  return L.join('\n') + '\n';
}

const pts = (get: (d: number) => Rate | undefined): CurveSeries['points'] =>
  DEPTHS.map((d) => {
    const r = get(d);
    return r && r.total > 0 ? { x: d, y: r.rate, lo: r.lo, hi: r.hi } : { x: d, y: null };
  });

export async function writeRunFolder(dir: string, meta: RunMeta, r: Tier1Results): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'meta.json'), toJson(meta));
  writeFileSync(join(dir, 'results.json'), toJson({ meta, ...r }));
  const tf = r.teacherForced;
  const fr = r.freeRunning;
  for (const [name, m] of [
    ['teacher', tf],
    ['free', fr],
  ] as const) {
    const cal = m.scores?.calibration.overall;
    if (cal)
      writeFileSync(
        join(dir, `reliability-${name}.svg`),
        await reliabilitySvg(
          cal.bins,
          `${r.backend}: next-token reliability (${name === 'teacher' ? 'teacher-forced' : 'free-running'})`,
          `ECE ${cal.ece.toFixed(4)}, Brier ${cal.brier.toFixed(4)}, ${cal.tokens} tokens`,
        ),
      );
  }
  const byD =
    (m: typeof tf, nonEmpty: boolean, base: boolean) =>
    (d: number): Rate | undefined => {
      const c = m.exact.byDepth[String(d)];
      if (!c) return undefined;
      return base ? (nonEmpty ? c.baselineNonEmpty : c.baseline) : nonEmpty ? c.targetNonEmpty : c.target;
    };
  writeFileSync(
    join(dir, 'exact-by-depth.svg'),
    await curvesSvg(
      [
        { name: 'teacher-forced', points: pts(byD(tf, false, false)) },
        { name: 'free-running', points: pts(byD(fr, false, false)) },
        { name: 'free, non-empty', points: pts(byD(fr, true, false)) },
        { name: `${r.baseline}`, points: pts(byD(fr, false, true)), dashed: true },
      ],
      DEPTHS,
      `${r.backend}: exact match, deterministic turns`,
      'exact-match rate',
    ),
  );
  if (tf.functional && fr.functional) {
    const f =
      (m: typeof tf, base: boolean) =>
      (d: number): Rate | undefined => {
        const c = m.functional?.byDepth[String(d)];
        return c ? (base ? c.baseline : c.target) : undefined;
      };
    writeFileSync(
      join(dir, 'functional-by-depth.svg'),
      await curvesSvg(
        [
          { name: 'teacher-forced', points: pts(f(tf, false)) },
          { name: 'free-running', points: pts(f(fr, false)) },
          { name: r.baseline, points: pts(f(fr, true)), dashed: true },
        ],
        DEPTHS,
        `${r.backend}: state probes agree with the oracle`,
        'functional-equivalence rate',
      ),
    );
  }
  if (tf.scores && fr.scores) {
    const series = (get: (m: typeof tf, d: number) => number | undefined): CurveSeries[] =>
      [
        ['teacher-forced', tf],
        ['free-running', fr],
      ].map(([name, m]) => ({
        name: String(name),
        points: DEPTHS.map((d) => ({ x: d, y: get(m as typeof tf, d) ?? null })),
      }));
    const bits = series((m, d) => m.scores?.crossEntropy.byDepth[String(d)]?.bitsPerByte);
    const maxBits = Math.max(0.5, ...bits.flatMap((s) => s.points.map((p) => (p.y !== null && Number.isFinite(p.y) ? p.y : 0))));
    writeFileSync(
      join(dir, 'bits-by-depth.svg'),
      await curvesSvg(bits, DEPTHS, `${r.backend}: bits per output byte (max ${maxBits.toFixed(2)})`, 'bits per byte'),
    );
    const ece = series((m, d) => m.scores?.calibration.byDepth[String(d)]?.ece);
    const brier = series((m, d) => m.scores?.calibration.byDepth[String(d)]?.brier).map((s) => ({ ...s, name: `Brier, ${s.name}`, dashed: true }));
    writeFileSync(
      join(dir, 'calibration-by-depth.svg'),
      await curvesSvg([...ece.map((s) => ({ ...s, name: `ECE, ${s.name}` })), ...brier], DEPTHS, `${r.backend}: calibration by depth`, 'ECE / Brier'),
    );
  }
  writeFileSync(
    join(dir, 'recovery.svg'),
    await curvesSvg(
      Object.entries(r.recovery).map(([k, e]) => ({ name: `reseed every ${k}`, points: pts((d) => e.byDepth[String(d)]) })),
      DEPTHS,
      `${r.backend}: recovery (exact match, deterministic turns)`,
      'exact-match rate',
    ),
  );
}
