/**
 * What `tw view` can browse, resolved to session JSONL files: a session file; a corpus folder
 * (its .jsonl splits); the gym's trajectory store (a folder with episodes.jsonl, one episode per
 * line in the session format); or a Tier-1 run folder (`tw eval tier1 --out`: its results.json
 * names the data and the backend, so the viewer replays that data on that backend and model).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TwError } from '../core/errors.js';
import { readJsonFile } from '../core/jsonfile.js';

/** What the viewer reads of a Tier-1 run's results.json. */
const tier1ResultsSourceSchema = z.looseObject({
  format: z.unknown(),
  backend: z.unknown(),
  data: z.looseObject({ path: z.unknown(), kind: z.unknown() }).optional(),
  meta: z.looseObject({ config: z.looseObject({ options: z.looseObject({ model: z.unknown() }).optional() }).optional() }).optional(),
});

export interface ViewSource {
  file: string;
  label: string;
  /** From a Tier-1 run: the backend and model it evaluated. */
  backend?: string;
  model?: string;
}

export function resolveViewSources(args: readonly string[]): ViewSource[] {
  const out: ViewSource[] = [];
  for (const a of args) {
    if (!existsSync(a))
      throw new TwError(
        `no such file or folder: ${a}`,
        'name a session .jsonl file, a corpus folder, a gym store folder (episodes.jsonl) or a `tw eval tier1 --out` run folder',
      );
    if (statSync(a).isFile()) {
      out.push({ file: a, label: a });
      continue;
    }
    const gym = join(a, 'episodes.jsonl');
    if (existsSync(gym)) {
      out.push({ file: gym, label: `${gym} (gym trajectories)` });
      continue;
    }
    const results = join(a, 'results.json');
    if (existsSync(results)) {
      const r = readJsonFile(results, tier1ResultsSourceSchema, 'rerun `tw eval tier1 --out DIR`');
      if (r.format === 'terminalworld.tier1' && typeof r.data?.path === 'string') {
        if (r.data.kind !== 'sessions')
          throw new TwError(
            `${a} evaluated ${String(r.data.kind)} data (${r.data.path}), which the viewer cannot replay`,
            'view a run on session data (tw eval tier1 --data data/corpus)',
          );
        if (!existsSync(r.data.path))
          throw new TwError(`${a} evaluated ${r.data.path}, which is not here`, 'run tw view from the folder the evaluation ran in, or name the data file');
        out.push({
          file: r.data.path,
          label: `${r.data.path} (Tier-1 run ${a})`,
          ...(typeof r.backend === 'string' ? { backend: r.backend } : {}),
          ...(typeof r.meta?.config?.options?.model === 'string' ? { model: r.meta.config.options.model } : {}),
        });
        continue;
      }
    }
    const files = readdirSync(a)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
    if (files.length === 0) throw new TwError(`${a} holds no session file`, 'name a .jsonl file, a corpus folder, a gym store or a Tier-1 run folder');
    for (const f of files) out.push({ file: join(a, f), label: join(a, f) });
  }
  return out;
}
