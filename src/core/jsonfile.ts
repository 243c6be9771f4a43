/**
 * Reading the JSON files a run leaves behind (state, checkpoints' pointers, results), validated by a
 * zod schema: after a kill -9, a disk filling up or a hand edit, a bad file stops with a TwError that
 * names the file (and line), the field and the fix, never with a TypeError three calls later.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TwError } from './errors.js';

/** A number as JSON stores it: NaN and ±Infinity are written as null, and read back here as NaN. */
export const jsonNumber = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

/** `FILE: field "a.b": message`, from the first issue. */
function issueMessage(where: string, error: z.ZodError): string {
  const i = error.issues[0];
  const field = i && i.path.length > 0 ? i.path.map(String).join('.') : '(root)';
  return `${where}: field "${field}": ${i?.message ?? 'invalid'}`;
}

/** Validate a value read from `where` (a file, or FILE:LINE). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string, fix: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new TwError(issueMessage(where, r.error), fix);
  return r.data;
}

function parseJson(text: string, where: string, fix: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new TwError(`${where}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, fix);
  }
}

/** Read and validate one JSON document. */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, fix: string): z.output<S> {
  return parseWith(schema, parseJson(readFileSync(file, 'utf8'), file, fix), file, fix);
}

/**
 * Read and validate a JSONL file, one value per non-empty line, with the line's text.
 * `dropCutLastLine`: a last line that is not valid JSON is dropped (an append cut by a kill)
 * instead of stopping.
 */
export function readJsonlEntries<S extends z.ZodType>(
  file: string,
  schema: S,
  fix: string,
  o: { dropCutLastLine?: boolean } = {},
): { text: string; value: z.output<S> }[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const last = lines.reduce((k, l, i) => (l.trim() !== '' ? i : k), -1);
  const out: { text: string; value: z.output<S> }[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (e) {
      if (o.dropCutLastLine && i === last) return;
      throw new TwError(`${where}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, fix);
    }
    out.push({ text, value: parseWith(schema, value, where, fix) });
  });
  return out;
}

/** Read and validate a JSONL file: the values (see readJsonlEntries). */
export function readJsonlFile<S extends z.ZodType>(file: string, schema: S, fix: string, o: { dropCutLastLine?: boolean } = {}): z.output<S>[] {
  return readJsonlEntries(file, schema, fix, o).map((e) => e.value);
}
