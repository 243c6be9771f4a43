/**
 * Expected answers, recorded from the real backend: probes/<category>/fixtures.json.
 *
 *   {"format": "tw-probe-fixtures", "version": 1, "category": "filesystem",
 *    "probes": {"fs-mkdir-ls": {"hash": "<sha256 of the probe definition>", "locked": false,
 *               "recordedAt": "...", "oracle": {...terminal info...},
 *               "turns": [{"output": "bar\r\n", "exit": 0, "state": [...]}],
 *               "samples": [[...turns of sample 0...], ...]}}}
 *
 * Bytes are stored as a string when valid UTF-8, else as {"b64": "..."}. A fixture whose hash no longer
 * matches its probe is stale and must be re-recorded (`tw probe --record`); `"locked": true` marks a
 * hand-edited fixture, which recording never overwrites.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TwError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import { sha256 } from '../../core/meta.js';
import type { Category, Probe } from './schema.js';

export const FIXTURE_FORMAT = 'tw-probe-fixtures';
export const FIXTURE_VERSION = 1;

const Bytes = z.union([z.string(), z.object({ b64: z.string() }).strict()]);
export type EncodedBytes = z.infer<typeof Bytes>;

export interface Obs {
  output: EncodedBytes;
  stderr?: EncodedBytes;
  exit: number;
  state?: Obs[];
}
const ObsSchema: z.ZodType<Obs> = z.lazy(() =>
  z.object({ output: Bytes, stderr: Bytes.optional(), exit: z.number().int(), state: z.array(ObsSchema).optional() }).strict(),
);

const EntrySchema = z
  .object({
    hash: z.string(),
    locked: z.boolean().optional(),
    recordedAt: z.string(),
    oracle: z.record(z.string(), z.unknown()).optional(),
    turns: z.array(ObsSchema),
    samples: z.array(z.array(ObsSchema)).optional(),
  })
  .strict();
export type FixtureEntry = z.infer<typeof EntrySchema>;

const FileSchema = z
  .object({
    format: z.literal(FIXTURE_FORMAT),
    version: z.number().int(),
    category: z.string(),
    probes: z.record(z.string(), EntrySchema),
  })
  .strict();
export type FixtureFile = z.infer<typeof FileSchema>;

export function encodeBytes(b: Buffer): EncodedBytes {
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : { b64: b.toString('base64') };
}
export function decodeBytes(e: EncodedBytes): Buffer {
  return typeof e === 'string' ? Buffer.from(e, 'utf8') : Buffer.from(e.b64, 'base64');
}

/** Hash of what the oracle's answer depends on (not the description or tags). */
export function probeHash(p: Probe): string {
  const { id, mode, setup, turns, samples, deterministic } = p;
  return sha256(JSON.stringify({ id, mode, setup, turns, samples, deterministic })).slice(0, 16);
}

export function fixturePath(root: string, category: Category): string {
  return path.join(root, category, 'fixtures.json');
}

export function readFixtures(root: string, category: Category): FixtureFile {
  const file = fixturePath(root, category);
  if (!existsSync(file)) return { format: FIXTURE_FORMAT, version: FIXTURE_VERSION, category, probes: {} };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TwError(
      `${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`,
      'fix it or re-record: tw probe --record --category ' + category,
    );
  }
  const r = FileSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    const where = i ? i.path.map(String).join('.') : '';
    throw new TwError(`${file}: field "${where}": ${i?.message ?? 'invalid'}`, `re-record it: tw probe --record --category ${category}`);
  }
  if (r.data.version !== FIXTURE_VERSION)
    throw new TwError(
      `${file}: fixture version ${r.data.version}, this tw reads version ${FIXTURE_VERSION}`,
      `re-record: tw probe --record --category ${category}`,
    );
  return r.data;
}

/** Writes atomically (temp file, fsync, rename) so an interrupted recording never leaves half a file. */
export function writeFixtures(root: string, f: FixtureFile): void {
  const file = fixturePath(root, f.category as Category);
  const sorted: FixtureFile = { ...f, probes: Object.fromEntries(Object.entries(f.probes).sort(([a], [b]) => a.localeCompare(b))) };
  writeFileAtomic(file, JSON.stringify(sorted, null, 1) + '\n');
}

export type FixtureStatus = 'ok' | 'missing' | 'stale';
export function fixtureStatus(p: Probe, f: FixtureFile): FixtureStatus {
  const e = f.probes[p.id];
  if (!e) return 'missing';
  return e.hash === probeHash(p) ? 'ok' : 'stale';
}
