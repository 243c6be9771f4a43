/** `tw report`: the HTML evaluation report of one or more run folders, or of the shipped default. */
import { buildHtml, type ReportOptions } from './html.js';
import { loadDefault, loadRunDir, type Loaded } from './sources.js';

export type { ReportOptions } from './html.js';
export type { Loaded } from './sources.js';

/** Parts of every run folder named (files are accepted too), in order; none: the shipped default. */
export function loadSources(runDirs: readonly string[], root?: string): Loaded {
  if (runDirs.length === 0) return loadDefault(root);
  const out: Loaded = { parts: [], notes: [] };
  for (const d of runDirs) {
    const l = loadRunDir(d);
    out.parts.push(...l.parts);
    out.notes.push(...l.notes);
  }
  // several folders with the same labels (two checkpoints on the same data): add the folder
  const labels = new Map<string, number>();
  for (const p of out.parts) labels.set(`${p.kind}:${p.label}`, (labels.get(`${p.kind}:${p.label}`) ?? 0) + 1);
  for (const p of out.parts) if ((labels.get(`${p.kind}:${p.label}`) ?? 0) > 1) p.label = `${p.label} (${p.file.split('/').slice(-2, -1)[0] ?? p.file})`;
  return out;
}

export async function buildReport(runDirs: readonly string[], o: ReportOptions & { root?: string } = {}): Promise<{ html: string; loaded: Loaded }> {
  const loaded = loadSources(runDirs, o.root);
  return { html: await buildHtml(loaded, o), loaded };
}
