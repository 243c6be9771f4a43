/**
 * The task file format: versioned JSONL, one task per line (Endless Terminals style).
 *
 *   {"format":"terminalworld.task","version":1,"id":"find-copy-1-000003","family":"find-copy","seed":123,
 *    "instruction":"Find the file under /root/archive that contains ...",
 *    "setup":["mkdir -p /root/archive/a && printf '%s' 'aGVsbG8=' | base64 -d > /root/archive/a/x.txt", ...],
 *    "verifier":"#!/bin/bash\ncmp -s /root/found.txt /root/archive/a/x.txt\n",
 *    "params":{...}, "maxTurns":20}
 *
 * setup: commands run in the task's shell before the agent starts (state it must discover).
 * verifier: a bash script run in the same sandbox afterwards; exit 0 = solved.
 * params: the facts the instruction states, in structured form, for the scripted expert.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { TwError } from '../../core/errors.js';

export const TASK_FORMAT = 'terminalworld.task';
export const TASK_VERSION = 1;

export const taskSchema = z.object({
  format: z.literal(TASK_FORMAT),
  version: z.literal(TASK_VERSION),
  id: z.string().min(1),
  family: z.string().min(1),
  seed: z.number().int(),
  instruction: z.string().min(1),
  setup: z.array(z.string()),
  verifier: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
  maxTurns: z.number().int().positive(),
});
export type Task = z.infer<typeof taskSchema>;

export function readTasks(file: string): Task[] {
  if (!existsSync(file)) throw new TwError(`task file not found: ${file}`, 'generate one with `tw corpus tasks --n 100 --out tasks.jsonl`');
  const out: Task[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (e) {
        throw new TwError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`, 'fix or remove that line');
      }
      const v = (raw as { version?: unknown } | null)?.version;
      if (v !== undefined && v !== TASK_VERSION)
        throw new TwError(
          `${file}:${i + 1}: task format version ${String(v)}, this build reads ${TASK_VERSION}`,
          'regenerate with `tw corpus tasks --out FILE`',
        );
      const p = taskSchema.safeParse(raw);
      if (!p.success)
        throw new TwError(
          `${file}:${i + 1}: invalid task at \`${p.error.issues[0]?.path.join('.') ?? ''}\`: ${p.error.issues[0]?.message ?? ''}`,
          'fix or remove that line',
        );
      out.push(p.data);
    });
  return out;
}
