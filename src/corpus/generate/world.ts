/**
 * The generator's belief about the sandbox state: cwd, the files it wrote (with contents), the
 * directories, variables, aliases, functions and git repos. Families read it to refer back to
 * earlier work (files written early are read, grepped, edited and run later) and update it as
 * they emit commands. It is a model, not the truth: the real sandbox records what really happens,
 * so a slightly wrong belief just produces an error turn, which is realistic too.
 */
import { posix } from 'node:path';
import type { Rng } from '../../core/rng.js';
import type { ContentKind } from './content.js';
import { Tree } from './tree.js';

import type { FamilyName } from '../families/index.js';

/** The family names, registered with the families themselves (families/index.ts). */
export { FAMILIES, type FamilyName } from '../families/index.js';

export interface FileState {
  path: string;
  kind: ContentKind | 'bin' | 'tar' | 'gz';
  /** Known content (without trailing newline per line); null when unknown (e.g. archives). */
  lines: string[] | null;
  exec: boolean;
}

export class World extends Tree<FileState> {
  project: string | null = null;
  readonly env = new Map<string, string>();
  readonly aliases = new Map<string, string>();
  readonly funcs = new Map<string, string>();
  readonly gitRepos = new Set<string>();
  gitIdentity = false;
  /** What an agent would likely do next (run the script it just wrote, fix the one that just
   *  crashed): taken with probability p by the session loop, else dropped. */
  next: { family: FamilyName; p: number; run: () => string | null } | null = null;
  /** Python files the session has run (so a fix comes after the traceback was seen). */
  readonly ran = new Set<string>();
  /** Files added to git's index since the last commit, per repo. */
  readonly staged = new Map<string, Set<string>>();

  constructor() {
    super('/root', ['/root', '/tmp'], '/root');
  }

  /** /root: a project session always has a home. */
  declare readonly home: string;

  addFile(abs: string, kind: FileState['kind'], lines: string[] | null, exec = false): FileState {
    this.addDir(posix.dirname(abs));
    const f: FileState = { path: abs, kind, lines, exec };
    this.files.set(abs, f);
    this.lastWritten = lines !== null && lines.length > 0 ? abs : null;
    return f;
  }

  movePath(from: string, to: string): void {
    const f = this.files.get(from);
    if (f) {
      this.files.delete(from);
      this.addFile(to, f.kind, f.lines, f.exec);
    }
  }

  /** Files (optionally filtered) under the cwd first, else anywhere known. */
  pickFile(r: Rng, filter: (f: FileState) => boolean = () => true): FileState | null {
    const all = [...this.files.values()].filter(filter);
    if (all.length === 0) return null;
    const near = all.filter((f) => f.path.startsWith(this.cwd + '/'));
    return r.pick(near.length > 0 && r.bool(0.85) ? near : all);
  }

  textFile(r: Rng, kinds?: readonly string[]): FileState | null {
    return this.pickFile(r, (f) => f.lines !== null && f.lines.length > 0 && f.kind !== 'gz' && f.kind !== 'tar' && (!kinds || kinds.includes(f.kind)));
  }

  pickDir(r: Rng, filter: (d: string) => boolean = () => true): string | null {
    const ds = [...this.dirs].filter((d) => d !== '/' && filter(d));
    return ds.length ? r.pick(ds) : null;
  }

  subdirs(dir: string): string[] {
    return [...this.dirs].filter((d) => posix.dirname(d) === dir && d !== dir);
  }

  filesIn(dir: string): FileState[] {
    return [...this.files.values()].filter((f) => posix.dirname(f.path) === dir);
  }

  /** True when the cwd is a small tree the session made (under ~ or /tmp/x), so recursive
   *  listings (tree, find, ls -R, du, grep -r) stay short; never at / or /usr. */
  smallTree(): boolean {
    return this.cwd === this.home || this.cwd.startsWith(this.home + '/') || this.cwd.startsWith('/tmp/');
  }

  repoOf(abs: string): string | null {
    for (const r of this.gitRepos) if (abs === r || abs.startsWith(r + '/')) return r;
    return null;
  }
}
