/**
 * What a generated session believes about the paths it has made: the cwd (and the previous one,
 * for `cd -`), the directories, the files (with what each session kind keeps about a file) and
 * the file the last command wrote. The project sessions' World (world.ts) and the scratch
 * sessions' Scratch (scratchworld.ts) share these path helpers.
 */
import { posix } from 'node:path';

export class Tree<F> {
  prev: string | null = null;
  readonly dirs: Set<string>;
  readonly files = new Map<string, F>();
  /** The file the last command wrote, for an agent-style check right after. */
  lastWritten: string | null = null;

  constructor(
    public cwd: string,
    dirs: Iterable<string>,
    /** Shown as `~` by rel() and read back by abs(); null: paths are never written with `~`. */
    readonly home: string | null,
  ) {
    this.dirs = new Set(dirs);
  }

  abs(p: string): string {
    if (this.home !== null && p.startsWith('~')) p = this.home + p.slice(1);
    return posix.normalize(posix.isAbsolute(p) ? p : posix.join(this.cwd, p));
  }

  /** How an agent would name a path from the cwd: relative when inside it, else absolute (or ~). */
  rel(abs: string): string {
    if (abs === this.cwd) return '.';
    if (abs.startsWith(this.cwd + '/')) return abs.slice(this.cwd.length + 1);
    if (this.home !== null && abs.startsWith(this.home + '/')) return '~' + abs.slice(this.home.length);
    return abs;
  }

  /** A directory and the parents not known yet, deepest first. */
  addDir(abs: string): void {
    let d = abs;
    while (d !== '/' && !this.dirs.has(d)) {
      this.dirs.add(d);
      d = posix.dirname(d);
    }
  }

  /** A file or a directory, with everything under it. */
  removePath(abs: string): void {
    this.files.delete(abs);
    for (const k of [...this.files.keys()]) if (k.startsWith(abs + '/')) this.files.delete(k);
    for (const d of [...this.dirs]) if (d === abs || d.startsWith(abs + '/')) this.dirs.delete(d);
  }
}
