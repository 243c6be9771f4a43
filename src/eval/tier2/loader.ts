/**
 * Loads probes from probes/<category>/*.yaml (each file a YAML list of probes) and validates them.
 * Errors name the file, the probe and the field, and say how to fix them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { TwError } from '../../core/errors.js';
import { CATEGORIES, type Category, type Probe, ProbeSchema } from './schema.js';

/** The repository's probes/ folder. */
export const DEFAULT_PROBE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../probes');

export function checkCategory(name: string): Category {
  if ((CATEGORIES as readonly string[]).includes(name)) return name as Category;
  throw new TwError(`unknown probe category "${name}"`, `use one of: ${CATEGORIES.join(', ')}`);
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length ? issue.path.map(String).join('.') : '(probe)';
  return `field "${field}": ${issue.message}`;
}

/** Parse one probe file's text. `file` is only used in messages. */
export function parseProbeFile(text: string, file: string, category: Category): Probe[] {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new TwError(`${file}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`, 'fix the YAML syntax');
  }
  if (!Array.isArray(data)) throw new TwError(`${file}: expected a YAML list of probes`, 'start each probe with "- id: ..."');
  return data.map((raw, i) => {
    const id = typeof raw === 'object' && raw !== null && 'id' in raw ? String((raw as { id: unknown }).id) : `#${i + 1}`;
    const r = ProbeSchema.safeParse(raw);
    if (!r.success) {
      const issues = r.error.issues.map(formatIssue).join('; ');
      throw new TwError(`${file}: probe "${id}": ${issues}`, 'see docs/probes.md for the probe format');
    }
    return { ...r.data, category, file };
  });
}

export interface LoadOptions {
  root?: string;
  categories?: readonly Category[];
}

export function loadProbes(opts: LoadOptions = {}): Probe[] {
  const root = opts.root ?? DEFAULT_PROBE_ROOT;
  if (!existsSync(root)) throw new TwError(`probe folder ${root} does not exist`, 'run from a checkout of the repository');
  const out: Probe[] = [];
  const seen = new Map<string, string>();
  for (const category of opts.categories ?? CATEGORIES) {
    const dir = path.join(root, category);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()) {
      const rel = `${category}/${name}`;
      for (const p of parseProbeFile(readFileSync(path.join(dir, name), 'utf8'), rel, category)) {
        const prev = seen.get(p.id);
        if (prev) throw new TwError(`${rel}: probe "${p.id}": field "id": duplicate, already used in ${prev}`, 'give every probe a unique id');
        seen.set(p.id, rel);
        out.push(p);
      }
    }
  }
  return out;
}
