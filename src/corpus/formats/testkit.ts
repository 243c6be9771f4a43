/**
 * Test helpers for the format folders: the recorded fixture sessions, a session with non-UTF-8
 * output, a round trip (export with one format, import the rows back with its inverse) and an
 * import of a fixture file.
 */
import { expect } from 'vitest';
import { sessionSchema, type Session } from '../../session/format.js';
import { readAllSessions } from '../../session/io.js';
import { importRows, readRows, type ImportResult } from './common.js';
import { EXPORT_FORMATS, IMPORT_FORMATS } from './index.js';

export const FX = 'test/fixtures/formats';

/** Three real recorded sessions (test/fixtures/formats/session.jsonl). */
export async function recordedSessions(): Promise<Session[]> {
  return readAllSessions(`${FX}/session.jsonl`);
}

/** A session whose one turn printed bytes that are not UTF-8. */
export function binarySession(like: Session): Session {
  return {
    ...like,
    id: 'binary-output',
    turns: [
      {
        cmd: 'head -c 4 /bin/ls',
        output: { base64: Buffer.from([0x7f, 0x45, 0xff, 0xfe]).toString('base64') },
        exit: 0,
        cwd: '/root',
        ms: 1.5,
        timedOut: false,
        truncated: false,
        family: 'inspect',
      },
    ],
  };
}

/** Export with one format, import the rows back with its inverse. */
export function roundTrip(exp: string, imp: string, sessions: Session[]): Session[] {
  const e = EXPORT_FORMATS[exp];
  const i = IMPORT_FORMATS[imp];
  if (!e || !i) throw new Error('format');
  const rows = sessions.map((s, k) => ({ line: k + 1, value: JSON.parse(JSON.stringify(e.row(s))) as unknown }));
  const r = importRows(rows, i.parse);
  expect(r.skipped).toEqual([]);
  return r.sessions;
}

/** Import a file with one format; every session it gives must validate. */
export function importFile(format: string, file: string): ImportResult {
  const f = IMPORT_FORMATS[format];
  if (!f) throw new Error(format);
  const r = importRows(readRows(file), f.parse);
  for (const s of r.sessions) expect(sessionSchema.safeParse(s).success).toBe(true);
  return r;
}
