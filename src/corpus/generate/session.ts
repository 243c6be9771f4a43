/**
 * The session generator: seeded, pure (no I/O), so a script can be regenerated from its seed
 * and a recorded corpus re-created exactly.
 *
 *   seed -> Rng -> length n (log-normal, median 12, clamped to 1..60)
 *        -> with `grammarShare` > 0 (`tw corpus generate --grammar-share X`; default 0), that share
 *           of sessions: a grammar session (grammar.ts: bash drawn from a small grammar over ~100
 *           utilities, far-back reads), twice the median length; decided on a stream of its own,
 *           so every other session is the same as with share 0, and share 0 changes nothing
 *        -> half the sessions: a scratch session (scratch.ts: random folder, open-ended names)
 *        -> the other half: a project session, as follows
 *        -> optional orientation (pwd/ls) and project bootstrap (mkdir -p, cd)
 *        -> n turns, each from a family picked by weight, adjusted to the state
 *           (little to inspect yet -> more edits; a git repo -> more git)
 */
import { Rng } from '../../core/rng.js';
import { ALL_FAMILIES } from '../families/index.js';
import { runFamily, type Family } from '../families/types.js';
import { DIRS, PROJECTS } from './content.js';
import { grammarTurns } from './grammar.js';
import { scratchTurns } from './scratch.js';
import { World, type FamilyName } from './world.js';

export interface ScriptTurn {
  cmd: string;
  family: FamilyName;
}

export interface SessionScript {
  id: string;
  seed: number;
  setup: string[];
  turns: ScriptTurn[];
}

export interface GenerateOptions {
  minTurns?: number;
  maxTurns?: number;
  /** Median session length (turns). */
  median?: number;
  /** Share of scratch sessions, 0..1 (default SCRATCH_SHARE). */
  scratchShare?: number;
  /** Share of grammar sessions (grammar.ts), 0..1 (default 0: the corpus is what it was without it). */
  grammarShare?: number;
}

/** The i-th session's seed in a corpus seeded with `corpusSeed` (stable, order-free). */
export function sessionSeed(corpusSeed: number, index: number): number {
  return new Rng(corpusSeed).fork(`session-${index}`).u32();
}

export function sessionId(corpusSeed: number, index: number): string {
  return `gen-${corpusSeed}-${String(index).padStart(6, '0')}`;
}

export function sessionLength(r: Rng, o: GenerateOptions = {}): number {
  const lo = o.minTurns ?? 1;
  const hi = o.maxTurns ?? 60;
  const n = Math.round(Math.exp(Math.log(o.median ?? 12) + 0.7 * r.normal()));
  return Math.min(hi, Math.max(lo, n));
}

/** A session's themes: one or two families it leans on (a git session, a data-crunching
 *  session...), so short sessions still go deep into something instead of sampling everything. */
const THEME_BOOST = 3;

function familyWeight(f: Family<FamilyName>, w: World, themes: ReadonlySet<FamilyName>): number {
  const nFiles = w.files.size;
  let k = themes.has(f.name) ? THEME_BOOST : 1;
  if (nFiles < 2) k *= f.name === 'edit' ? 2 : f.name === 'inspect' || f.name === 'text' || f.name === 'archive' ? 0.4 : 1;
  if (f.name === 'git') k *= w.repoOf(w.cwd) ? 2 : nFiles >= 2 ? 1 : 0.2;
  if (f.name === 'archive' && nFiles < 3) k *= 0.3;
  return f.weight * k;
}

/** Share of sessions that are scratch sessions (scratch.ts) rather than project sessions. */
export const SCRATCH_SHARE = 0.5;

export function generateScript(seed: number, id: string, o: GenerateOptions = {}): SessionScript {
  const r = new Rng(seed);
  const w = new World();
  const n = sessionLength(r, o);
  const grammar = o.grammarShare ?? 0;
  if (grammar > 0) {
    // a stream of its own (r is untouched), so the other sessions do not depend on the share
    const g = new Rng(seed).fork('grammar');
    if (g.bool(grammar)) return { id, seed, setup: [], turns: grammarTurns(g.fork('turns'), sessionLength(g, { ...o, median: 2 * (o.median ?? 12) })) };
  }
  if (r.bool(o.scratchShare ?? SCRATCH_SHARE)) return { id, seed, setup: [], turns: scratchTurns(r.fork('scratch'), n) };
  const themes = new Set<FamilyName>();
  for (let i = r.int(1, 2); i > 0; i--)
    themes.add(
      r.weighted<FamilyName>([
        ['git', 3],
        ['archive', 2],
        ['python', 3],
        ['text', 3],
        ['env', 2],
        ['inspect', 2],
        ['operators', 2],
        ['errors', 1.5],
        ['navigation', 1],
      ]),
    );
  const turns: ScriptTurn[] = [];
  const push = (cmd: string, family: FamilyName): void => {
    if (turns.length < n) turns.push({ cmd, family });
  };
  if (r.bool(0.5)) push(r.pick(['pwd', 'ls', 'ls -la', 'ls -a']), 'navigation');
  if (n >= 3 && r.bool(0.8)) {
    const proj = `${w.home}/${r.pick(PROJECTS)}`;
    const subs = r.shuffle([...DIRS]).slice(0, r.int(0, 3));
    for (const s of subs) w.addDir(`${proj}/${s}`);
    w.addDir(proj);
    w.project = proj;
    const rel = proj.slice(w.home.length + 1);
    push(subs.length > 1 ? `mkdir -p ${rel}/{${subs.join(',')}}` : subs.length === 1 ? `mkdir -p ${rel}/${subs[0]}` : `mkdir ${rel}`, 'edit');
    w.prev = w.cwd;
    w.cwd = proj;
    push(`cd ${rel}`, 'navigation');
  }
  let guard = 0;
  while (turns.length < n && guard++ < n * 20) {
    const next = w.next;
    w.next = null;
    if (next && r.bool(next.p)) {
      const cmd = next.run();
      if (cmd !== null) {
        w.lastWritten = null;
        push(cmd, next.family);
        continue;
      }
    }
    if (w.lastWritten && r.bool(0.35)) {
      const p = w.lastWritten;
      w.lastWritten = null;
      if (w.files.has(p)) {
        push(`cat ${w.rel(p)}`, 'inspect');
        continue;
      }
    }
    w.lastWritten = null;
    const fam = r.weighted(ALL_FAMILIES.map((f) => [f, familyWeight(f, w, themes)] as const));
    const cmd = runFamily(fam, w, r);
    if (cmd === null) continue;
    const last = turns[turns.length - 1];
    if (last && last.cmd === cmd && r.bool(0.8)) continue;
    push(cmd, fam.name);
  }
  return { id, seed, setup: [], turns };
}
