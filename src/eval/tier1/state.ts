/**
 * State accuracy (issue 15): after each turn of a free-running pass, does the backend's own state
 * (the changes it predicted, applied one after another, Turn.state) equal the real state (the
 * changes recorded with `--state`, applied the same way)? Both sides go through the same records
 * (src/model/stateframing.ts: diffRecords, SessionState), so "equal" means: the same cwd, the same
 * latest record for every path the session changed (kind, mode, size, shown content) and the same
 * variables, functions and aliases. Parts are reported on their own too. The null backend, which
 * never changes anything, is the floor. Only sessions recorded with state count.
 */
import { rate, type Rate } from '../../core/stats.js';
import { SESSION_HOME, type Turn } from '../../core/terminal.js';
import { SessionState, diffRecords } from '../../model/stateframing.js';
import { DEPTHS } from './aggregate.js';
import type { EvalData } from './data.js';

export interface StatePair {
  target: Rate;
  baseline: Rate;
}

export interface StateSection {
  sessions: number;
  turns: number;
  overall: StatePair;
  byDepth: Record<string, StatePair>;
  parts: { cwd: StatePair; files: StatePair; shell: StatePair };
}

function view(s: SessionState): { cwd: string; files: string; shell: string } {
  const recs = s.records();
  const pick = (p: (k: string) => boolean): string =>
    recs
      .filter((r) => p(r.key))
      .map((r) => `${r.key}\u0000${r.text}`)
      .sort()
      .join('\u0001');
  return { cwd: s.cwd, files: pick((k) => k.startsWith('p:')), shell: pick((k) => !k.startsWith('p:')) };
}

type Hits = { all: boolean; cwd: boolean; files: boolean; shell: boolean; depth: number };

function compare(data: EvalData, own: readonly (readonly Turn[])[]): Hits[] {
  const out: Hits[] = [];
  data.sessions.forEach((s, si) => {
    if (!s.turns.some((t) => t.state !== undefined)) return;
    const real = new SessionState(SESSION_HOME);
    const mine = new SessionState(SESSION_HOME);
    const turns = own[si] ?? [];
    s.turns.forEach((t, i) => {
      const o = turns[i];
      if (!o) return;
      real.apply(diffRecords(t.state), t.cwd ?? real.cwd);
      mine.apply(diffRecords(o.state), o.cwd);
      const a = view(real);
      const b = view(mine);
      const h = { cwd: a.cwd === b.cwd, files: a.files === b.files, shell: a.shell === b.shell };
      out.push({ ...h, all: h.cwd && h.files && h.shell, depth: i + 1 });
    });
  });
  return out;
}

export function stateSection(data: EvalData, target: readonly (readonly Turn[])[], baseline: readonly (readonly Turn[])[]): StateSection | null {
  const t = compare(data, target);
  const b = compare(data, baseline);
  if (t.length === 0) return null;
  const r = (hs: Hits[], f: (h: Hits) => boolean): Rate => rate(hs.filter(f).length, hs.length);
  const pair = (f: (h: Hits) => boolean, d?: number): StatePair => {
    const sel = (hs: Hits[]): Hits[] => (d === undefined ? hs : hs.filter((h) => h.depth === d));
    return { target: r(sel(t), f), baseline: r(sel(b), f) };
  };
  return {
    sessions: data.sessions.filter((s) => s.turns.some((x) => x.state !== undefined)).length,
    turns: t.length,
    overall: pair((h) => h.all),
    byDepth: Object.fromEntries(DEPTHS.map((d) => [String(d), pair((h) => h.all, d)])),
    parts: { cwd: pair((h) => h.cwd), files: pair((h) => h.files), shell: pair((h) => h.shell) },
  };
}
