/**
 * The scratch sessions' world (generate/scratch.ts runs them): a random folder (/tmp/x, /srv/y,
 * /opt/z, ~ ...), and names and contents drawn from an open-ended syllable generator, so every
 * name and every line is new. The families' scratch moves (families/<name>/scratch.ts) draw from
 * this vocabulary and keep this state.
 */
import { posix } from 'node:path';
import type { Rng } from '../../core/rng.js';
import { Tree } from './tree.js';

const C = 'bcdfghjklmnprstvwz';
const V = 'aeiou';
export const PLACEHOLDER = [
  'foo',
  'bar',
  'baz',
  'qux',
  'data',
  'out',
  'tmp',
  'test',
  'notes',
  'a',
  'b',
  'c',
  'x',
  'y',
  'demo',
  'work',
  'old',
  'new',
  'src',
  'docs',
  'backup',
  'input',
  'result',
  'list',
  'log',
];
export const EXTS = ['', '', '', '.txt', '.txt', '.log', '.md', '.csv', '.dat', '.conf', '.sh', '.py', '.json', '.out'];

/** A pronounceable made-up word of 1-3 syllables (open-ended vocabulary). */
export function syllableWord(r: Rng): string {
  let s = '';
  for (let i = r.int(1, 3); i > 0; i--) s += r.pick([...C]) + r.pick([...V]) + (r.bool(0.25) ? r.pick([...C]) : '');
  return s;
}

/** A file or folder name: made-up word, placeholder, or either with a digit or separator. */
export function name(r: Rng): string {
  const base = r.bool(0.6) ? syllableWord(r) : r.pick(PLACEHOLDER);
  const k = r.float();
  if (k < 0.15) return `${base}${r.int(1, 99)}`;
  if (k < 0.25) return `${base}${r.pick(['_', '-'])}${syllableWord(r)}`;
  return base;
}

export function word(r: Rng): string {
  const k = r.float();
  if (k < 0.6) return syllableWord(r);
  if (k < 0.8) return String(r.int(0, r.pick([9, 99, 999, 99999])));
  return r.pick(PLACEHOLDER);
}

/** A line of 1-6 words, sometimes key=value or a number alone. */
export function line(r: Rng): string {
  const k = r.float();
  if (k < 0.15) return `${syllableWord(r)}=${word(r)}`;
  if (k < 0.25) return String(r.int(0, 9999));
  return Array.from({ length: r.int(1, 6) }, () => word(r)).join(' ');
}

export function lines(r: Rng, lo = 1, hi = 6): string[] {
  return Array.from({ length: r.int(lo, hi) }, () => line(r));
}

/** Single-quote a shell word when it needs it (our words never hold quotes). */
export function q(s: string): string {
  return /^[A-Za-z0-9_./=+-]+$/.test(s) ? s : `'${s}'`;
}

/** The generator's belief about the scratch sandbox. */
export class Scratch extends Tree<string[]> {
  readonly base: string;
  readonly vars = new Map<string, string>();
  readonly exported = new Set<string>();
  readonly funcs = new Set<string>();

  constructor(base: string) {
    const chain: string[] = [];
    for (let d = base; d !== '/'; d = posix.dirname(d)) chain.push(d);
    super(base, chain, null);
    this.base = base;
  }

  /** Files and folders made by this session (never the pre-existing tree above the base). */
  ownDirs(): string[] {
    return [...this.dirs].filter((d) => d.startsWith(this.base + '/'));
  }
  children(dir: string): string[] {
    const out = new Set<string>();
    for (const p of [...this.files.keys(), ...this.ownDirs()]) if (posix.dirname(p) === dir) out.add(posix.basename(p));
    return [...out].sort();
  }
  exists(abs: string): boolean {
    return this.files.has(abs) || this.dirs.has(abs);
  }
  freshName(r: Rng, dir: string, ext = true): string {
    for (let i = 0; i < 20; i++) {
      const n = name(r) + (ext ? r.pick(EXTS) : '');
      if (!this.exists(posix.join(dir, n))) return n;
    }
    return `${name(r)}${r.int(100, 999)}`;
  }
  pickFile(r: Rng, nonEmpty = false): string | null {
    const all = [...this.files.entries()].filter(([, ls]) => !nonEmpty || ls.length > 0).map(([p]) => p);
    if (all.length === 0) return null;
    const near = all.filter((p) => posix.dirname(p) === this.cwd);
    return r.pick(near.length > 0 && r.bool(0.8) ? near : all);
  }
  pickDir(r: Rng): string | null {
    const ds = this.ownDirs();
    return ds.length > 0 ? r.pick(ds) : null;
  }
  addFile(abs: string, content: string[]): void {
    this.files.set(abs, content);
    this.addDir(posix.dirname(abs));
    this.lastWritten = abs;
  }
  move(from: string, to: string): void {
    const f = this.files.get(from);
    if (f) {
      this.files.delete(from);
      this.addFile(to, f);
      return;
    }
    if (!this.dirs.has(from)) return;
    for (const [k, v] of [...this.files])
      if (k.startsWith(from + '/')) {
        this.files.delete(k);
        this.files.set(to + k.slice(from.length), v);
      }
    for (const d of [...this.dirs])
      if (d === from || d.startsWith(from + '/')) {
        this.dirs.delete(d);
        this.dirs.add(to + d.slice(from.length));
      }
  }
  varName(r: Rng): string {
    const n = syllableWord(r).slice(0, 8);
    return r.bool(0.3) ? n.toUpperCase() : n;
  }
}
