/**
 * The HTML evaluation report: one self-contained file (inline CSS and SVG, no script, no network)
 * built from the parts that ./sources.ts found. Each section is built on its own: a part that is
 * missing or fails to draw becomes a note in its section and at the top, and the rest is shown.
 */
import { diffHtml, diffSegments } from './bytesDiff.js';
import {
  groupedRatesSpec,
  horizontalRatesSpec,
  ratesByDepthSpec,
  reliabilitySpec,
  valuesByXSpec,
  type RatePoint,
  type ReliabilityPoint,
  type ValuePoint,
} from './charts.js';
import type { Loaded, Note, Part, RateJson, CellJson, Tier1Json, ProbeJson, ModeJson } from './sources.js';
import { renderSvg, type TopLevelSpec } from './vega.js';

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(d)}%`);
const fmtRate = (r: RateJson | undefined | null, counts = true): string =>
  !r || r.total === 0
    ? '—'
    : `${pct(r.rate)} <span class="ci">[${pct(r.lo)}–${pct(r.hi)}]</span>${counts ? ` <span class="n">(${r.passed}/${r.total})</span>` : ''}`;
const fmtNum = (x: number | null | undefined, d = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

type T1 = Extract<Part, { kind: 'tier1' }>;
type PR = Extract<Part, { kind: 'probe' }>;
type PT = Extract<Part, { kind: 'probeTable' }>;
type CF = Extract<Part, { kind: 'conformance' }>;
type BN = Extract<Part, { kind: 'bench' }>;
type CD = Extract<Part, { kind: 'card' }>;

export interface ReportOptions {
  title?: string;
  /** Base URL of a running `tw view`: failing probes link into it. */
  viewerUrl?: string;
  generatedAt?: Date;
  /** Filled with every chart drawn, by name (`tw report --charts DIR` writes them as .svg files). */
  charts?: Map<string, string>;
}

interface Ctx {
  notes: Note[];
  charts: number;
  collect?: Map<string, string>;
}

async function chart(ctx: Ctx, name: string, spec: TopLevelSpec, caption: string, part: string): Promise<string> {
  try {
    const svg = await renderSvg(spec, `ch${ctx.charts++}`);
    ctx.collect?.set(name, svg);
    return `<figure class="chart" data-chart="${esc(name)}">${svg}<figcaption>${caption}</figcaption></figure>`;
  } catch (e) {
    const message = `chart "${name}" could not be drawn: ${e instanceof Error ? e.message : String(e)}`;
    ctx.notes.push({ part, file: '', message });
    return `<p class="note">${esc(message)}</p>`;
  }
}

const rp = (series: string, x: string | number, r: RateJson | undefined, dashed = false): RatePoint | undefined =>
  r && r.total > 0 && r.rate !== null
    ? { series, x, rate: r.rate, lo: r.lo ?? r.rate, hi: r.hi ?? r.rate, dashed, count: `${r.passed}/${r.total}` }
    : undefined;
const defined = <T>(xs: readonly (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);
const depthsOf = (c: Record<string, unknown>): string[] => Object.keys(c).sort((a, b) => Number(a) - Number(b));

/** Baselines (null) once per data set: the same turns give the same null rates. */
function baselineSources(t1: readonly T1[]): T1[] {
  const seen = new Set<string>();
  return t1.filter((p) => {
    const k = `${p.data.baseline}|${p.data.data.path}|${p.data.data.deterministicTurns}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
const baseName = (p: T1, many: boolean): string =>
  many ? `${p.data.baseline} · ${p.data.data.path.split('/').pop() ?? ''} (${p.data.data.deterministicTurns} turns)` : p.data.baseline;

function tier1Table(t1: readonly T1[]): string {
  const rows: [string, (m: Tier1Json) => string][] = [
    ['deterministic turns, free-running', (d) => fmtRate(d.freeRunning.exact.overall.target)],
    ['… teacher-forced', (d) => fmtRate(d.teacherForced.exact.overall.target)],
    ['… baseline (null)', (d) => fmtRate(d.freeRunning.exact.overall.baseline)],
    ['non-empty outputs, free-running', (d) => fmtRate(d.freeRunning.exact.overall.targetNonEmpty)],
    ['… baseline (null)', (d) => fmtRate(d.freeRunning.exact.overall.baselineNonEmpty)],
    ['exit code (all turns)', (d) => fmtRate(d.freeRunning.exact.exitMatch?.target)],
    [
      'cwd (all turns), free / teacher-forced',
      (d) => `${fmtRate(d.freeRunning.exact.cwdMatch?.target, false)} / ${pct(d.teacherForced.exact.cwdMatch?.target.rate)}`,
    ],
    ['state probes agree (functional), free-running', (d) => fmtRate(d.freeRunning.functional?.overall.target)],
    [
      'bits per output byte, teacher-forced / free',
      (d) => `${fmtNum(d.teacherForced.scores?.crossEntropy.overall.bitsPerByte, 2)} / ${fmtNum(d.freeRunning.scores?.crossEntropy.overall.bitsPerByte, 2)}`,
    ],
    [
      'calibration, teacher-forced: ECE / Brier / top-1',
      (d) => {
        const c = d.teacherForced.scores?.calibration.overall;
        return c ? `${fmtNum(c.ece)} / ${fmtNum(c.brier)} / ${fmtNum(c.accuracy)}` : '—';
      },
    ],
    ['data', (d) => `${esc(d.data.path)}: ${d.data.sessions} sessions, ${d.data.scoredTurns} scored turns, ${d.data.deterministicTurns} deterministic`],
    ['oracle', (d) => (d.oracle.used ? `real replay agrees on ${fmtRate(d.oracle.replayAgreement, false)}` : `not used (${esc(d.oracle.reason ?? '')})`)],
  ];
  const head = `<tr><th></th>${t1.map((p) => `<th>${esc(p.label)}</th>`).join('')}</tr>`;
  const body = rows.map(([name, f]) => `<tr><th>${name}</th>${t1.map((p) => `<td>${f(p.data)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table class="num" data-table="tier1-summary">${head}\n${body}</table></div>`;
}

async function tier1Section(ctx: Ctx, t1: readonly T1[]): Promise<string> {
  if (t1.length === 0)
    return `<section id="tier1"><h2>Tier 1: intrinsic fidelity</h2><p class="note">No Tier-1 results in the sources (<code>tw eval tier1 --out RUN</code> writes them).</p></section>`;
  const bases = baselineSources(t1);
  const manyBases = bases.length > 1;
  const out: string[] = ['<section id="tier1"><h2>Tier 1: intrinsic fidelity</h2>', tier1Table(t1)];
  const byDepth = (pick: (m: ModeJson) => Record<string, CellJson>, mode: 'teacherForced' | 'freeRunning', field: 'target' | 'targetNonEmpty'): RatePoint[] => {
    const pts: (RatePoint | undefined)[] = [];
    for (const p of t1) {
      const c = pick(p.data[mode]);
      for (const d of depthsOf(c)) pts.push(rp(p.label, Number(d), c[d]?.[field]));
    }
    for (const p of bases) {
      const c = pick(p.data.freeRunning);
      for (const d of depthsOf(c)) pts.push(rp(baseName(p, manyBases), Number(d), c[d]?.[field === 'target' ? 'baseline' : 'baselineNonEmpty'], true));
    }
    return defined(pts);
  };
  const charts: string[] = [];
  charts.push(
    await chart(
      ctx,
      'exact-free',
      ratesByDepthSpec(
        byDepth((m) => m.exact.byDepth, 'freeRunning', 'target'),
        'Exact match by depth, free-running (deterministic turns)',
        'exact match (output + exit)',
      ),
      'The model conditions on its own earlier outputs. Bars: 95% Wilson intervals; dashed: the null backend on the same turns.',
      'Tier 1',
    ),
  );
  charts.push(
    await chart(
      ctx,
      'exact-teacher',
      ratesByDepthSpec(
        byDepth((m) => m.exact.byDepth, 'teacherForced', 'target'),
        'Exact match by depth, teacher-forced',
        'exact match (output + exit)',
      ),
      'The model conditions on the real transcript.',
      'Tier 1',
    ),
  );
  charts.push(
    await chart(
      ctx,
      'exact-nonempty',
      ratesByDepthSpec(
        byDepth((m) => m.exact.byDepth, 'freeRunning', 'targetNonEmpty'),
        'Exact match on non-empty outputs, free-running',
        'exact match',
      ),
      'Only turns whose real output is non-empty: the null backend scores 0 here.',
      'Tier 1',
    ),
  );
  const func = t1.filter((p) => p.data.freeRunning.functional);
  if (func.length) {
    const pts: (RatePoint | undefined)[] = [];
    for (const p of func)
      for (const mode of ['teacherForced', 'freeRunning'] as const) {
        const f = p.data[mode].functional;
        if (f)
          for (const d of depthsOf(f.byDepth))
            pts.push(rp(`${p.label} · ${mode === 'freeRunning' ? 'free' : 'teacher-forced'}`, Number(d), f.byDepth[d]?.target));
      }
    for (const p of baselineSources(func)) {
      const f = p.data.freeRunning.functional;
      if (f) for (const d of depthsOf(f.byDepth)) pts.push(rp(baseName(p, manyBases), Number(d), f.byDepth[d]?.baseline, true));
    }
    const kinds: (RatePoint | undefined)[] = [];
    for (const p of func) for (const [k, c] of Object.entries(p.data.freeRunning.functional?.byProbe ?? {})) kinds.push(rp(p.label, k, c.target));
    for (const p of baselineSources(func))
      for (const [k, c] of Object.entries(p.data.freeRunning.functional?.byProbe ?? {})) kinds.push(rp(baseName(p, manyBases), k, c.baseline));
    if (kinds.some(Boolean))
      charts.push(
        await chart(
          ctx,
          'state-probes',
          groupedRatesSpec(defined(kinds), 'State probes one by one, free-running', 'agrees with the oracle', 'probe', [
            ...func.map((p) => p.label),
            ...baselineSources(func).map((p) => baseName(p, manyBases)),
          ]),
          'Each state probe (pwd, ls, cat of a file the session wrote, env) on its own, pooled over depths.',
          'Tier 1',
        ),
      );
    charts.push(
      await chart(
        ctx,
        'state-accuracy',
        ratesByDepthSpec(defined(pts), 'State accuracy by depth (pwd, ls, cat, env state probes all agree with the oracle)', 'state accuracy'),
        'Functional equivalence: state probes inserted at each depth, answered by the real oracle replaying the same commands.',
        'Tier 1',
      ),
    );
  }
  const scored = t1.filter((p) => p.data.teacherForced.scores);
  if (scored.length) {
    const pts: ValuePoint[] = [];
    for (const p of scored)
      for (const mode of ['teacherForced', 'freeRunning'] as const) {
        const ce = p.data[mode].scores?.crossEntropy.byDepth ?? {};
        for (const d of depthsOf(ce)) {
          const v = ce[d]?.bitsPerByte;
          if (v !== null && v !== undefined) pts.push({ series: `${p.label} · ${mode === 'freeRunning' ? 'free' : 'teacher-forced'}`, x: Number(d), y: v });
        }
      }
    charts.push(
      await chart(
        ctx,
        'bits-per-byte',
        valuesByXSpec(pts, 'Bits per output byte by depth', 'bits per byte', 'turn depth T'),
        'Cross-entropy of the real output under the model (uniform bytes: 8 bits).',
        'Tier 1',
      ),
    );
    for (const mode of ['teacherForced', 'freeRunning'] as const) {
      const rel: ReliabilityPoint[] = [];
      for (const p of scored)
        for (const b of p.data[mode].scores?.calibration.overall.bins ?? [])
          if (b.confidence !== null && b.accuracy !== null)
            rel.push({
              series: `${p.label} (ECE ${fmtNum(p.data[mode].scores?.calibration.overall.ece)})`,
              confidence: b.confidence,
              accuracy: b.accuracy,
              count: b.count,
            });
      if (rel.length)
        charts.push(
          await chart(
            ctx,
            `reliability-${mode === 'teacherForced' ? 'teacher' : 'free'}`,
            reliabilitySpec(rel, `Reliability diagram, ${mode === 'teacherForced' ? 'teacher-forced' : 'free-running'}`),
            'Next-token confidence against accuracy per confidence bin; the dashed diagonal is perfect calibration; dot area: tokens in the bin.',
            'Tier 1',
          ),
        );
    }
  }
  {
    const pts: (RatePoint | undefined)[] = [];
    for (const p of t1) for (const [f, c] of Object.entries(p.data.freeRunning.exact.byFamily)) pts.push(rp(p.label, f, c.target));
    for (const p of bases) for (const [f, c] of Object.entries(p.data.freeRunning.exact.byFamily)) pts.push(rp(baseName(p, manyBases), f, c.baseline));
    const series = [...t1.map((p) => p.label), ...bases.map((p) => baseName(p, manyBases))];
    if (pts.some(Boolean))
      charts.push(
        await chart(
          ctx,
          'per-family',
          groupedRatesSpec(defined(pts), 'Exact match per command family, free-running', 'exact match', 'family', series),
          "Deterministic turns, by the generator's command family; rules: 95% intervals.",
          'Tier 1',
        ),
      );
  }
  {
    const pts: (RatePoint | undefined)[] = [];
    // one run's curves (the first with several reseed intervals): several runs' would be a tangle
    const p = t1.find((x) => Object.keys(x.data.recovery).length > 1);
    if (p)
      for (const [k, e] of Object.entries(p.data.recovery)) for (const d of depthsOf(e.byDepth)) pts.push(rp(`reseed every ${k}`, Number(d), e.byDepth[d]));
    if (p && pts.some(Boolean))
      charts.push(
        await chart(
          ctx,
          'recovery',
          ratesByDepthSpec(defined(pts), `Recovery: ${p.label}`, 'exact match'),
          'Exact match by depth, free-running, reseeded with the real transcript every k turns (inf: never). Flat curves: errors are per turn, not drift that reseeding undoes.',
          'Tier 1',
        ),
      );
  }
  out.push(`<div class="charts">${charts.join('\n')}</div>`);
  for (const p of t1)
    if (p.data.errors.length)
      out.push(`<p class="note">${esc(p.label)}: ${p.data.errors.length} turns failed to run (first: ${esc(p.data.errors[0]?.error ?? '')})</p>`);
  out.push('</section>');
  return out.join('\n');
}

function viewerLink(o: ReportOptions, id: string): string {
  return o.viewerUrl ? ` <a class="view" href="${esc(o.viewerUrl.replace(/\/$/, ''))}/#probe=${encodeURIComponent(id)}">open in viewer</a>` : '';
}

function failuresHtml(p: ProbeJson, label: string, o: ReportOptions): string {
  if (p.failures.length === 0) return `<p>${esc(label)}: no failing probes.</p>`;
  const items = p.failures.map((f) => {
    const parts = f.failures.map((x) => {
      const head = `<div class="what">turn ${x.turn + 1} <code>${esc(x.cmd.length > 80 ? x.cmd.slice(0, 80) + '…' : x.cmd)}</code>: ${esc(x.what)}${x.message ? ` — ${esc(x.message)}` : ''}</div>`;
      if (x.expected === undefined || x.actual === undefined) return head;
      const d = diffHtml(diffSegments(x.expected, x.actual));
      return `${head}<div class="pair"><div><div class="side">expected (real)</div><pre class="out">${d.expected || '<span class="empty">(empty)</span>'}</pre></div><div><div class="side">actual (${esc(p.backend)})</div><pre class="out">${d.actual || '<span class="empty">(empty)</span>'}</pre></div></div>`;
    });
    return `<details class="probe-failure" data-probe="${esc(f.id)}"><summary><span class="cat">${esc(f.category)}</span> ${esc(f.id)} <span class="n">(${f.failures.length} check${f.failures.length === 1 ? '' : 's'} failed)</span>${viewerLink(o, f.id)}</summary>${parts.join('\n')}</details>`;
  });
  return `<h3>Failing probes: ${esc(label)} (${p.failures.length} of ${p.total})</h3><p class="hint">Expected vs actual, in visible form (⏎ line end, \\r carriage return); <del>removed</del> and <ins>added</ins> characters are marked.</p>${items.join('\n')}`;
}

async function tier2Section(ctx: Ctx, probes: readonly PR[], tables: readonly PT[], o: ReportOptions): Promise<string> {
  if (probes.length === 0 && tables.length === 0)
    return `<section id="tier2"><h2>Tier 2: probes</h2><p class="note">No probe results in the sources (<code>tw probe --backend B --json F</code> writes them).</p></section>`;
  // columns: the bounds (real, null) from the first report that has them, then just-bash, then each report's backend
  const cols: { name: string; cats: Record<string, RateJson>; dashed?: boolean }[] = [];
  const withBounds = probes.find((p) => p.data.bounds);
  for (const [name, b] of Object.entries(withBounds?.data.bounds ?? {})) if (b.categories) cols.push({ name, cats: b.categories, dashed: true });
  for (const t of tables)
    if (!cols.some((c) => c.name === t.label) && !probes.some((p) => p.data.backend === t.label))
      cols.push({ name: `${t.label} (${t.file})`, cats: t.categories });
  for (const p of probes) cols.push({ name: p.label, cats: p.data.categories });
  const cats = [...new Set(cols.flatMap((c) => Object.keys(c.cats)))];
  const weights = withBounds?.data.weights ?? probes[0]?.data.weights ?? {};
  const head = `<tr><th>category (weight)</th>${cols.map((c) => `<th>${esc(c.name)}</th>`).join('')}</tr>`;
  const body = cats
    .map(
      (cat) =>
        `<tr><th>${esc(cat)}${weights[cat] !== undefined ? ` (${weights[cat]})` : ''}</th>${cols.map((c) => `<td>${fmtRate(c.cats[cat])}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const agg = (c: { cats: Record<string, RateJson> }): string => {
    let num = 0;
    let den = 0;
    let k = 0;
    let n = 0;
    for (const [cat, r] of Object.entries(c.cats)) {
      const w = weights[cat] ?? 1;
      num += w * (r.rate ?? 0);
      den += w;
      k += r.passed;
      n += r.total;
    }
    return den ? `<b>${pct(num / den)}</b> <span class="n">(${k}/${n})</span>` : '—';
  };
  const aggRow = `<tr><th>aggregate (weighted)</th>${cols.map((c) => `<td>${agg(c)}</td>`).join('')}</tr>`;
  const pts = defined(cols.flatMap((c) => cats.map((cat) => rp(c.name, cat, c.cats[cat], c.dashed))));
  const ch = await chart(
    ctx,
    'probe-categories',
    groupedRatesSpec(
      pts,
      'Probe pass rate per category',
      'probes passing',
      'category',
      cols.map((c) => c.name),
    ),
    'Each bar with its 95% interval; real is the upper bound (it must be 100%), null the floor.',
    'Tier 2',
  );
  const fails = probes.map((p) => failuresHtml(p.data, p.label, o)).join('\n');
  return `<section id="tier2"><h2>Tier 2: probes</h2><div class="scroll"><table class="num" data-table="probe-categories">${head}\n${body}\n${aggRow}</table></div><div class="charts">${ch}</div>${fails}</section>`;
}

async function conformanceSection(ctx: Ctx, cf: readonly CF[]): Promise<string> {
  if (cf.length === 0)
    return `<section id="conformance"><h2>Conformance</h2><p class="note">No conformance results in the sources (<code>tw conformance --backend B --json F</code>).</p></section>`;
  const rows = cf
    .map(
      (p) =>
        `<tr><th>${esc(p.label)}</th><td>${fmtRate(p.data.overall)}</td><td>${Object.keys(p.data.files).length}</td><td>${p.data.disagreements?.length ?? '—'}</td></tr>`,
    )
    .join('');
  const first = cf[0];
  const files = first
    ? Object.entries(first.data.files)
        .sort((a, b) => b[1].passed / (b[1].total || 1) - a[1].passed / (a[1].total || 1) || a[0].localeCompare(b[0]))
        .map(([n]) => n)
    : [];
  const bars = cf.flatMap((p) =>
    files.map((f) => {
      const x = p.data.files[f];
      return { name: f.replace(/\.test\.sh$/, ''), series: p.label, rate: x?.total ? x.passed / x.total : 0, passed: x?.passed ?? 0, total: x?.total ?? 0 };
    }),
  );
  const ch = await chart(
    ctx,
    'conformance-files',
    horizontalRatesSpec(bars, 'Oils bash spec cases passing, per spec file'),
    'The external Oils bash spec cases, run as <code>bash -c</code> in a fresh directory (evaluation only).',
    'conformance',
  );
  return `<section id="conformance"><h2>Conformance (Oils bash spec cases)</h2><table class="num" data-table="conformance"><tr><th>backend</th><th>cases passing</th><th>files</th><th>disagreements</th></tr>${rows}</table><details><summary>per spec file</summary><div class="charts">${ch}</div></details></section>`;
}

function benchSection(bn: readonly BN[]): string {
  if (bn.length === 0)
    return `<section id="bench"><h2>Benchmarks</h2><p class="note">No benchmark results in the sources (<code>tw bench all --json F</code>).</p></section>`;
  const parts = bn.map((p) => {
    const rows = p.data.results.flatMap((s) =>
      s.metrics.map((m) => {
        const ok =
          m.target && m.value !== null
            ? m.target.op === '<='
              ? m.value <= m.target.value
              : m.target.op === '>='
                ? m.value >= m.target.value
                : m.target.op === '<'
                  ? m.value < m.target.value
                  : m.value > m.target.value
            : undefined;
        const v = m.value === null ? '—' : Math.abs(m.value) >= 100 ? m.value.toFixed(0) : m.value.toPrecision(3);
        return `<tr><td>${esc(s.suite)}</td><td>${esc(m.name)}</td><td>${v} ${esc(m.unit ?? '')}</td><td>${m.target ? `${esc(m.target.op)} ${m.target.value} <span class="${ok ? 'ok' : 'bad'}">${ok ? '✓' : '✗'}</span>` : ''}</td></tr>`;
      }),
    );
    return `<h3>${esc(p.label)} <span class="n">${esc(p.data.meta?.createdAt ?? '')}, commit ${esc((p.data.meta?.commit ?? '').slice(0, 12))}</span></h3><table data-table="bench"><tr><th>suite</th><th>figure</th><th>measured</th><th>target</th></tr>${rows.join('\n')}</table>`;
  });
  return `<section id="bench"><h2>Benchmarks</h2>${parts.join('\n')}</section>`;
}

async function metaSection(ctx: Ctx, parts: readonly Part[], cards: readonly CD[]): Promise<string> {
  const rows = parts
    .filter((p) => p.kind !== 'card' && p.kind !== 'probeTable')
    .map((p) => {
      const meta =
        'data' in p ? (p.data as { meta?: { commit?: string; createdAt?: string; seed?: number; argv?: string[]; config?: unknown } }).meta : undefined;
      return `<tr><td>${esc(p.kind)}</td><td>${esc(p.label)}</td><td><code>${esc(p.file)}</code></td><td><code>${esc((meta?.commit ?? '—').slice(0, 12))}${meta?.commit?.endsWith('-dirty') ? '-dirty' : ''}</code></td><td>${esc(meta?.createdAt ?? '—')}</td><td>${meta?.seed ?? '—'}</td><td><code>${esc(meta?.argv ? `tw ${meta.argv.join(' ')}` : '—')}</code></td></tr>`;
    });
  const cardHtml: string[] = [];
  for (const c of cards) {
    const m = c.data.config?.model ?? {};
    const fields: [string, string][] = [
      ['config', c.data.config?.name ?? '—'],
      [
        'shape',
        Object.entries(m)
          .filter(([, v]) => typeof v === 'number')
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', '),
      ],
      ['step', String(c.data.step ?? '—')],
      ['seed', String(c.data.seed ?? '—')],
      ['commit', c.data.commit ?? '—'],
      ['trained at', c.data.trainedAt ?? '—'],
      ['final held-out loss', fmtNum(c.data.finalValidLoss)],
    ];
    let curve = '';
    const train = c.metrics.filter((x) => x.kind === 'train' && typeof x.loss === 'number');
    const valid = c.metrics.filter((x) => x.kind === 'eval' && typeof x.validLoss === 'number');
    if (train.length || valid.length) {
      const every = Math.max(1, Math.ceil(train.length / 300));
      const pts: ValuePoint[] = [];
      let sum = 0;
      train.forEach((x, i) => {
        sum += x.loss ?? 0;
        if (i >= 50) sum -= train[i - 50]?.loss ?? 0;
        if (i % every === 0 || i === train.length - 1) pts.push({ series: 'train (avg of 50)', x: x.step, y: sum / Math.min(50, i + 1) });
      });
      for (const x of valid) pts.push({ series: 'held-out', x: x.step, y: x.validLoss ?? NaN });
      curve = await chart(
        ctx,
        'training-curve',
        valuesByXSpec(pts, `Training curve: ${c.data.config?.name ?? c.label}`, 'loss (nats per predicted token)', 'optimizer step', false),
        "From the model folder's metrics.jsonl.",
        'model card',
      );
    }
    cardHtml.push(
      `<h3>Model card: ${esc(c.label)} <span class="n"><code>${esc(c.file)}</code></span></h3><table data-table="card">${fields.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>${c.data.config?.description ? `<p>${esc(c.data.config.description)}</p>` : ''}<div class="charts">${curve}</div><details><summary>card.json</summary><pre>${esc(JSON.stringify(c.data, null, 1).slice(0, 20_000))}</pre></details>`,
    );
  }
  if (cards.length === 0) cardHtml.push('<p class="note">No model card in the sources.</p>');
  return `<section id="meta"><h2>Runs and models</h2><div class="scroll"><table data-table="sources"><tr><th>kind</th><th>label</th><th>file</th><th>commit</th><th>created</th><th>seed</th><th>command</th></tr>${rows.join('\n')}</table></div>${cardHtml.join('\n')}</section>`;
}

const CSS = `
:root{--fg:#1d1d1f;--mut:#6b6b70;--line:#e3e3e6;--bg:#fafafa;--del:#ffd7d5;--ins:#d3f5d3}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9cdd6}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:6px 28px;z-index:2}nav a{margin-right:16px;color:#2456a6;text-decoration:none}
main{padding:8px 28px 40px;max-width:1500px}section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 20px 16px;margin:16px 0}
h2{font-size:18px;margin:10px 0}h3{font-size:15px;margin:18px 0 6px}.n,.ci{color:var(--mut);font-size:12px}
table{border-collapse:collapse;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}table.num td{white-space:nowrap}table.num th:first-child{min-width:240px}
.scroll{overflow-x:auto}.charts{display:flex;flex-wrap:wrap;gap:12px}figure.chart{margin:8px 0;border:1px solid var(--line);border-radius:4px;padding:4px;background:#fff;max-width:100%;overflow-x:auto}
figcaption{color:var(--mut);font-size:12px;max-width:640px;padding:2px 6px}.note{background:#fff6dd;border-left:3px solid #e0a800;padding:6px 10px;margin:8px 0}
#notes li{margin:2px 0}.pair{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin:4px 0 10px}.side{font-size:12px;color:var(--mut)}
pre.out{margin:0;padding:6px;background:#f4f4f6;border:1px solid var(--line);white-space:pre-wrap;word-break:break-all;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;max-height:260px;overflow:auto}
del{background:var(--del);text-decoration:none}ins{background:var(--ins);text-decoration:none}.empty{color:var(--mut);font-style:italic}
details.probe-failure{border-bottom:1px solid var(--line);padding:3px 0}details.probe-failure summary{cursor:pointer}.cat{display:inline-block;min-width:110px;color:var(--mut)}
.what{margin:6px 0 2px}.ok{color:#1a7f37}.bad{color:#c62828}a.view{font-size:12px;margin-left:8px}
`;

export async function buildHtml(loaded: Loaded, o: ReportOptions = {}): Promise<string> {
  const ctx: Ctx = { notes: [...loaded.notes], charts: 0, ...(o.charts ? { collect: o.charts } : {}) };
  const { parts } = loaded;
  const t1 = parts.filter((p): p is T1 => p.kind === 'tier1');
  const probes = parts.filter((p): p is PR => p.kind === 'probe');
  const tables = parts.filter((p): p is PT => p.kind === 'probeTable');
  const cf = parts.filter((p): p is CF => p.kind === 'conformance');
  const bn = parts.filter((p): p is BN => p.kind === 'bench');
  const cards = parts.filter((p): p is CD => p.kind === 'card');
  const guard = async (part: string, f: () => Promise<string> | string): Promise<string> => {
    try {
      return await f();
    } catch (e) {
      const message = `this part could not be rendered: ${e instanceof Error ? e.message : String(e)}`;
      ctx.notes.push({ part, file: '', message });
      return `<section><h2>${esc(part)}</h2><p class="note">${esc(message)}</p></section>`;
    }
  };
  const sections = [
    await guard('Tier 1', () => tier1Section(ctx, t1)),
    await guard('Tier 2', () => tier2Section(ctx, probes, tables, o)),
    await guard('conformance', () => conformanceSection(ctx, cf)),
    `<section id="tier3"><h2>Tier 3: downstream</h2><p class="note">The report does not read Tier-3 results yet: <code>tw tier3 report --run DIR</code> prints the table of a run (docs/tier3.md).</p></section>`,
    await guard('benchmarks', () => benchSection(bn)),
    await guard('metadata', () => metaSection(ctx, parts, cards)),
  ];
  loaded.notes.splice(0, loaded.notes.length, ...ctx.notes); // charts that failed to draw, for the caller to print
  const notes = ctx.notes.length
    ? `<div class="note" id="notes"><b>Missing or unreadable parts</b> (the rest is shown):<ul>${ctx.notes.map((n) => `<li data-part="${esc(n.part)}"><b>${esc(n.part)}</b>${n.file ? ` <code>${esc(n.file)}</code>` : ''}: ${esc(n.message)}</li>`).join('')}</ul></div>`
    : '';
  const title = o.title ?? 'TerminalWorld evaluation report';
  const when = (o.generatedAt ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p>${parts.length} results files · generated ${esc(when)} by <code>tw report</code></p></header>
<nav><a href="#tier1">Tier 1</a><a href="#tier2">Tier 2</a><a href="#conformance">Conformance</a><a href="#tier3">Tier 3</a><a href="#bench">Benchmarks</a><a href="#meta">Runs and models</a></nav>
<main>${notes}
${sections.join('\n')}
</main></body></html>
`;
}
