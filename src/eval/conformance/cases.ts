/**
 * External conformance cases: /work/shared/external/oils-spec-bash.jsonl (Oils spec tests on which
 * bash 5.2 agreed with the expectation). EVALUATION ONLY: never train or tune on these cases.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { TwError } from '../../core/errors.js';

export const DEFAULT_CASES = '/work/shared/external/oils-spec-bash.jsonl';

export const CaseSchema = z.object({
  file: z.string(),
  name: z.string(),
  line: z.number().int(),
  code: z.string(),
  /** null: stdout is not checked. */
  expect_stdout: z.string().nullable(),
  expect_status: z.number().int(),
  notes: z.string().default(''),
});
export type ConformanceCase = z.infer<typeof CaseSchema> & { key: string };

/** A stable key for a case: spec file and line. */
export function caseKey(c: { file: string; line: number }): string {
  return `${c.file.replace(/^spec\//, '')}:${c.line}`;
}

export function loadCases(path = DEFAULT_CASES): ConformanceCase[] {
  if (!existsSync(path)) throw new TwError(`conformance cases not found at ${path}`, 'pass --cases FILE (the oils-spec-bash.jsonl file)');
  const out: ConformanceCase[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let data: unknown;
      try {
        data = JSON.parse(line);
      } catch {
        throw new TwError(`${path}:${i + 1}: not valid JSON`, 'restore the file from /work/shared/external');
      }
      const r = CaseSchema.safeParse(data);
      if (!r.success) {
        const iss = r.error.issues[0];
        throw new TwError(
          `${path}:${i + 1}: field "${iss?.path.join('.') ?? ''}": ${iss?.message ?? 'invalid'}`,
          'restore the file from /work/shared/external',
        );
      }
      if (r.data.code.includes('\0')) throw new TwError(`${path}:${i + 1}: code contains a NUL byte`, 'a shell command cannot carry NUL bytes');
      out.push({ ...r.data, key: caseKey(r.data) });
    });
  return out;
}

/** Single-quote a string for bash. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command typed into a backend's session for one case: `bash -c CODE` in a fresh empty directory,
 * stdin from /dev/null, HOME unset, LANG=LC_ALL=C.UTF-8, SH=/bin/bash, TMP=<the directory>: the way
 * the cases were verified. A subshell keeps the session's own cwd and variables untouched; OLDPWD
 * (set by our own `cd`) is unset as it was in the verifying run; stdout goes through `| cat` so the case
 * ends only when every writer (process substitutions, background jobs) has closed it, as when the
 * verifier captured the output, instead of late output landing in the next case's turn.
 */
export function caseCommand(c: ConformanceCase, index: number): string {
  const dir = `/tmp/oils/${index}`;
  return `(mkdir -p ${dir} && cd ${dir} && unset HOME OLDPWD && export TMP=${dir} SH=/bin/bash LANG=C.UTF-8 LC_ALL=C.UTF-8 && bash -c ${shQuote(c.code)} </dev/null | cat; exit \${PIPESTATUS[0]})`;
}
