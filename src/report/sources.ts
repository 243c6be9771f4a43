/**
 * What `tw report` reads: the results files that `tw eval tier1`, `tw probe`, `tw conformance`,
 * `tw bench` and `tw model ship` write, found by their `format` field in one or more run
 * folders (or named directly). Each file is checked against the fields the report uses; a file
 * of another version, a broken file or a missing part becomes a note, and the rest is shown.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { z } from 'zod';

const num = z.number().nullable(); // NaN and Infinity are written as null
const rateSchema = z.object({ passed: z.number(), total: z.number(), rate: num, lo: num, hi: num });
export type RateJson = z.infer<typeof rateSchema>;
const cellSchema = z.object({ target: rateSchema, baseline: rateSchema, targetNonEmpty: rateSchema, baselineNonEmpty: rateSchema });
export type CellJson = z.infer<typeof cellSchema>;
const binSchema = z.object({ lo: num, hi: num, count: z.number(), confidence: num, accuracy: num });
const ceSchema = z.object({ outputBytes: z.number(), tokens: z.number(), bitsPerByte: num, natsPerToken: num });
const calSchema = z.object({ tokens: z.number(), ece: num, brier: num, accuracy: num, bins: z.array(binSchema).optional() });

const modeSchema = z.object({
  exact: z.object({
    overall: cellSchema,
    byDepth: z.record(z.string(), cellSchema),
    byFamily: z.record(z.string(), cellSchema),
    exitMatch: cellSchema.nullable(),
    cwdMatch: cellSchema.nullable(),
  }),
  scores: z
    .object({
      crossEntropy: z.object({ overall: ceSchema, byDepth: z.record(z.string(), ceSchema) }),
      calibration: z.object({ overall: calSchema, byDepth: z.record(z.string(), calSchema) }),
    })
    .nullable()
    .optional(),
  functional: z
    .object({ overall: cellSchema, byDepth: z.record(z.string(), cellSchema), byProbe: z.record(z.string(), cellSchema), points: z.number() })
    .nullable()
    .optional(),
});
export type ModeJson = z.infer<typeof modeSchema>;

const metaSchema = z.looseObject({
  tool: z.string().optional(),
  createdAt: z.string().optional(),
  commit: z.string().optional(),
  seed: z.number().optional(),
  config: z.unknown().optional(),
  argv: z.array(z.string()).optional(),
  host: z.unknown().optional(),
});
export type MetaJson = z.infer<typeof metaSchema>;

export const tier1Schema = z.object({
  format: z.literal('terminalworld.tier1'),
  version: z.literal(1),
  meta: metaSchema.optional(),
  backend: z.string(),
  baseline: z.string(),
  data: z.object({
    path: z.string(),
    kind: z.string(),
    sessions: z.number(),
    turns: z.number(),
    scoredTurns: z.number(),
    deterministicTurns: z.number(),
    excluded: z.record(z.string(), z.number()),
  }),
  oracle: z.object({ used: z.boolean(), reason: z.string().optional(), replayAgreement: rateSchema.optional() }),
  teacherForced: modeSchema,
  freeRunning: modeSchema,
  recovery: z.record(z.string(), z.object({ overall: rateSchema, baseline: rateSchema, byDepth: z.record(z.string(), rateSchema) })),
  errors: z.array(z.object({ pass: z.string(), session: z.string(), depth: z.number(), error: z.string() })),
});
export type Tier1Json = z.infer<typeof tier1Schema>;

const failureSchema = z.object({
  turn: z.number(),
  cmd: z.string(),
  what: z.string(),
  message: z.string().optional(),
  expected: z.string().optional(),
  actual: z.string().optional(),
});
export const probeSchema = z.object({
  format: z.literal('tw-probe-report'),
  version: z.literal(1),
  backend: z.string(),
  categories: z.record(z.string(), rateSchema),
  aggregate: z.number(),
  passed: z.number(),
  total: z.number(),
  weights: z.record(z.string(), z.number()),
  bounds: z
    .record(z.string(), z.object({ categories: z.record(z.string(), rateSchema).optional(), aggregate: z.number().optional(), note: z.string().optional() }))
    .optional(),
  failures: z.array(z.object({ id: z.string(), category: z.string(), failures: z.array(failureSchema) })),
  meta: metaSchema.optional(),
});
export type ProbeJson = z.infer<typeof probeSchema>;

export const conformanceSchema = z.object({
  format: z.literal('tw-conformance-report'),
  version: z.literal(1),
  backend: z.string(),
  overall: rateSchema,
  files: z.record(z.string(), z.object({ passed: z.number(), total: z.number() })),
  disagreements: z.array(z.looseObject({ key: z.string(), name: z.string().optional(), reason: z.string().optional() })).optional(),
  meta: metaSchema.optional(),
});
export type ConformanceJson = z.infer<typeof conformanceSchema>;

export const benchSchema = z.object({
  format: z.literal('terminalworld.bench'),
  version: z.literal(1),
  meta: metaSchema.optional(),
  results: z.array(
    z.object({
      suite: z.string(),
      metrics: z.array(
        z.object({ name: z.string(), value: num, unit: z.string().optional(), target: z.object({ op: z.string(), value: z.number() }).optional() }),
      ),
    }),
  ),
});
export type BenchJson = z.infer<typeof benchSchema>;

export const cardSchema = z.looseObject({
  format: z.literal('terminalworld.model-card'),
  version: z.literal(1),
  step: z.number().nullable().optional(),
  commit: z.string().optional(),
  seed: z.number().optional(),
  config: z.looseObject({ name: z.string().optional(), description: z.string().optional(), model: z.record(z.string(), z.unknown()).optional() }).optional(),
  finalValidLoss: num.optional(),
  finalTrainLoss: num.optional(),
  trainedAt: z.string().optional(),
  corpus: z.unknown().optional(),
});
export type CardJson = z.infer<typeof cardSchema>;

/** A training-curve line from metrics.jsonl. */
export interface MetricPoint {
  kind: string;
  step: number;
  loss?: number;
  validLoss?: number;
}

export type Part =
  | { kind: 'tier1'; label: string; file: string; data: Tier1Json }
  | { kind: 'probe'; label: string; file: string; data: ProbeJson }
  | { kind: 'conformance'; label: string; file: string; data: ConformanceJson }
  | { kind: 'bench'; label: string; file: string; data: BenchJson }
  | { kind: 'card'; label: string; file: string; data: CardJson; metrics: MetricPoint[] }
  /** Probe rates from a markdown table (the committed just-bash scores in docs/probes.md). */
  | { kind: 'probeTable'; label: string; file: string; categories: Record<string, RateJson> };

export interface Note {
  /** Which part of the report is affected (e.g. "Tier 1", "Tier 2", "conformance"). */
  part: string;
  file: string;
  message: string;
}

export interface Loaded {
  parts: Part[];
  notes: Note[];
}

const KNOWN: Record<string, { part: string; version: number; kind: Part['kind'] }> = {
  'terminalworld.tier1': { part: 'Tier 1', version: 1, kind: 'tier1' },
  'tw-probe-report': { part: 'Tier 2', version: 1, kind: 'probe' },
  'tw-conformance-report': { part: 'conformance', version: 1, kind: 'conformance' },
  'terminalworld.bench': { part: 'benchmarks', version: 1, kind: 'bench' },
  'terminalworld.model-card': { part: 'model card', version: 1, kind: 'card' },
};

const describeIssue = (e: z.ZodError): string => {
  const i = e.issues[0];
  return i ? `field ${i.path.join('.') || '(top)'}: ${i.message}` : 'invalid';
};

/** A label for a results file: backend · model folder · data file. */
function defaultLabel(kind: Part['kind'], obj: { backend?: string; meta?: MetaJson; data?: unknown }, file: string): string {
  const cfg = (obj.meta?.config ?? {}) as { options?: { model?: unknown }; data?: unknown };
  const model = typeof cfg.options?.model === 'string' ? basename(cfg.options.model) : undefined;
  if (kind === 'tier1') {
    const data = (obj.data as { path?: string } | undefined)?.path;
    return [obj.backend, model, data ? basename(data) : undefined].filter(Boolean).join(' · ');
  }
  if (obj.backend) return model ? `${obj.backend} · ${model}` : obj.backend;
  return basename(file, '.json');
}

/** Read and classify one JSON file; undefined when it is not a results file (a meta.json, a config). */
export function loadFile(file: string, label?: string): Loaded {
  const notes: Note[] = [];
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { parts: [], notes: [{ part: 'results', file, message: `not readable as JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` }] };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { parts: [], notes };
  const o = obj as { format?: unknown; version?: unknown; tool?: unknown };
  if (typeof o.format !== 'string') return { parts: [], notes };
  const known = KNOWN[o.format];
  if (!known) return { parts: [], notes };
  if (typeof o.tool === 'string' && known.kind === 'tier1') return { parts: [], notes }; // a run's meta.json (its content is in results.json)
  if (o.version !== known.version) {
    notes.push({
      part: known.part,
      file,
      message: `format ${o.format} version ${String(o.version)}; this report reads version ${known.version}: regenerate it with this checkout's tw, or report it with the tw that wrote it`,
    });
    return { parts: [], notes };
  }
  const schema = { tier1: tier1Schema, probe: probeSchema, conformance: conformanceSchema, bench: benchSchema, card: cardSchema, probeTable: undefined }[
    known.kind
  ];
  if (!schema) return { parts: [], notes };
  const r = schema.safeParse(obj);
  if (!r.success) {
    notes.push({ part: known.part, file, message: `${o.format} file does not match its format (${describeIssue(r.error)})` });
    return { parts: [], notes };
  }
  const d = r.data as { backend?: string; meta?: MetaJson; data?: unknown };
  const l = label ?? defaultLabel(known.kind, d, file);
  switch (known.kind) {
    case 'tier1':
      return { parts: [{ kind: 'tier1', label: l, file, data: r.data as Tier1Json }], notes };
    case 'probe':
      return { parts: [{ kind: 'probe', label: l, file, data: r.data as ProbeJson }], notes };
    case 'conformance':
      return { parts: [{ kind: 'conformance', label: l, file, data: r.data as ConformanceJson }], notes };
    case 'bench':
      return { parts: [{ kind: 'bench', label: l, file, data: r.data as BenchJson }], notes };
    case 'card': {
      const card = r.data as CardJson;
      return {
        parts: [
          {
            kind: 'card',
            label: label ?? card.config?.name ?? basename(dirname(file)),
            file,
            data: card,
            metrics: readMetricsFile(join(dirname(file), 'metrics.jsonl')),
          },
        ],
        notes,
      };
    }
    default:
      return { parts: [], notes };
  }
}

/** A model folder's training curve (metrics.jsonl); broken lines are skipped. */
export function readMetricsFile(file: string): MetricPoint[] {
  if (!existsSync(file)) return [];
  const out: MetricPoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as Partial<MetricPoint>;
      if (typeof m.kind === 'string' && typeof m.step === 'number') out.push({ kind: m.kind, step: m.step, loss: m.loss, validLoss: m.validLoss });
    } catch {
      // a torn last line of a running training: skip it
    }
  }
  return out;
}

/** Every results file in a run folder (and its direct subfolders), plus the model card of the
 *  model a Tier-1 run names when that folder has one. */
export function loadRunDir(dir: string): Loaded {
  const out: Loaded = { parts: [], notes: [] };
  if (!existsSync(dir)) return { parts: [], notes: [{ part: 'run folder', file: dir, message: 'does not exist' }] };
  const files: string[] = [];
  if (statSync(dir).isFile()) files.push(dir);
  else {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isFile() && e.name.endsWith('.json')) files.push(join(dir, e.name));
      else if (e.isDirectory()) {
        for (const f of readdirSync(join(dir, e.name)).sort()) if (f.endsWith('.json')) files.push(join(dir, e.name, f));
      }
    }
  }
  for (const f of files) {
    const l = loadFile(f);
    out.parts.push(...l.parts);
    out.notes.push(...l.notes);
  }
  const cards = new Set(out.parts.filter((p) => p.kind === 'card').map((p) => p.file));
  for (const p of out.parts.filter((x) => x.kind === 'tier1')) {
    const model = (p.data.meta?.config as { options?: { model?: unknown } } | undefined)?.options?.model;
    const card = typeof model === 'string' ? join(model, 'card.json') : '';
    if (card && existsSync(card) && !cards.has(card)) {
      cards.add(card);
      const l = loadFile(card);
      out.parts.push(...l.parts);
    }
  }
  if (out.parts.length === 0 && out.notes.length === 0)
    out.notes.push({
      part: 'run folder',
      file: dir,
      message: 'holds no results file (tw eval tier1 --out, tw probe --json, tw conformance --json, tw bench --json, a model card.json)',
    });
  return out;
}

/** Probe rates from the markdown table of docs/probes.md ("| category (w) | real | null | justbash |"). */
export function probeTableFromMarkdown(file: string, column: string): { categories: Record<string, RateJson> } | { error: string } {
  if (!existsSync(file)) return { error: 'file not found' };
  const lines = readFileSync(file, 'utf8').split('\n');
  const head = lines.findIndex((l) => /^\|\s*category/.test(l) && l.includes(`| ${column} |`));
  if (head < 0) return { error: `no table with a "${column}" column` };
  const cols = (lines[head] ?? '').split('|').map((c) => c.trim());
  const ci = cols.indexOf(column);
  const categories: Record<string, RateJson> = {};
  for (const l of lines.slice(head + 2)) {
    if (!l.startsWith('|')) break;
    const cells = l.split('|').map((c) => c.trim());
    const name = /^([a-z-]+) \(/.exec(cells[1] ?? '')?.[1];
    const m = /([\d.]+)% \[([\d.]+)–([\d.]+)\] \((\d+)\/(\d+)\)/.exec(cells[ci] ?? '');
    if (!name || !m) continue;
    categories[name] = { passed: Number(m[4]), total: Number(m[5]), rate: Number(m[1]) / 100, lo: Number(m[2]) / 100, hi: Number(m[3]) / 100 };
  }
  if (Object.keys(categories).length === 0) return { error: `the "${column}" column has no rates` };
  return { categories };
}

/** The shipped default's committed results (what `tw report` shows with no run folder named). */
export function loadDefault(root: string = process.cwd()): Loaded {
  const out: Loaded = { parts: [], notes: [] };
  const add = (rel: string, label: string, part: string): void => {
    const f = join(root, rel);
    if (!existsSync(f)) {
      out.notes.push({ part, file: rel, message: 'missing' });
      return;
    }
    const l = loadFile(f, label);
    for (const p of l.parts) p.file = relative(root, p.file);
    out.parts.push(...l.parts);
    out.notes.push(...l.notes.map((n) => ({ ...n, file: relative(root, n.file) })));
  };
  add('docs/results/tier1-learned-test.json', 'terminal-state (shipped) · held-out test', 'Tier 1');
  add('docs/results/terminal-small/tier1-learned-test.json', 'terminal-small (previous default) · held-out test', 'Tier 1');
  add('docs/results/tier1-stage2-test.json', 'terminal-small stage 2 · held-out test', 'Tier 1');
  add('docs/results/tier1-stage1-test.json', 'terminal-small stage 1 · held-out test', 'Tier 1');
  add('docs/results/tier1-learned-swe.json', 'terminal-state (shipped) · SWE-agent (out of distribution)', 'Tier 1');
  add('docs/results/probe-learned.json', 'learned (terminal-state)', 'Tier 2');
  const jb = probeTableFromMarkdown(join(root, 'docs/probes.md'), 'justbash');
  if ('error' in jb) out.notes.push({ part: 'Tier 2', file: 'docs/probes.md', message: `just-bash scores: ${jb.error}` });
  else out.parts.push({ kind: 'probeTable', label: 'justbash', file: 'docs/probes.md', categories: jb.categories });
  add('docs/results/conformance-learned.json', 'learned (terminal-state)', 'conformance');
  add('bench/results/latest.json', 'bench (2026-12-03)', 'benchmarks');
  add('models/terminal-state/card.json', 'terminal-state (shipped)', 'model card');
  return out;
}
