/**
 * `tw corpus generate`: generate N scripts from a seed, record them on a backend in parallel,
 * then write train/valid/test splits.
 *
 *   DIR/raw/run.json          what this run is (seed, generator version, backend, mode, grammarShare:
 *                             the share of grammar sessions, --grammar-share, default 0)
 *   DIR/raw/sessions.jsonl    append-only, one line per finished session (resume skips these ids)
 *   DIR/{train,valid,test}.jsonl  written at the end (tmp + rename), by the rule in splits.ts
 *   DIR/manifest.json         counts, the split check, the rule's constants, run metadata
 */
import { existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TwError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import { readJsonFile } from '../../core/jsonfile.js';
import { runMeta } from '../../core/meta.js';
import type { Backend } from '../../core/terminal.js';
import type { Session } from '../../session/format.js';
import { parseSessionLine, SessionWriter } from '../../session/io.js';
import { generateScript, sessionId, sessionSeed, type GenerateOptions } from '../generate/session.js';
import { GENERATOR_VERSION, recordScript, runPool, type RecordOptions } from './record.js';
import { assignSplits, checkSplits, COMMON_SESSIONS, MIN_PAIR_BYTES, SPLITS, type Split, type SplitCheck } from './splits.js';
import { StatsAccumulator, type CorpusStats } from './stats.js';

export const RUN_FORMAT = 'terminalworld.corpus-run';
export const MANIFEST_FORMAT = 'terminalworld.corpus';
export const MANIFEST_VERSION = 1;

export interface GenerateCorpusOptions extends RecordOptions, GenerateOptions {
  sessions: number;
  seed: number;
  out: string;
  jobs: number;
  backend: Backend;
  onProgress?: (done: number, total: number, skipped: number) => void;
}

/** Why a recorded session cannot be trusted (the generator never means to interrupt, time out
 *  or kill a command, so exit 130, a timeout or a dead session means the recording went wrong,
 *  e.g. a ^C that raced the prompt and shifted every later output by one turn); null if fine. */
export function anomaly(s: Session): string | null {
  if (typeof s.meta?.['dead'] === 'string') return `session died: ${s.meta['dead']}`;
  const i = s.turns.findIndex((t) => t.exit === 130 || t.timedOut);
  if (i >= 0) return `turn ${i + 1} (${JSON.stringify(s.turns[i]?.cmd.slice(0, 40))}) ${s.turns[i]?.timedOut ? 'timed out' : 'exited 130 (interrupted)'}`;
  return null;
}

export const ATTEMPTS = 3;

export interface GenerateCorpusResult {
  /** Sessions re-recorded because the first attempt was anomalous, and sessions given up on. */
  retried: number;
  rejected: number;
  recorded: number;
  skipped: number;
  seconds: number;
  stats: CorpusStats;
  check: SplitCheck;
  counts: Record<Split, number>;
}

/** Read the raw file, dropping a torn last line (a crash mid-write) so the run can resume. */
function readRaw(file: string): Session[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const out: Session[] = [];
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const isLast = i === lines.length - 1;
    if (line.trim() !== '') {
      try {
        out.push(parseSessionLine(line, file, i + 1));
      } catch (e) {
        if (!isLast) throw e;
        truncateSync(file, offset);
        break;
      }
    }
    offset += Buffer.byteLength(line) + 1;
  }
  return out;
}

/** raw/run.json as a resume reads it (runs before a field existed lack it: the defaults apply). */
const runFileSchema = z.looseObject({
  format: z.string(),
  version: z.number(),
  seed: z.number().int(),
  generatorVersion: z.number().int(),
  backend: z.string(),
  mode: z.string(),
  median: z.number(),
  maxTurns: z.number(),
  recordState: z.boolean().optional(),
  image: z.string().optional(),
  grammarShare: z.number().optional(),
});

export async function generateCorpus(o: GenerateCorpusOptions): Promise<GenerateCorpusResult> {
  if (!Number.isInteger(o.sessions) || o.sessions < 1) throw new TwError(`--sessions must be a positive integer, got ${o.sessions}`, 'e.g. --sessions 2000');
  const grammarShare = o.grammarShare ?? 0;
  if (!Number.isFinite(grammarShare) || grammarShare < 0 || grammarShare > 1)
    throw new TwError(`--grammar-share must be a number from 0 to 1, got ${grammarShare}`, 'e.g. --grammar-share 0.3');
  const rawDir = join(o.out, 'raw');
  mkdirSync(rawDir, { recursive: true });
  const runFile = join(rawDir, 'run.json');
  const run = {
    format: RUN_FORMAT,
    version: MANIFEST_VERSION,
    seed: o.seed,
    generatorVersion: GENERATOR_VERSION,
    backend: o.backend.name,
    mode: o.mode ?? 'pty',
    median: o.median ?? 12,
    maxTurns: o.maxTurns ?? 60,
    recordState: o.recordState ?? false,
    image: o.image ?? 'workstation',
    grammarShare,
  };
  if (existsSync(runFile)) {
    const prev = readJsonFile(runFile, runFileSchema, `restore it from the settings this run was started with, or choose a new --out folder`);
    if ((prev['image'] ?? 'workstation') !== run.image) {
      throw new TwError(
        `${o.out} holds a run on image ${String(prev['image'] ?? 'workstation')}, this one asks for ${run.image}`,
        'resume with the same --image, or choose a new --out folder',
      );
    }
    if ((prev['grammarShare'] ?? 0) !== run.grammarShare) {
      throw new TwError(
        `${o.out} holds a run with grammarShare=${String(prev['grammarShare'] ?? 0)}, this one has grammarShare=${String(run.grammarShare)}`,
        'resume with the same --grammar-share, or choose a new --out folder',
      );
    }
    if ((prev['recordState'] ?? false) !== run.recordState) {
      throw new TwError(
        `${o.out} holds a run with recordState=${String(prev['recordState'] ?? false)}, this one has recordState=${String(run.recordState)}`,
        'resume with the same --state setting, or choose a new --out folder',
      );
    }
    for (const k of ['seed', 'generatorVersion', 'backend', 'mode', 'median', 'maxTurns'] as const) {
      if (prev[k] !== run[k]) {
        throw new TwError(
          `${o.out} holds a run with ${k}=${String(prev[k])}, this one has ${k}=${String(run[k])}`,
          `resume with the same settings, or choose a new --out folder`,
        );
      }
    }
  } else writeFileAtomic(runFile, JSON.stringify(run, null, 2) + '\n');

  const rawFile = join(rawDir, 'sessions.jsonl');
  const rejectFile = join(rawDir, 'rejected.jsonl');
  const have = new Set([...readRaw(rawFile), ...readRaw(rejectFile)].map((s) => s.id));
  const todo: number[] = [];
  for (let i = 0; i < o.sessions; i++) if (!have.has(sessionId(o.seed, i))) todo.push(i);
  const skipped = o.sessions - todo.length;
  const t0 = performance.now();
  const writer = new SessionWriter(rawFile);
  const rejects = new SessionWriter(rejectFile);
  let done = 0;
  let retried = 0;
  let rejected = 0;
  o.onProgress?.(skipped, o.sessions, skipped);
  try {
    const gen: GenerateOptions = {};
    if (o.median !== undefined) gen.median = o.median;
    if (o.maxTurns !== undefined) gen.maxTurns = o.maxTurns;
    if (grammarShare > 0) gen.grammarShare = grammarShare;
    await runPool(
      todo,
      o.jobs,
      async (i) => {
        const script = generateScript(sessionSeed(o.seed, i), sessionId(o.seed, i), gen);
        let s = await recordScript(o.backend, script, o);
        for (let a = 1; a < ATTEMPTS && anomaly(s) !== null; a++) {
          retried++;
          s = await recordScript(o.backend, script, o, { attempt: a + 1 });
        }
        return s;
      },
      (s) => {
        const bad = anomaly(s);
        if (bad !== null) {
          rejected++;
          rejects.append({ ...s, meta: { ...s.meta, rejected: bad } });
        } else writer.append(s);
        done++;
        o.onProgress?.(skipped + done, o.sessions, skipped);
      },
    );
  } finally {
    writer.close();
    rejects.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const totalRejected = readRaw(rejectFile).length;
  return { ...finalizeSplits(o.out, o.sessions, o.seed, run, totalRejected), recorded: done - rejected, retried, rejected, skipped, seconds };
}

/** Write the split files and manifest from the raw sessions (the first `n` of this seed). */
export function finalizeSplits(
  out: string,
  n: number,
  seed: number,
  run: unknown,
  rejected = 0,
): { stats: CorpusStats; check: SplitCheck; counts: Record<Split, number> } {
  const wanted = new Set(Array.from({ length: n }, (_, i) => sessionId(seed, i)));
  const seen = new Set<string>();
  const sessions = readRaw(join(out, 'raw', 'sessions.jsonl')).filter((s) => wanted.has(s.id) && !seen.has(s.id) && seen.add(s.id));
  sessions.sort((a, b) => (a.id < b.id ? -1 : 1));
  const a = assignSplits(sessions);
  const bySplit = new Map<Split, Session[]>(SPLITS.map((s) => [s, []]));
  for (const s of sessions) bySplit.get(a.split.get(s.id) ?? 'train')?.push(s);
  const check = checkSplits(bySplit);
  if (!check.ok) throw new TwError(`split check failed: ${check.examples.join('; ')}`, 'this is a bug in the split assignment; report it with the manifest');
  const acc = new StatsAccumulator();
  const counts = { train: 0, valid: 0, test: 0 } as Record<Split, number>;
  for (const [sp, ss] of bySplit) {
    writeFileAtomic(join(out, `${sp}.jsonl`), ss.map((s) => JSON.stringify(s)).join('\n') + (ss.length ? '\n' : ''));
    counts[sp] = ss.length;
    for (const s of ss) acc.add(s, sp);
  }
  const stats = acc.result();
  const manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    run,
    counts,
    rejected,
    rule: {
      fractions: [0.9, 0.05, 0.05],
      minPairBytes: MIN_PAIR_BYTES,
      commonSessions: COMMON_SESSIONS,
      moved: a.moved,
      commonPairs: a.commonPairs,
      linkedGroups: a.linkedGroups,
    },
    check,
    stats,
    meta: runMeta('corpus generate', MANIFEST_VERSION, seed, run),
  };
  writeFileAtomic(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { stats, check, counts };
}
