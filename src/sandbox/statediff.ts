/**
 * What a command changed in the session's files, read by the host from the overlay's writable
 * layer (its upper directory), without running anything inside the session.
 *
 * The session's root is overlay(lower = the image's root tree, upper = a per-session tmpfs): every
 * file the session creates, changes or deletes lands in the upper directory. A snapshot is one walk
 * of it (lstat only); the difference of two snapshots, taken before and after a command, is what
 * the command changed. Overlayfs records a deletion of a lower file as a whiteout: a character
 * device 0:0 under the deleted name.
 *
 * The session can run things in the background while the host walks, so the walk never follows a
 * path the session could turn into a symlink: each directory is opened with O_NOFOLLOW and its
 * entries are read through that descriptor (/proc/self/fd/N/NAME), so a directory swapped for a
 * symlink to a host folder is not walked. File contents are read only after checking that the
 * opened file is the snapshot's (same device and inode, no symlink followed).
 *
 * Gaps:
 * - Opaque directories (a lower directory deleted and made again: overlayfs marks the new upper
 *   directory with the xattr trusted.overlay.opaque=y) are not read: Node has no xattr call, and
 *   one process per snapshot would cost more than a turn. Such a directory shows as 'created' when
 *   the snapshots see it change (whiteout -> dir, or a new inode); the lower files it hides are not
 *   listed one by one, and a delete-and-recreate inside one command looks like a copy-up.
 * - Without `lower` (see diffUpper), a lower file or directory copied up to the upper layer (its
 *   parent directories on any write below them) shows as 'created'.
 * - Changes of directories' mtime and size are not reported (they follow from their entries').
 */
import type { StateChange } from '../core/terminal.js';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';

export type UpperKind = StateChange['files'][number]['kind'];

export interface UpperEntry {
  kind: UpperKind;
  size: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  mtimeNs: bigint;
  ino: bigint;
  /** A symlink's target (bytes as UTF-8, lossy). */
  target?: string;
}

export interface UpperSnapshot {
  /** The upper directory walked (host path). */
  root: string;
  /** Device of the upper directory's file system: what a file read back must be on. */
  dev: bigint;
  /** Path as seen inside the session ('/etc/hosts') -> entry, in walk order (sorted by path). */
  entries: Map<string, UpperEntry>;
  /** The walk stopped at maxEntries (or at the depth limit): only paths <= `last` were seen. */
  truncated: boolean;
  /** The last path walked, when truncated. */
  last?: string;
  /** The raw bytes (relative to root) of paths whose names are not valid UTF-8, by their key. */
  raw: Map<string, Buffer>;
}

export const DEFAULT_MAX_ENTRIES = 10_000;
/** Directory depth beyond which the walk stops (as for maxEntries: marked truncated). */
export const MAX_DEPTH = 256;
/** Written by the host every turn (src/sandbox/clock.ts): never a change of the session. */
export const ALWAYS_EXCLUDED = ['/usr/lib/terminalworld/clock'] as const;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function kindOf(st: BigIntStats): UpperKind {
  const t = Number(st.mode & BigInt(S_IFMT));
  if (t === S_IFREG) return 'file';
  if (t === S_IFDIR) return 'dir';
  if (t === S_IFLNK) return 'symlink';
  if (t === S_IFCHR && st.rdev === 0n) return 'whiteout';
  return 'other';
}

/** Orders paths component by component ('/a/x' before '/a-b'): the order of a sorted walk. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

const byName = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** A file name as a key: itself when valid UTF-8, else with each invalid byte written \xNN. */
function nameKey(raw: Buffer): { key: string; exact: boolean } {
  const s = raw.toString('utf8');
  if (!s.includes('\uFFFD') || Buffer.from(s, 'utf8').equals(raw)) return { key: s, exact: true };
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const b = raw[i] ?? 0;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    const chunk = len > 0 && i + len <= raw.length ? raw.subarray(i, i + len) : null;
    const dec = chunk ? chunk.toString('utf8') : '';
    if (chunk && !dec.includes('\uFFFD') && Buffer.from(dec, 'utf8').equals(chunk)) {
      out += dec;
      i += len;
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i += 1;
    }
  }
  return { key: out, exact: false };
}

const O_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Walks an overlay upper directory (lstat, no symlink followed) into a snapshot. Throws only when
 * the upper directory itself cannot be opened; entries that vanish during the walk are left out.
 */
export function snapshotUpper(upperDir: string, opts: { maxEntries?: number } = {}): UpperSnapshot {
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const entries = new Map<string, UpperEntry>();
  const raw = new Map<string, Buffer>();
  const rootFd = openSync(upperDir, constants.O_RDONLY | constants.O_DIRECTORY);
  const dev = fstatSync(rootFd, { bigint: true }).dev;
  const snap: UpperSnapshot = { root: upperDir, dev, entries, truncated: false, raw };
  let stopped = false;
  const stop = (last: string): void => {
    stopped = true;
    snap.truncated = true;
    snap.last = last;
  };

  // dirFd: the open directory; prefix: its key ('' for the root); rawPrefix: its raw bytes when a
  // name on the way was not valid UTF-8.
  const walk = (dirFd: number, prefix: string, rawPrefix: Buffer | null, depth: number): void => {
    const base = `/proc/self/fd/${dirFd}/`;
    let names: Buffer[];
    try {
      names = readdirSync(base, { encoding: 'buffer' });
    } catch {
      return;
    }
    const items = names.map((n) => ({ n, ...nameKey(n) })).sort(byName);
    for (const { n, key, exact } of items) {
      if (stopped) return;
      const path = `${prefix}/${key}`;
      const hostName: string | Buffer = exact ? base + key : Buffer.concat([Buffer.from(base), n]);
      let st: BigIntStats;
      try {
        st = lstatSync(hostName, { bigint: true });
      } catch {
        continue; // gone meanwhile
      }
      const kind = kindOf(st);
      const e: UpperEntry = { kind, size: Number(st.size), mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs, ino: st.ino };
      if (kind === 'symlink') {
        try {
          e.target = readlinkSync(hostName, { encoding: 'buffer' }).toString('utf8');
        } catch {
          e.target = '';
        }
      }
      const rawPath = !exact || rawPrefix ? Buffer.concat([rawPrefix ?? Buffer.from(prefix), Buffer.from('/'), n]) : null;
      entries.set(path, e);
      if (rawPath) raw.set(path, rawPath);
      if (entries.size >= maxEntries) return stop(path);
      if (kind !== 'dir') continue;
      if (depth + 1 >= MAX_DEPTH) return stop(path);
      let sub = -1;
      try {
        // Opened through its parent's descriptor, not following a symlink: a directory of this
        // upper layer (if it was swapped for another directory meanwhile, that one is walked).
        sub = openSync(hostName, O_DIR);
        walk(sub, path, rawPath, depth + 1);
      } catch {
        /* gone, or swapped for a symlink meanwhile */
      } finally {
        if (sub >= 0) closeSync(sub);
      }
    }
  };
  try {
    walk(rootFd, '', null, 0);
  } finally {
    closeSync(rootFd);
  }
  return snap;
}

/** Reads up to maxBytes of a snapshot's file, or null when it is not that file any more. */
export type ContentReader = (path: string, maxBytes: number) => Buffer | null;

/**
 * Reads files of the upper directory for diffUpper: opened without following a symlink and only
 * when the opened file is the snapshot's (same device and inode), so that a path the session
 * swapped for a symlink (to a host file) is never read.
 */
export function upperContentReader(snap: UpperSnapshot): ContentReader {
  return (path, maxBytes) => {
    const e = snap.entries.get(path);
    if (e?.kind !== 'file') return null;
    const rel = snap.raw.get(path);
    const hostPath: string | Buffer = rel ? Buffer.concat([Buffer.from(snap.root), rel]) : snap.root + path;
    let fd = -1;
    try {
      fd = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const st = fstatSync(fd, { bigint: true });
      if (st.dev !== snap.dev || st.ino !== e.ino || kindOf(st) !== 'file') return null;
      const buf = Buffer.alloc(maxBytes);
      let got = 0;
      while (got < maxBytes) {
        const n = readSync(fd, buf, got, maxBytes - got, got);
        if (n <= 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } catch {
      return null;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  };
}

/** What the lower layer (the image) holds at a path, for telling a copy-up from a creation. */
export interface LowerEntry {
  kind: UpperKind;
  size: number;
  mode: number;
  mtimeNs: bigint;
  target?: string;
}

/** `lower` for diffUpper from the image's root tree on the host (lstat; symlinks not followed). */
export function lowerStatter(lowerDir: string): (path: string) => LowerEntry | null {
  return (path) => {
    try {
      const p = lowerDir + path;
      const st = lstatSync(p, { bigint: true });
      const kind = kindOf(st);
      const e: LowerEntry = { kind, size: Number(st.size), mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs };
      if (kind === 'symlink') e.target = readlinkSync(p, { encoding: 'buffer' }).toString('utf8');
      return e;
    } catch {
      return null;
    }
  };
}

/** One change of the writable layer: the Terminal contract's StateChange['files'] entry. Its
 *  kind for 'deleted' is what was deleted when known, else 'whiteout'; `content` is the UTF-8 text
 *  of a file (its first maxContentBytes bytes when contentTruncated). */
export type FsChange = StateChange['files'][number];
export type FsOp = FsChange['op'];

export interface DiffOptions {
  /** Longest file content kept as text (default 2048 bytes). */
  maxContentBytes?: number;
  /** Paths left out, with everything below them (ALWAYS_EXCLUDED is always left out). */
  exclude?: readonly string[];
  /** What the lower layer holds at a path (see lowerStatter): lets a copy-up of an unchanged lower
   *  entry count as no change and a changed one as 'modified'/'mode', not 'created'. */
  lower?: (path: string) => LowerEntry | null;
}

export const DEFAULT_MAX_CONTENT_BYTES = 2048;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text of bytes when they are UTF-8 without NUL (a sequence cut at the end allowed when cut). */
function asText(b: Buffer, cut: boolean): string | null {
  if (b.includes(0)) return null;
  for (let drop = 0; drop <= (cut ? 3 : 0) && drop <= b.length; drop++) {
    try {
      return utf8.decode(b.subarray(0, b.length - drop));
    } catch {
      /* try without a cut trailing sequence */
    }
  }
  return null;
}

function covered(s: UpperSnapshot, path: string): boolean {
  return !s.truncated || s.last === undefined || comparePaths(path, s.last) <= 0;
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/**
 * The changes from one snapshot to the next, sorted by path. A path in neither snapshot's walked
 * part (see UpperSnapshot.truncated) is left out. Deleting a directory reports the directory only,
 * not the entries below it that the earlier snapshot held.
 */
export function diffUpper(prev: UpperSnapshot, next: UpperSnapshot, readContent: ContentReader, opts: DiffOptions = {}): FsChange[] {
  const maxContent = opts.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const excluded = [...ALWAYS_EXCLUDED, ...(opts.exclude ?? [])];
  const paths = new Set<string>();
  for (const p of prev.entries.keys()) paths.add(p);
  for (const p of next.entries.keys()) paths.add(p);
  const changes: FsChange[] = [];

  const withContent = (c: FsChange, e: UpperEntry): FsChange => {
    if (e.kind === 'symlink' && e.target !== undefined) c.target = e.target;
    if (e.kind !== 'file') return c;
    const b = readContent(c.path, maxContent + 1);
    if (!b) return c;
    const cut = b.length > maxContent;
    const text = asText(cut ? b.subarray(0, maxContent) : b, cut);
    if (text === null) c.binary = true;
    else {
      c.content = text;
      if (cut) c.contentTruncated = true;
    }
    return c;
  };
  const full = (path: string, op: FsOp, e: UpperEntry): FsChange => withContent({ path, op, kind: e.kind, size: e.size, mode: e.mode }, e);

  for (const path of paths) {
    const a = prev.entries.get(path);
    const b = next.entries.get(path);
    // Unchanged entries, the common case, first and cheaply.
    if (a && b && a.kind === b.kind && a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.size === b.size && a.mode === b.mode && a.target === b.target) continue;
    if (!covered(prev, path) || !covered(next, path)) continue;
    if (excluded.some((x) => under(path, x))) continue;
    if (a && b) {
      if (a.kind === 'whiteout' && b.kind === 'whiteout') continue;
      if (b.kind === 'whiteout') changes.push({ path, op: 'deleted', kind: a.kind });
      else if (a.kind !== b.kind || (b.kind === 'dir' && a.ino !== b.ino)) changes.push(full(path, 'created', b));
      else if (b.kind !== 'dir' && (a.size !== b.size || a.mtimeNs !== b.mtimeNs || a.ino !== b.ino || a.target !== b.target))
        changes.push(full(path, 'modified', b));
      else if (a.mode !== b.mode) changes.push({ path, op: 'mode', kind: b.kind, mode: b.mode });
    } else if (b) {
      // Absent before: the lower layer's entry (or nothing) was what the session saw.
      const l = opts.lower ? opts.lower(path) : null;
      if (b.kind === 'whiteout') changes.push({ path, op: 'deleted', kind: l ? l.kind : 'whiteout' });
      else if (!l || l.kind !== b.kind) changes.push(full(path, 'created', b));
      else if (b.kind !== 'dir' && (l.size !== b.size || l.mtimeNs !== b.mtimeNs || l.target !== b.target)) changes.push(full(path, 'modified', b));
      else if (l.mode !== b.mode) changes.push({ path, op: 'mode', kind: b.kind, mode: b.mode });
      // else: a copy-up of an unchanged lower entry.
    } else if (a && a.kind !== 'whiteout') {
      // Gone from the upper layer without a whiteout: it existed only there.
      changes.push({ path, op: 'deleted', kind: a.kind });
    }
    // A whiteout that vanished (the lower entry visible again) cannot happen in a live overlay.
  }
  changes.sort((x, y) => comparePaths(x.path, y.path));
  // Only the deleted (or replaced by a non-directory) directory itself, not what was below it.
  const out: FsChange[] = [];
  let gone: string | null = null;
  for (const c of changes) {
    if (gone !== null && !under(c.path, gone)) gone = null;
    if (gone !== null && c.op === 'deleted') continue;
    if (gone === null && (c.op === 'deleted' || (c.op === 'created' && c.kind !== 'dir'))) gone = c.path;
    out.push(c);
  }
  return out;
}
