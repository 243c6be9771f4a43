import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { twErrorOf } from './testkit.js';
import { jsonNumber, readJsonFile, readJsonlEntries, readJsonlFile } from './jsonfile.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-jsonfile-'));
const file = (name: string, text: string): string => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};
const schema = z.looseObject({ step: z.number().int(), dir: z.string() });

describe('validated JSON files', () => {
  it('reads a valid file, keeping fields the schema does not name', () => {
    expect(readJsonFile(file('ok.json', '{"step": 3, "dir": "a", "extra": 1}'), schema, 'fix it')).toEqual({ step: 3, dir: 'a', extra: 1 });
  });

  it('a file cut short names the file and the fix', () => {
    const f = file('cut.json', '{"step": 3, "di');
    const e = twErrorOf(() => readJsonFile(f, schema, 'restore it'));
    expect(e.message).toContain(`${f}: not valid JSON`);
    expect(e.hint).toBe('restore it');
  });

  it('a wrong field names the file, the field and the fix', () => {
    const f = file('bad.json', '{"step": "3", "dir": "a"}');
    const e = twErrorOf(() => readJsonFile(f, schema, 'restore it'));
    expect(e.message).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: field "step": `));
    expect(e.hint).toBe('restore it');
  });

  it('JSONL: errors name the line; a last line cut by a kill can be dropped', () => {
    const f = file('m.jsonl', '{"step": 1, "dir": "a"}\n{"step": 2, "dir": "b"}\n{"step": 3, "d');
    expect(twErrorOf(() => readJsonlFile(f, schema, 'fix')).message).toContain(`${f}:3: not valid JSON`);
    expect(readJsonlEntries(f, schema, 'fix', { dropCutLastLine: true }).map((e) => e.text)).toEqual(['{"step": 1, "dir": "a"}', '{"step": 2, "dir": "b"}']);
    const g = file('n.jsonl', '{"step": 1, "d\n{"step": 2, "dir": "b"}\n');
    expect(twErrorOf(() => readJsonlFile(g, schema, 'fix', { dropCutLastLine: true })).message).toContain(`${g}:1: not valid JSON`);
    const h = file('o.jsonl', '{"step": 1, "dir": "a"}\n{"step": 2}\n');
    expect(twErrorOf(() => readJsonlFile(h, schema, 'fix')).message).toContain(`${h}:2: field "dir"`);
  });

  it('numbers JSON wrote as null (NaN) come back as NaN', () => {
    expect(z.object({ x: jsonNumber }).parse({ x: null }).x).toBeNaN();
  });
});
