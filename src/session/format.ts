/**
 * The session file format: versioned JSONL, one recorded session per line.
 *
 *   {"format":"terminalworld.session","version":1,"id":"...","backend":"real",
 *    "image":{"id":"tw-bookworm-workstation","version":"2"},"mode":"pty",
 *    "determinism":{...},"seed":7,"setup":["cd ~"],
 *    "turns":[{"cmd":"ls","output":"a  b\r\n","exit":0,"cwd":"/root","ms":2.1,
 *              "timedOut":false,"truncated":false,"family":"navigation"}],
 *    "meta":{...}}
 *
 * `output` (and `stderr` in pipe mode) is a string when the bytes are valid UTF-8,
 * otherwise {"base64": "..."}: exact bytes either way. A turn may also carry `incident`
 * ({code, message}) and `cwdRaw` ({base64}); they and `determinism.turnSeconds` are optional,
 * so files written before them still read as version 1.
 */
import { z } from 'zod';
import { INCIDENT_CODES, STATE_KINDS, STATE_OPS, type Mode, type Turn } from '../core/terminal.js';

export const SESSION_FORMAT = 'terminalworld.session';
export const SESSION_VERSION = 1;

const bytesSchema = z.union([z.string(), z.object({ base64: z.string() }).strict()]);
export type EncodedBytes = z.infer<typeof bytesSchema>;

export const turnSchema = z.object({
  cmd: z.string(),
  output: bytesSchema,
  stderr: bytesSchema.optional(),
  exit: z.number().int(),
  cwd: z.string(),
  ms: z.number().nonnegative(),
  timedOut: z.boolean(),
  truncated: z.boolean(),
  /** What happened to the session in this turn (death, shell replaced, output dropped); absent: nothing. */
  incident: z.object({ code: z.enum(INCIDENT_CODES), message: z.string() }).optional(),
  /** What the command changed in the session's state (recorded with options.recordState). */
  state: z
    .object({
      files: z.array(
        z.object({
          path: z.string(),
          op: z.enum(STATE_OPS),
          kind: z.enum(STATE_KINDS),
          size: z.number().optional(),
          mode: z.number().optional(),
          target: z.string().optional(),
          content: z.string().optional(),
          contentTruncated: z.boolean().optional(),
          binary: z.literal(true).optional(),
        }),
      ),
      vars: z.record(z.string(), z.string().nullable()),
      unset: z.array(z.string()),
      functions: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }),
      aliases: z.object({ set: z.record(z.string(), z.string()), unset: z.array(z.string()) }),
      oldpwd: z.string().optional(),
      truncated: z.literal(true).optional(),
    })
    .optional(),
  /** The cwd's exact bytes when they are not valid UTF-8 (`cwd` then shows U+FFFD for them). */
  cwdRaw: z.object({ base64: z.string() }).optional(),
  /** Command family tag (navigation, edit, inspect, text, env, operators, errors, python, git, archive, ...). */
  family: z.string().optional(),
  /** Importers: true where splitting a screen into per-command turns was a guess. */
  uncertain: z.boolean().optional(),
  /** Free-form per-turn extras (importer provenance, probe ids). */
  extra: z.record(z.string(), z.unknown()).optional(),
});

export const determinismSchema = z.object({
  enabled: z.boolean(),
  clockStart: z.string(),
  clockRate: z.number(),
  clockStep: z.number().optional(),
  /** Seconds the session clock moves on per turn (file times are the turn's time); absent in sessions recorded before it existed. */
  turnSeconds: z.number().optional(),
  seed: z.number().int(),
});

export const sessionSchema = z.object({
  format: z.literal(SESSION_FORMAT),
  version: z.number().int(),
  id: z.string().min(1),
  backend: z.string(),
  image: z.object({ id: z.string(), version: z.string() }).nullable(),
  mode: z.enum(['pty', 'pipe']),
  determinism: determinismSchema.nullable(),
  seed: z.number().int(),
  setup: z.array(z.string()),
  turns: z.array(turnSchema),
  meta: z.record(z.string(), z.unknown()).optional(),
});

export type SessionTurn = z.infer<typeof turnSchema>;
export type Session = z.infer<typeof sessionSchema>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeBytes(b: Buffer | Uint8Array): EncodedBytes {
  try {
    return utf8.decode(b);
  } catch {
    return { base64: Buffer.from(b).toString('base64') };
  }
}

export function decodeBytes(e: EncodedBytes): Buffer {
  return typeof e === 'string' ? Buffer.from(e, 'utf8') : Buffer.from(e.base64, 'base64');
}

/** Output as text for display/grading; invalid UTF-8 shown with U+FFFD. */
export function bytesToText(e: EncodedBytes): string {
  return typeof e === 'string' ? e : Buffer.from(e.base64, 'base64').toString('utf8');
}

export function turnToRecord(t: Turn, family?: string): SessionTurn {
  const rec: SessionTurn = {
    cmd: t.cmd,
    output: encodeBytes(t.output),
    exit: t.exit,
    cwd: t.cwd,
    ms: Math.round(t.ms * 1000) / 1000,
    timedOut: t.timedOut,
    truncated: t.truncated,
  };
  if (t.stderr !== undefined) rec.stderr = encodeBytes(t.stderr);
  if (t.incident !== undefined) rec.incident = t.incident;
  if (t.state !== undefined) rec.state = t.state;
  if (t.cwdRaw !== undefined) rec.cwdRaw = { base64: t.cwdRaw.toString('base64') };
  if (family !== undefined) rec.family = family;
  return rec;
}

export interface NewSessionFields {
  id: string;
  backend: string;
  mode: Mode;
  seed: number;
  image?: { id: string; version: string } | null;
  determinism?: Session['determinism'];
  setup?: string[];
  turns?: SessionTurn[];
  meta?: Record<string, unknown>;
}

export function newSession(f: NewSessionFields): Session {
  return {
    format: SESSION_FORMAT,
    version: SESSION_VERSION,
    id: f.id,
    backend: f.backend,
    image: f.image ?? null,
    mode: f.mode,
    determinism: f.determinism ?? null,
    seed: f.seed,
    setup: f.setup ?? [],
    turns: f.turns ?? [],
    ...(f.meta ? { meta: f.meta } : {}),
  };
}
