/**
 * Grammar sessions ("ShellFuzzer-style"): the third kind of generated session, beside project
 * sessions (session.ts) and scratch sessions (scratch.ts). Both of those lean on a few dozen moves,
 * and a model trained on them memorises the generator's world instead of learning the shell. A
 * grammar session instead draws each turn from a small typed grammar of bash:
 *
 *   turn     := simple | pipeline | list | compound | definition | write | error
 *   list     := cmd && cmd | cmd || cmd | cmd ; cmd | ! cmd
 *   compound := ( subshell ) | { group; } | for | for (( )) | while read | while [ ] | until
 *             | if/elif/else | case | [[ ]] | $( ) and $(( )) substitutions
 *   definition := name=value | export | unset | alias | f() { ... } | arrays | declare | read <<<
 *             | printf -v | set -- | ${var#..} ${var%..} ${var/..} ${#var} ${var:-..} ${var^^} ...
 *   write    := > >> < 2>&1 2>/dev/null | tee | here-docs | cp mv ln rm mkdir touch sed -i split
 *
 * over ~100 utilities and builtins that exist in the sandbox image (coreutils, grep, sed, gawk,
 * find/xargs, diff/cmp, base64, hashes, od/xxd, tree, file, jq, bc, sqlite3, perl, python3, tar,
 * gzip, ...) with their common flags, on random names and contents (the syllable generator of
 * scratch.ts, digits, dashes, dots), in random working folders at random depths under varied roots.
 * About 15% of turns take an error path on purpose (missing files, bad flags, syntax errors,
 * non-zero exits, permission and type errors).
 *
 * State is tracked like World / scratch.ts, so commands refer to files, folders, variables,
 * arrays, functions and aliases that exist, and the output of many commands is computed here too
 * (what `sort`, `head`, `grep`, `cut`, `tr`, `sed` ... print), so a file written from a pipeline
 * has known contents for later moves. Far-back reads: in most sessions long enough, a "memo" (a
 * file with key=value lines or numbers, a variable, an array, a function or an alias) is made in
 * the first turns, never touched again, and read, grepped or computed from 20+ turns later, so the
 * answer must be copied from far back.
 *
 * Determinism: nothing here reads $RANDOM, PIDs, the clock (no `date` without a fixed input),
 * /proc, the network or the terminal size; no sleeps, no interactive or unbounded commands, no
 * command that waits on stdin; unordered listings (find, grep -r) are sorted; long listings are
 * capped with head. Commands are always complete (an unclosed quote or construct would leave bash
 * waiting for more input), and nothing exits the shell (no exit, exec, set -e). Pure function of
 * the Rng, like the other generators.
 */
import { posix } from 'node:path';
import type { Rng } from '../../core/rng.js';
import { syllableWord, type ScratchTurn } from './scratch.js';
import type { FamilyName } from './world.js';

/** What the generator expects of a turn's exit status (used by tests and diagnostics only). */
export type Expect = 'ok' | 'fail' | 'any';

export interface GrammarTurn extends ScratchTurn {
  expect: Expect;
}

/** A far-back dependency: made at turn `at`, read at turn `readAt` (indices into the turns). */
export interface Memo {
  kind: 'file' | 'var' | 'array' | 'func' | 'alias';
  /** The path or name the read refers to. */
  name: string;
  at: number;
  readAt: number[];
}

export interface GrammarSession {
  turns: GrammarTurn[];
  memos: Memo[];
}

/** Minimum distance (turns) from a memo's write to its far-back read. */
export const FAR_BACK = 20;

// ------------------------------------------------------------------ names and contents

const ROOTS = [
  '/tmp',
  '/tmp',
  '/srv',
  '/opt',
  '/var/tmp',
  '/home',
  '/mnt',
  '/root',
  '/root',
  '/data',
  '/work',
  '/usr/local/src',
  '/var/lib',
  '/scratch',
  '/var/opt',
];
const EXTS = [
  '',
  '',
  '',
  '.txt',
  '.txt',
  '.log',
  '.csv',
  '.tsv',
  '.dat',
  '.conf',
  '.cfg',
  '.ini',
  '.md',
  '.json',
  '.list',
  '.out',
  '.bak',
  '.tmp',
  '.env',
  '.sh',
  '.py',
  '.1',
  '.old',
  '.rc',
  '.yml',
  '.in',
];
const COMMON = [
  'data',
  'out',
  'tmp',
  'test',
  'notes',
  'input',
  'result',
  'list',
  'log',
  'config',
  'backup',
  'old',
  'new',
  'src',
  'lib',
  'bin',
  'docs',
  'cache',
  'build',
  'run',
  'a',
  'b',
  'x',
];
const LEVELS = ['INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'];
const RESERVED = new Set([
  'HOME',
  'PATH',
  'PWD',
  'OLDPWD',
  'IFS',
  'PS1',
  'PS2',
  'PS4',
  'SHELL',
  'USER',
  'LANG',
  'TERM',
  'LINES',
  'COLUMNS',
  'LINENO',
  'RANDOM',
  'SECONDS',
  'HOSTNAME',
  'MAIL',
  'TMOUT',
  'CDPATH',
  'OPTIND',
  'OPTARG',
  'UID',
  'EUID',
  'PPID',
  'SHLVL',
  'BASH',
  'HISTFILE',
  'HISTSIZE',
  'PROMPT_COMMAND',
  'GLOBIGNORE',
  'FUNCNAME',
  'GROUPS',
  'REPLY',
  'PIPESTATUS',
  'ENV',
  'TZ',
  'PAGER',
  'EDITOR',
  'VISUAL',
  'TMPDIR',
  'LOGNAME',
  'DIRSTACK',
]);

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** A content token: made-up word, number, word with digits, version, upper-case tag. */
function token(r: Rng): string {
  const k = r.float();
  if (k < 0.5) return syllableWord(r);
  if (k < 0.7) return String(r.int(0, r.pick([9, 99, 999, 9999, 99999])));
  if (k < 0.8) return `${syllableWord(r)}${r.int(0, 99)}`;
  if (k < 0.86) return `${syllableWord(r)}-${syllableWord(r)}`;
  if (k < 0.91) return syllableWord(r).toUpperCase();
  if (k < 0.95) return `v${r.int(0, 9)}.${r.int(0, 20)}`;
  return `${syllableWord(r)}_${r.int(1, 9)}`;
}

/** A file or folder stem: made-up word, common word, with digits, dashes, dots or underscores. */
function stem(r: Rng): string {
  const a = r.bool(0.75) ? syllableWord(r) : r.pick(COMMON);
  switch (r.int(0, 11)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return a;
    case 4:
      return `${a}-${syllableWord(r)}`;
    case 5:
      return `${a}_${syllableWord(r)}`;
    case 6:
      return `${a}${r.int(0, 99)}`;
    case 7:
      return `${a}.${syllableWord(r)}`;
    case 8:
      return `${pad(r.int(1, 31))}-${a}`;
    case 9:
      return `${a}-${r.int(2000, 2030)}`;
    case 10:
      return `${a}.v${r.int(1, 9)}`;
    default:
      return a.toUpperCase();
  }
}

/** A variable name that is not one of bash's own. */
function varName(r: Rng): string {
  for (;;) {
    const a = syllableWord(r).slice(0, 8);
    const k = r.int(0, 5);
    const n =
      k === 0
        ? a
        : k === 1
          ? `${a}_${syllableWord(r).slice(0, 5)}`
          : k === 2
            ? a.toUpperCase()
            : k === 3
              ? `${a}_${syllableWord(r).slice(0, 5)}`.toUpperCase()
              : k === 4
                ? `${a}${r.int(1, 9)}`
                : `_${a}`;
    if (!RESERVED.has(n.toUpperCase()) && n.length > 1) return n;
  }
}

/** A function or alias name that cannot shadow a real command (prefix, underscore or digit). */
function funcName(r: Rng): string {
  const a = syllableWord(r).slice(0, 7);
  return r.pick([`my${a}`, `do_${a}`, `${a}_${syllableWord(r).slice(0, 4)}`, `get_${a}`, `show_${a}`, `${a}${r.int(2, 9)}`, `run_${a}`]);
}

type Kind = 'words' | 'kv' | 'csv' | 'nums' | 'log' | 'list' | 'pairs';

/** Lines of a file of the given kind. `lex` is the session's small vocabulary, so that words
 *  recur across files and lines (grep, uniq, comm and join find something). */
function contentLines(r: Rng, kind: Kind, lex: readonly string[], n = r.int(2, 7)): string[] {
  const w = (): string => (r.bool(0.45) ? r.pick(lex) : token(r));
  const out: string[] = [];
  if (kind === 'csv') out.push(Array.from({ length: r.int(2, 4) }, () => syllableWord(r).slice(0, 6)).join(','));
  const cols = kind === 'csv' ? (out[0] ?? '').split(',').length : 0;
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'words':
        out.push(Array.from({ length: r.int(1, 5) }, w).join(' '));
        break;
      case 'kv':
        out.push(`${syllableWord(r).slice(0, 7)}${r.pick(['=', '=', '_' + syllableWord(r).slice(0, 3) + '='])}${w()}`);
        break;
      case 'csv':
        out.push([r.pick(lex), ...Array.from({ length: cols - 1 }, () => String(r.int(0, r.pick([9, 99, 999]))))].join(','));
        break;
      case 'nums':
        out.push(String(r.int(r.pick([0, -50]), r.pick([9, 99, 999, 9999]))));
        break;
      case 'log':
        out.push(`${r.pick(LEVELS)} ${syllableWord(r)}: ${w()} ${r.int(0, 999)}`);
        break;
      case 'list':
        out.push(r.bool(0.6) ? r.pick(lex) : token(r));
        break;
      case 'pairs':
        out.push(`${r.pick(lex)} ${r.int(0, 500)}`);
        break;
    }
  }
  return out;
}

const KINDS: readonly (readonly [Kind, number])[] = [
  ['words', 3],
  ['kv', 2],
  ['csv', 1.5],
  ['nums', 1.5],
  ['log', 1.5],
  ['list', 2],
  ['pairs', 2],
];

/** Single-quote a shell word when it needs it (our contents never hold a single quote). */
function q(s: string): string {
  return /^[A-Za-z0-9_./=+:,@%^-]+$/.test(s) ? s : `'${s}'`;
}

// ------------------------------------------------------------------ small emulators (C locale)

const sortC = (ls: readonly string[]): string[] => [...ls].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const uniqAdj = (ls: readonly string[]): string[] => ls.filter((l, i) => i === 0 || ls[i - 1] !== l);
const upper = (s: string): string => s.replace(/[a-z]/g, (c) => c.toUpperCase());
const bytes = (ls: readonly string[]): number => ls.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
const words = (ls: readonly string[]): string[] =>
  ls
    .join(' ')
    .split(/\s+/)
    .filter((x) => x !== '');
const field = (l: string, n: number): string => l.trim().split(/\s+/)[n - 1] ?? '';
function cutField(l: string, d: string, n: number): string {
  return l.includes(d) ? (l.split(d)[n - 1] ?? '') : l;
}
function uniqC(ls: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < ls.length; ) {
    let j = i;
    while (j < ls.length && ls[j] === ls[i]) j++;
    out.push(`${String(j - i).padStart(7)} ${ls[i]}`);
    i = j;
  }
  return out;
}
function numbered(ls: readonly string[]): string[] {
  return ls.map((l, i) => `${String(i + 1).padStart(6)}\t${l}`);
}

// ------------------------------------------------------------------ the generator's belief

interface FileInfo {
  /** Known content, one entry per line; null when the generator cannot tell. */
  lines: string[] | null;
  kind: Kind | null;
  mode: number;
}

type FuncKind = 'join' | 'times' | 'each' | 'count' | 'sum' | 'ret' | 'upper' | 'shift' | 'grep' | 'mkcd' | 'first';

interface FuncInfo {
  kind: FuncKind;
  k: number;
  sep: string;
}

type Snapshot = Pick<
  Shell,
  'cwd' | 'prev' | 'dirs' | 'files' | 'links' | 'vars' | 'exported' | 'readonlyVars' | 'arrays' | 'funcs' | 'aliases' | 'keep' | 'stack' | 'lastWritten'
>;

class Shell {
  cwd: string;
  prev: string | null = null;
  readonly home = '/root';
  readonly base: string;
  dirs = new Set<string>();
  files = new Map<string, FileInfo>();
  links = new Map<string, string>();
  /** Variables and their values (null: set, value not known to the generator). */
  vars = new Map<string, string | null>();
  exported = new Set<string>();
  readonlyVars = new Set<string>();
  arrays = new Map<string, string[]>();
  funcs = new Map<string, FuncInfo>();
  aliases = new Map<string, string>();
  /** Paths and names of memos: no move may touch, mention or overwrite them. */
  keep = new Set<string>();
  stack: string[] = [];
  /** The session's small vocabulary (recurring words). */
  readonly lex: string[];
  lastWritten: string | null = null;

  constructor(base: string, lex: string[]) {
    this.base = base;
    this.cwd = '/root';
    this.lex = lex;
    for (const d of [
      '/',
      '/root',
      '/tmp',
      '/srv',
      '/opt',
      '/var',
      '/var/tmp',
      '/home',
      '/mnt',
      '/usr',
      '/usr/local',
      '/usr/local/src',
      '/var/lib',
      '/var/opt',
      '/etc',
    ])
      this.dirs.add(d);
  }

  /** A deep copy of the belief, to put back when a move's command is dropped after it ran. */
  save(): Snapshot {
    return structuredClone({
      cwd: this.cwd,
      prev: this.prev,
      dirs: this.dirs,
      files: this.files,
      links: this.links,
      vars: this.vars,
      exported: this.exported,
      readonlyVars: this.readonlyVars,
      arrays: this.arrays,
      funcs: this.funcs,
      aliases: this.aliases,
      keep: this.keep,
      stack: this.stack,
      lastWritten: this.lastWritten,
    });
  }
  load(x: Snapshot): void {
    ({
      cwd: this.cwd,
      prev: this.prev,
      dirs: this.dirs,
      files: this.files,
      links: this.links,
      vars: this.vars,
      exported: this.exported,
      readonlyVars: this.readonlyVars,
      arrays: this.arrays,
      funcs: this.funcs,
      aliases: this.aliases,
      keep: this.keep,
      stack: this.stack,
      lastWritten: this.lastWritten,
    } = x);
  }

  abs(p: string): string {
    return posix.normalize(posix.isAbsolute(p) ? p : posix.join(this.cwd, p));
  }
  /** How to name a path from the cwd: relative below it, ../x next to it, ~/x in home, else absolute. */
  ref(abs: string, r?: Rng): string {
    if (abs === this.cwd) return '.';
    if (abs.startsWith(this.cwd + '/')) {
      const rel = abs.slice(this.cwd.length + 1);
      return r?.bool(0.08) ? `./${rel}` : rel;
    }
    const up = posix.dirname(this.cwd);
    if (r && up !== '/' && abs.startsWith(up + '/') && r.bool(0.6)) return `../${abs.slice(up.length + 1)}`;
    if (r && abs.startsWith(this.home + '/') && r.bool(0.5)) return `~/${abs.slice(this.home.length + 1)}`;
    return abs;
  }
  /** Folders this session made (never the pre-existing tree). */
  ownDirs(): string[] {
    return [...this.dirs].filter((d) => d === this.base || d.startsWith(this.base + '/')).filter((d) => !this.keep.has(d));
  }
  inOwnTree(): boolean {
    return this.cwd === this.base || this.cwd.startsWith(this.base + '/');
  }
  exists(abs: string): boolean {
    return this.files.has(abs) || this.dirs.has(abs) || this.links.has(abs);
  }
  entries(dir: string): string[] {
    const out = new Set<string>();
    for (const p of [...this.files.keys(), ...this.dirs, ...this.links.keys()]) if (p !== '/' && posix.dirname(p) === dir) out.add(posix.basename(p));
    return sortC([...out]);
  }
  freshName(r: Rng, dir: string, ext = true): string {
    for (let i = 0; i < 20; i++) {
      const n = stem(r) + (ext ? r.pick(EXTS) : '');
      if (!this.exists(posix.join(dir, n)) && !this.keep.has(posix.join(dir, n))) return n;
    }
    return `${syllableWord(r)}${r.int(100, 999)}`;
  }
  freshPath(r: Rng, ext = true): string {
    const ds = this.ownDirs();
    const d = ds.length > 0 && r.bool(0.25) ? r.pick(ds) : this.cwd;
    return posix.join(d, this.freshName(r, d, ext));
  }
  /** A known file (not a memo), near the cwd by preference; `known`: only with known contents. */
  pickFile(r: Rng, known = false, pred: (f: FileInfo, p: string) => boolean = () => true): string | null {
    const all = [...this.files.entries()]
      .filter(([p, f]) => !this.keep.has(p) && (!known || (f.lines !== null && f.lines.length > 0)) && pred(f, p))
      .map(([p]) => p);
    if (all.length === 0) return null;
    const near = all.filter((p) => posix.dirname(p) === this.cwd);
    return r.pick(near.length > 0 && r.bool(0.75) ? near : all);
  }
  /** Owner-writable (the sandbox's root does not override file modes). */
  writable(p: string): boolean {
    return ((this.files.get(p)?.mode ?? 0o644) & 0o200) !== 0;
  }
  lines(p: string): string[] {
    return this.files.get(p)?.lines ?? [];
  }
  pickDir(r: Rng, pred: (d: string) => boolean = () => true): string | null {
    const ds = this.ownDirs().filter(pred);
    return ds.length > 0 ? r.pick(ds) : null;
  }
  /** A folder that may be removed or moved: not the cwd or above it, not on the stack, no memo in it. */
  removable(d: string): boolean {
    const inside = (p: string): boolean => p === d || p.startsWith(d + '/');
    return d !== this.base && !inside(this.cwd) && !this.stack.some(inside) && ![...this.keep].some(inside) && !(this.prev !== null && inside(this.prev));
  }
  addDir(abs: string): void {
    for (let d = abs; d !== '/' && !this.dirs.has(d); d = posix.dirname(d)) this.dirs.add(d);
  }
  addFile(abs: string, lines: string[] | null, kind: Kind | null = null, mode = 0o644): void {
    this.addDir(posix.dirname(abs));
    const old = this.files.get(abs);
    this.files.set(abs, { lines, kind, mode: old ? old.mode : mode });
    this.lastWritten = abs;
  }
  append(abs: string, lines: string[] | null): void {
    const f = this.files.get(abs);
    if (!f) return this.addFile(abs, lines);
    f.lines = f.lines !== null && lines !== null ? [...f.lines, ...lines] : null;
    this.lastWritten = abs;
  }
  remove(abs: string): void {
    this.files.delete(abs);
    this.links.delete(abs);
    for (const k of [...this.files.keys()]) if (k.startsWith(abs + '/')) this.files.delete(k);
    for (const k of [...this.links.keys()]) if (k.startsWith(abs + '/')) this.links.delete(k);
    for (const d of [...this.dirs]) if (d === abs || d.startsWith(abs + '/')) this.dirs.delete(d);
  }
  move(from: string, to: string): void {
    const f = this.files.get(from);
    if (f) {
      this.files.delete(from);
      this.addDir(posix.dirname(to));
      this.files.set(to, f);
      return;
    }
    const moveKeys = <V>(m: Map<string, V>): void => {
      for (const [k, v] of [...m])
        if (k === from || k.startsWith(from + '/')) {
          m.delete(k);
          m.set(to + k.slice(from.length), v);
        }
    };
    moveKeys(this.files);
    moveKeys(this.links);
    for (const d of [...this.dirs])
      if (d === from || d.startsWith(from + '/')) {
        this.dirs.delete(d);
        this.dirs.add(to + d.slice(from.length));
      }
  }
  cd(to: string): void {
    this.prev = this.cwd;
    this.cwd = to;
  }
  pickVar(r: Rng): string | null {
    const vs = [...this.vars.keys()].filter((v) => !this.keep.has(v));
    return vs.length > 0 ? r.pick(vs) : null;
  }
  pickArray(r: Rng): string | null {
    const vs = [...this.arrays.keys()].filter((v) => !this.keep.has(v));
    return vs.length > 0 ? r.pick(vs) : null;
  }
  freshVar(r: Rng): string {
    for (let i = 0; i < 20; i++) {
      const v = varName(r);
      if (!this.vars.has(v) && !this.arrays.has(v) && !this.keep.has(v)) return v;
    }
    return `v${r.int(100, 999)}`;
  }
  freshFunc(r: Rng): string {
    for (let i = 0; i < 20; i++) {
      const f = funcName(r);
      if (!this.funcs.has(f) && !this.aliases.has(f) && !this.keep.has(f)) return f;
    }
    return `fn${r.int(100, 999)}`;
  }
  word(r: Rng): string {
    return r.bool(0.5) ? r.pick(this.lex) : token(r);
  }
  /** A search pattern for a file: a piece of one of its words (a hit), or a made-up miss. */
  pattern(r: Rng, ls: readonly string[], hit = false): string {
    const ws = ls
      .join(' ')
      .split(/[^A-Za-z0-9]+/)
      .filter((w) => w.length >= 2);
    if (ws.length > 0 && (hit || r.bool(0.8))) {
      const w = r.pick(ws);
      const a = r.int(0, Math.max(0, w.length - 2));
      return w.slice(a, a + r.int(2, 4));
    }
    return syllableWord(r).slice(0, 4);
  }
}

// ------------------------------------------------------------------ moves

/** A command with, where the generator can tell, what it prints (lines) and whether it succeeds. */
interface Out {
  cmd: string;
  out?: string[] | undefined;
  ok: boolean | null;
}

const T = (cmd: string, family: FamilyName, expect: Expect = 'ok'): GrammarTurn => ({ cmd, family, expect });

/** A read-only command over a file with known contents, its output computed where simple. */
function fileReader(s: Shell, r: Rng, p: string): Out {
  const ls = s.lines(p);
  const f = s.ref(p, r);
  const n = ls.length;
  const k = r.int(1, Math.max(1, Math.min(4, n)));
  const pat = s.pattern(r, ls);
  const hit = (l: string): boolean => l.includes(pat);
  const delim = ls.some((l) => l.includes(',')) ? ',' : ls.some((l) => l.includes('=')) ? '=' : ' ';
  const fn = r.int(1, 2);
  const ds = delim === ' ' ? "' '" : delim;
  const opts: (() => Out)[] = [
    () => ({ cmd: `cat ${f}`, out: ls, ok: true }),
    () => ({ cmd: `cat -n ${f}`, out: numbered(ls), ok: true }),
    () => ({ cmd: `cat -A ${f}`, out: ls.map((l) => `${l}$`), ok: true }),
    () => ({ cmd: `head -n ${k} ${f}`, out: ls.slice(0, k), ok: true }),
    () => ({ cmd: `tail -n ${k} ${f}`, out: ls.slice(-k), ok: true }),
    () => ({ cmd: `tail -n +${k} ${f}`, out: ls.slice(k - 1), ok: true }),
    () => ({ cmd: `head -${k} ${f}`, out: ls.slice(0, k), ok: true }),
    () => ({ cmd: `head -c ${r.int(3, 20)} ${f}`, ok: true }),
    () => ({ cmd: `wc -l ${f}`, out: [`${n} ${f}`], ok: true }),
    () => ({ cmd: `wc -l < ${f}`, out: [String(n)], ok: true }),
    () => ({ cmd: `wc -w < ${f}`, out: [String(words(ls).length)], ok: true }),
    () => ({ cmd: `wc -c < ${f}`, out: [String(bytes(ls))], ok: true }),
    () => ({ cmd: `wc ${f}`, ok: true }),
    () => ({ cmd: `sort ${f}`, out: sortC(ls), ok: true }),
    () => ({ cmd: `sort -r ${f}`, out: sortC(ls).reverse(), ok: true }),
    () => ({ cmd: `sort -u ${f}`, out: uniqAdj(sortC(ls)), ok: true }),
    () => ({ cmd: `sort -n ${f}`, ok: true }),
    () => ({ cmd: `sort -rn ${f} | head -n ${k}`, ok: true }),
    () => ({ cmd: `sort ${f} | uniq -c`, out: uniqC(sortC(ls)), ok: true }),
    () => ({ cmd: `sort ${f} | uniq -d`, out: uniqAdj(sortC(ls).filter((l, i, a) => a.indexOf(l) !== i)), ok: true }),
    () => ({ cmd: `sort ${f} | uniq -u`, ok: true }),
    () => ({ cmd: `uniq ${f}`, out: uniqAdj(ls), ok: true }),
    () => ({ cmd: `tac ${f}`, out: [...ls].reverse(), ok: true }),
    () => ({ cmd: `rev ${f}`, out: ls.map((l) => [...l].reverse().join('')), ok: true }),
    () => ({ cmd: `nl ${f}`, out: ls.every((l) => l !== '') ? numbered(ls) : undefined, ok: true }),
    () => ({ cmd: `cut -d${ds} -f${fn} ${f}`, out: ls.map((l) => cutField(l, delim, fn)), ok: true }),
    () => ({ cmd: `cut -c1-${k + 2} ${f}`, out: ls.map((l) => l.slice(0, k + 2)), ok: true }),
    () => ({ cmd: `tr a-z A-Z < ${f}`, out: ls.map(upper), ok: true }),
    () => ({ cmd: `tr -d aeiou < ${f}`, out: ls.map((l) => l.replace(/[aeiou]/g, '')), ok: true }),
    () => ({ cmd: `tr ' ' '\\n' < ${f}`, out: ls.flatMap((l) => l.split(' ')), ok: true }),
    () => ({ cmd: `tr -s ' ' < ${f}`, ok: true }),
    () => ({ cmd: `tr -cd '0-9\\n' < ${f}`, out: ls.map((l) => l.replace(/[^0-9]/g, '')), ok: true }),
    () => ({ cmd: `sed -n ${k}p ${f}`, out: ls.slice(k - 1, k), ok: true }),
    () => ({ cmd: `sed -n '1,${k}p' ${f}`, out: ls.slice(0, k), ok: true }),
    () => ({ cmd: `sed ${k}d ${f}`, out: ls.filter((_, i) => i !== k - 1), ok: true }),
    () => ({ cmd: `sed '$d' ${f}`, out: ls.slice(0, -1), ok: true }),
    () => ({ cmd: `sed 's/${pat}/${syllableWord(r).slice(0, 4)}/' ${f}`, ok: true }),
    () => ({ cmd: `sed -n '/${pat}/p' ${f}`, out: ls.filter(hit), ok: true }),
    () => ({ cmd: `sed '/${pat}/d' ${f}`, out: ls.filter((l) => !hit(l)), ok: true }),
    () => ({ cmd: `sed = ${f} | head -n ${2 * k}`, ok: true }),
    () => ({ cmd: `grep ${pat} ${f}`, out: ls.filter(hit), ok: ls.some(hit) }),
    () => ({ cmd: `grep -n ${pat} ${f}`, out: ls.flatMap((l, i) => (hit(l) ? [`${i + 1}:${l}`] : [])), ok: ls.some(hit) }),
    () => ({ cmd: `grep -c ${pat} ${f}`, out: [String(ls.filter(hit).length)], ok: ls.some(hit) }),
    () => ({ cmd: `grep -v ${pat} ${f}`, out: ls.filter((l) => !hit(l)), ok: ls.some((l) => !hit(l)) }),
    () => ({ cmd: `grep -i ${pat.toUpperCase()} ${f}`, ok: null }),
    () => ({
      cmd: `grep -o ${pat} ${f}`,
      out: ls.flatMap((l) =>
        l
          .split(pat)
          .slice(1)
          .map(() => pat),
      ),
      ok: ls.some(hit),
    }),
    () => ({ cmd: `grep -w ${pat} ${f}`, ok: null }),
    () => ({ cmd: `grep -E '^[a-z]+' ${f}`, ok: null }),
    () => ({ cmd: `grep -E '[0-9]{2,}' ${f}`, ok: null }),
    () => ({ cmd: `grep -q ${pat} ${f} && echo found || echo missing`, out: [ls.some(hit) ? 'found' : 'missing'], ok: true }),
    () => ({ cmd: `awk '{print $${fn}}' ${f}`, out: ls.map((l) => field(l, fn)), ok: true }),
    () => ({ cmd: `awk '{print NF}' ${f}`, out: ls.map((l) => String(l.trim() === '' ? 0 : l.trim().split(/\s+/).length)), ok: true }),
    () => ({ cmd: `awk 'NR==${k}' ${f}`, out: ls.slice(k - 1, k), ok: true }),
    () => ({ cmd: `awk 'END {print NR}' ${f}`, out: [String(n)], ok: true }),
    () => ({ cmd: `awk -F${delim === ' ' ? "' '" : delim} '{print $${fn}}' ${f}`, ok: true }),
    () => ({ cmd: `awk '{n += NF} END {print n}' ${f}`, out: [String(words(ls).length)], ok: true }),
    () => ({ cmd: `awk 'length($0) > ${r.int(4, 12)}' ${f}`, ok: true }),
    () => ({ cmd: `awk '{printf "%-${r.int(6, 12)}s|%d\\n", $1, NF}' ${f}`, ok: true }),
    () => ({ cmd: `awk '/${pat}/ {c++} END {print c+0}' ${f}`, out: [String(ls.filter(hit).length)], ok: true }),
    () => ({ cmd: `paste -sd${r.pick([',', ':', '+', "' '"])} ${f}`, ok: true }),
    () => ({ cmd: `fold -w ${r.int(4, 12)} ${f}`, ok: true }),
    () => ({ cmd: `fmt -w ${r.int(12, 30)} ${f}`, ok: true }),
    () => ({ cmd: `column -t ${f}`, ok: true }),
    () => ({ cmd: `od -c ${f} | head -n ${r.int(2, 5)}`, ok: true }),
    () => ({ cmd: `xxd ${f} | head -n ${r.int(2, 4)}`, ok: true }),
    () => ({ cmd: `base64 ${f}`, ok: true }),
    () => ({ cmd: `${r.pick(['md5sum', 'sha256sum', 'sha1sum', 'cksum', 'sum', 'b2sum -l 64'])} ${f}`, ok: true }),
    () => ({ cmd: `file ${f}`, ok: true }),
    () => ({ cmd: `stat -c '${r.pick(['%s %n', '%a %n', '%s %a %n', '%F', '%n: %s bytes', '%U:%G %a'])}' ${f}`, ok: true }),
    () => ({ cmd: `ls -l ${f}`, ok: true }),
    () => ({ cmd: `du -b ${f}`, out: [`${bytes(ls)}\t${f}`], ok: true }),
    () => ({ cmd: `expand -t ${r.int(2, 8)} ${f} | head -n 3`, ok: true }),
    () => ({ cmd: `pr -t -n ${f} | head -n 4`, ok: true }),
    () => ({ cmd: `xargs < ${f}`, ok: true }),
    () => ({ cmd: `xargs -n ${r.int(1, 3)} < ${f}`, ok: true }),
    () => ({ cmd: `perl -ne 'print if /${pat}/' ${f}`, out: ls.filter(hit), ok: true }),
    () => ({ cmd: `perl -pe 's/${pat}/<$&>/g' ${f}`, ok: true }),
    () => ({ cmd: `python3 -c 'import sys; print(len(open(sys.argv[1]).read().split()))' ${f}`, out: [String(words(ls).length)], ok: true }),
    () => ({ cmd: `python3 -c 'import sys; print(max(open(sys.argv[1]).read().splitlines(), key=len))' ${f}`, ok: true }),
    () => ({ cmd: `while read -r line; do echo "${r.pick(['>', '-', '#', '*'])} $line"; done < ${f}`, ok: true }),
    () => ({ cmd: `while read -r a rest; do echo "$a"; done < ${f}`, ok: true }),
    () => {
      const a = r.pick(['rows', 'lines', 'arr', 'items']);
      return { cmd: `mapfile -t ${a} < ${f}; echo \${#${a}[@]}`, out: [String(n)], ok: true };
    },
    () => ({ cmd: `echo "$(wc -l < ${f}) lines"`, out: [`${n} lines`], ok: true }),
    () => ({
      cmd: `cat ${f} | ${r.pick(['sort | head -n 2', 'wc -l', 'tr a-z A-Z | head -n 3', "tr ' ' '\\n' | sort | uniq -c | sort -rn | head -n 3", 'rev | sort', 'head -n 2 | tail -n 1', `grep -c ${pat}`, "awk '{print length($0)}'", 'nl -ba | tail -n 2', 'sort -u | wc -l'])}`,
      ok: null,
    }),
  ];
  if (ls.some((l) => /^[a-z]+ -?\d+$/.test(l)) && ls.every((l) => /^\S+ -?\d+$/.test(l))) {
    const sum = ls.reduce((t, l) => t + Number(field(l, 2)), 0);
    opts.push(
      () => ({ cmd: `awk '{s += $2} END {print s}' ${f}`, out: [String(sum)], ok: true }),
      () => ({ cmd: `sort -k2 -n ${f} | tail -n 1`, ok: true }),
      () => ({ cmd: `sort -k2,2nr ${f} | head -n ${k}`, ok: true }),
      () => ({ cmd: `awk '$2 > ${r.int(50, 400)} {print $1}' ${f}`, ok: true }),
      () => ({ cmd: `awk '{a[$1] += $2} END {for (k in a) print k, a[k]}' ${f} | sort`, ok: true }),
    );
  }
  if (ls.every((l) => /^-?\d+$/.test(l))) {
    const sum = ls.reduce((t, l) => t + Number(l), 0);
    opts.push(
      () => ({ cmd: `awk '{s += $1} END {print s}' ${f}`, out: [String(sum)], ok: true }),
      () => ({ cmd: `paste -sd+ ${f} | bc`, out: [String(sum)], ok: true }),
      () => ({ cmd: `sort -n ${f} | tail -n 1`, out: [String(Math.max(...ls.map(Number)))], ok: true }),
      () => ({ cmd: `sort -n ${f} | head -n 1`, out: [String(Math.min(...ls.map(Number)))], ok: true }),
      () => ({ cmd: `awk '{ if ($1 > m || NR == 1) m = $1 } END {print m}' ${f}`, ok: true }),
      () => ({ cmd: `python3 -c 'import sys; xs = [int(x) for x in open(sys.argv[1])]; print(sum(xs), min(xs), max(xs))' ${f}`, ok: true }),
      () => ({ cmd: `s=0; while read -r n; do s=$((s + n)); done < ${f}; echo $s`, out: [String(sum)], ok: true }),
    );
  }
  if (ls[0]?.includes(',') && ls.length > 1) {
    const cols = (ls[0] ?? '').split(',').length;
    const c = r.int(1, cols);
    opts.push(
      () => ({ cmd: `cut -d, -f${c} ${f}`, out: ls.map((l) => cutField(l, ',', c)), ok: true }),
      () => ({ cmd: `tail -n +2 ${f} | cut -d, -f${c}`, out: ls.slice(1).map((l) => cutField(l, ',', c)), ok: true }),
      () => ({ cmd: `awk -F, 'NR > 1 {s += $${Math.min(2, cols)}} END {print s}' ${f}`, ok: true }),
      () => ({ cmd: `column -t -s, ${f}`, ok: true }),
      () => ({ cmd: `sort -t, -k${Math.min(2, cols)} -n ${f}`, ok: true }),
      () => ({ cmd: `awk -F, '{print NF}' ${f} | sort -u`, ok: true }),
      () => ({ cmd: `python3 -c 'import csv, sys; print(len(list(csv.reader(open(sys.argv[1])))))' ${f}`, out: [String(n)], ok: true }),
    );
  }
  if (ls.some((l) => l.includes('='))) {
    const kv = ls.filter((l) => l.includes('='));
    const key = (r.pick(kv).split('=')[0] ?? '').replace(/[^A-Za-z0-9_]/g, '');
    opts.push(
      () => ({ cmd: `grep ^${key}= ${f} | cut -d= -f2`, ok: null }),
      () => ({ cmd: `awk -F= '$1 == "${key}" {print $2}' ${f}`, ok: true }),
      () => ({ cmd: `cut -d= -f1 ${f} | sort`, ok: true }),
      () => ({ cmd: `sed -n 's/^${key}=//p' ${f}`, ok: true }),
    );
  }
  return r.pick(opts)();
}

/** A read-only command that needs no file: literals, arithmetic, encodings, fixed system files. */
function freeReader(s: Shell, r: Rng): Out {
  const w1 = s.word(r);
  const w2 = s.word(r);
  const ws = Array.from({ length: r.int(2, 6) }, () => s.word(r));
  const a = r.int(0, 999);
  const b = r.int(1, 99);
  const opts: (() => Out)[] = [
    () => ({ cmd: `echo ${q(ws.join(' '))}`, out: [ws.join(' ')], ok: true }),
    () => ({ cmd: `echo -n ${w1}; echo ${w2}`, out: [w1 + w2], ok: true }),
    () => ({ cmd: `echo -e '${w1}\\t${w2}\\n${a}'`, out: [`${w1}\t${w2}`, String(a)], ok: true }),
    () => ({ cmd: `echo "${w1}  ${w2}"`, out: [`${w1}  ${w2}`], ok: true }),
    () => ({ cmd: `echo ${w1}{1..${r.int(2, 5)}}`, ok: true }),
    () => ({ cmd: `echo {${ws.slice(0, 3).join(',')}}.${r.pick(['txt', 'log', 'bak', 'c'])}`, ok: true }),
    () => ({ cmd: `echo {${r.int(0, 5)}..${r.int(6, 14)}${r.bool(0.4) ? '..' + r.int(2, 3) : ''}}`, ok: true }),
    () => ({ cmd: `echo {a..${r.pick(['c', 'e', 'f'])}}{1,2}`, ok: true }),
    () => ({ cmd: `printf '%s\\n' ${ws.map(q).join(' ')}`, out: ws, ok: true }),
    () => ({ cmd: `printf '%s=%s\\n' ${ws.map(q).join(' ')}${ws.length % 2 ? ' ' + w1 : ''}`, ok: true }),
    () => ({ cmd: `printf '%${r.int(3, 8)}d|\\n' ${a}`, ok: true }),
    () => ({ cmd: `printf '%-${r.int(4, 10)}s|%s\\n' ${w1} ${w2}`, ok: true }),
    () => ({ cmd: `printf '%05d %x %o\\n' ${a} ${a} ${a}`, out: [`${pad(a, 5)} ${a.toString(16)} ${a.toString(8)}`], ok: true }),
    () => ({ cmd: `printf '%.${r.int(1, 4)}f\\n' ${a}.${r.int(0, 999)}`, ok: true }),
    () => ({
      cmd: `printf '%s\\n' ${ws.map(q).join(' ')} | ${r.pick(['sort', 'sort -r', 'sort -u', 'wc -l', 'head -n 2', 'tail -n 1', 'uniq -c', 'nl', 'tac', 'paste -sd,', 'tr a-z A-Z', 'rev', 'grep -v ' + syllableWord(r).slice(0, 2), 'xargs', 'column', 'sort | head -n 1', "awk '{print length}'", 'cut -c1-3'])}`,
      ok: null,
    }),
    () => ({ cmd: `echo $((${a} ${r.pick(['+', '-', '*', '/', '%'])} ${b}))`, ok: true }),
    () => {
      const m = r.int(2, 9);
      return { cmd: `echo $(( (${a} + ${b}) * ${m} ))`, out: [String((a + b) * m)], ok: true };
    },
    () => ({ cmd: `echo $((${r.int(2, 5)} ** ${r.int(2, 10)}))`, ok: true }),
    () => ({ cmd: `echo $((0x${a.toString(16)})) $((8#${a.toString(8)})) $((2#${b.toString(2)}))`, out: [`${a} ${a} ${b}`], ok: true }),
    () => ({ cmd: `echo $((${a} > ${b} ? ${a} : ${b}))`, out: [String(Math.max(a, b))], ok: true }),
    () => ({ cmd: `echo $((${a} & ${b})) $((${a} | ${b})) $((${a} ^ ${b})) $((${b} << ${r.int(1, 4)}))`, ok: true }),
    () => ({ cmd: `x=${a}; (( x += ${b} )); echo $x`, out: [String(a + b)], ok: true }),
    () => ({ cmd: `expr ${a} ${r.pick(['+', '-', '\\*', '/', '%'])} ${b}`, ok: null }),
    () => ({ cmd: `expr length ${w1}`, out: [String(w1.length)], ok: true }),
    () => ({ cmd: `expr substr ${w1}${w2} ${r.int(1, 3)} ${r.int(1, 4)}`, ok: null }),
    () => ({ cmd: `expr ${w1} : '[a-z]*'`, ok: null }),
    () => ({ cmd: `echo '${a} ${r.pick(['+', '*', '-', '/', '^', '%'])} ${b}' | bc`, ok: true }),
    () => ({ cmd: `bc <<< 'scale=${r.int(1, 4)}; ${a} / ${b}'`, ok: true }),
    () => ({ cmd: `echo 'sqrt(${a})' | bc -l`, ok: true }),
    () => ({ cmd: `seq ${r.int(1, 9)}`, ok: true }),
    () => ({ cmd: `seq ${r.int(1, 5)} ${r.int(2, 4)} ${r.int(10, 30)}`, ok: true }),
    () => ({ cmd: `seq -s${r.pick([',', "' '", ':', '-'])} ${r.int(1, 4)} ${r.int(5, 12)}`, ok: true }),
    () => ({ cmd: `seq -w ${r.int(1, 9)} ${r.int(10, 15)}`, ok: true }),
    () => ({ cmd: `seq ${r.int(5, 9)} -1 ${r.int(1, 4)}`, ok: true }),
    () => ({ cmd: `seq -f '${syllableWord(r).slice(0, 4)}-%02g' ${r.int(2, 5)}`, ok: true }),
    () => ({
      cmd: `seq ${r.int(3, 20)} | ${r.pick(['paste -sd+ | bc', 'tail -n 3', 'head -n 2', "awk '{s+=$1} END {print s}'", 'sort -rn | head -n 3', 'tac | head -n 4', 'xargs -n 3', 'grep 1', 'wc -l', 'paste - -', 'nl | tail -n 2', 'sed -n 2~3p'])}`,
      ok: null,
    }),
    () => ({ cmd: `yes ${w1} | head -n ${r.int(1, 4)}`, ok: true }),
    () => ({ cmd: `factor ${r.int(2, 99999)}`, ok: true }),
    () => ({ cmd: `numfmt --to=${r.pick(['iec', 'si'])} ${r.int(1000, 99999999)}`, ok: true }),
    () => ({ cmd: `numfmt --from=iec ${r.int(1, 99)}${r.pick(['K', 'M', 'G'])}`, ok: true }),
    () => ({ cmd: `date -u -d @${r.int(0, 2000000000)} ${r.pick(['+%F', "'+%Y-%m-%d %H:%M'", '+%s', '+%A', '+%j'])}`, ok: true }),
    () => ({
      cmd: `date -u -d '${r.int(1990, 2030)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}' ${r.pick(['+%A', '+%j', '+%s', '+%B', "'+%d/%m/%Y'", '+%U'])}`,
      ok: true,
    }),
    () => ({ cmd: `date -u -d '${r.int(2000, 2030)}-01-01 + ${r.int(1, 400)} days' +%F`, ok: true }),
    () => ({ cmd: `basename ${['', ...Array.from({ length: r.int(1, 3) }, () => stem(r))].join('/')}/${w1}${r.pick(EXTS)}`, ok: true }),
    () => ({ cmd: `basename ${s.ref(s.cwd)}/${w1}.${r.pick(['txt', 'log', 'sh'])} .${r.pick(['txt', 'log', 'sh'])}`, ok: true }),
    () => ({ cmd: `dirname /${Array.from({ length: r.int(1, 4) }, () => stem(r)).join('/')}`, ok: true }),
    () => ({ cmd: `echo ${w1} | rev`, out: [[...w1].reverse().join('')], ok: true }),
    () => ({ cmd: `echo ${w1} | tr a-z A-Z`, out: [upper(w1)], ok: true }),
    () => ({ cmd: `echo ${w1} | tr -d ${r.pick(['aeiou', 'a-m', '0-9'])}`, ok: true }),
    () => ({ cmd: `echo ${q(ws.join(' '))} | wc ${r.pick(['-w', '-c', '-l'])}`, ok: true }),
    () => ({ cmd: `echo ${q(ws.join(' '))} | cut -d' ' -f${r.int(1, 3)}`, ok: true }),
    () => ({ cmd: `echo ${q(ws.join(' '))} | awk '{print $NF}'`, out: [ws[ws.length - 1] ?? ''], ok: true }),
    () => ({ cmd: `echo ${q(ws.join(' '))} | tr ' ' '\\n' | sort${r.bool(0.5) ? ' -r' : ''}`, ok: true }),
    () => ({ cmd: `echo ${q(ws.join(' '))} | sed 's/ /${r.pick(['_', ',', '-', ':'])}/g'`, ok: true }),
    () => ({
      cmd: `echo ${w1} | ${r.pick(['base64', 'md5sum', 'sha256sum | cut -c1-16', 'od -An -c', 'xxd -p', 'od -An -tx1', 'cksum', 'fold -w 2'])}`,
      ok: true,
    }),
    () => ({ cmd: `echo ${Buffer.from(w1 + '\n').toString('base64')} | base64 -d`, out: [w1], ok: true }),
    () => ({ cmd: `base64 <<< ${w1}`, out: [Buffer.from(w1 + '\n').toString('base64')], ok: true }),
    () => ({ cmd: `rev <<< ${w1}`, out: [[...w1].reverse().join('')], ok: true }),
    () => ({ cmd: `wc -c <<< ${w1}`, out: [String(w1.length + 1)], ok: true }),
    () => ({ cmd: `tr a-z n-za-m <<< ${w1}`, ok: true }),
    () => ({ cmd: `read -r x y z <<< ${q(ws.join(' '))}; echo "$y"`, ok: true }),
    () => ({ cmd: `IFS=${r.pick([',', ':', '-'])} read -r p1 p2 p3 <<< "${ws.join(',')}"; echo "$p1|$p3"`, ok: true }),
    () => ({
      cmd: `comm -${r.pick(['12', '23', '13', '3'])} <(printf '%s\\n' ${sortC(ws).join(' ')}) <(printf '%s\\n' ${sortC([...ws.slice(1), w2]).join(' ')})`,
      ok: true,
    }),
    () => ({ cmd: `diff <(printf '%s\\n' ${ws.join(' ')}) <(printf '%s\\n' ${[...ws.slice(0, -1), w2].join(' ')})`, ok: null }),
    () => ({ cmd: `paste <(seq ${ws.length}) <(printf '%s\\n' ${ws.join(' ')})`, ok: true }),
    () => ({
      cmd: `join <(printf '%s\\n' ${sortC(ws.map((w, i) => `${w}:${i}`))
        .map(q)
        .join(' ')} | tr : ' ') <(printf '%s ${a}\\n' ${sortC(ws).join(' ')})`,
      ok: true,
    }),
    () => ({ cmd: `python3 -c 'print(${a} ${r.pick(['+', '-', '*', '//', '%', '**'])} ${r.int(1, 9)})'`, ok: true }),
    () => {
      const m = r.int(1, 4);
      return { cmd: `python3 -c 'print("${w1}" * ${m})'`, out: [w1.repeat(m)], ok: true };
    },
    () => ({ cmd: `python3 -c 'print(sorted([${ws.map((w) => `"${w}"`).join(', ')}]))'`, ok: true }),
    () => ({ cmd: `python3 -c 'print("${r.pick(['-', ',', ' ', ':'])}".join(${JSON.stringify(ws)}))'`, ok: true }),
    () => ({ cmd: `python3 -c 'import math; print(math.factorial(${r.int(1, 20)}))'`, ok: true }),
    () => ({ cmd: `python3 -c 'print(f"{${a}:08b} {${a}:x} {${a / 7}:.3f}")'`, ok: true }),
    () => ({ cmd: `python3 -c 'print([n * n for n in range(${r.int(2, 8)})])'`, ok: true }),
    () => ({ cmd: `python3 -c 'import json; print(json.dumps({"${w1}": ${a}, "${syllableWord(r)}": [${b}, ${r.int(0, 9)}]}, sort_keys=True))'`, ok: true }),
    () => ({ cmd: `python3 -c 'from collections import Counter; print(Counter("${ws.join('')}").most_common(${r.int(1, 3)}))'`, ok: true }),
    () => ({ cmd: `python3 -c 'print(*range(${r.int(1, 4)}, ${r.int(5, 12)}), sep="${r.pick([',', ' ', '-'])}")'`, ok: true }),
    () => ({ cmd: `python3 -c 'import os.path as p; print(p.splitext("${w1}.${r.pick(['tar.gz', 'txt', 'py'])}"))'`, ok: true }),
    () => ({
      cmd: `python3 -c 'print("${w1}".${r.pick(['upper()', 'title()', 'capitalize()', 'swapcase()', 'center(12, "*")', 'zfill(9)', 'count("a")', 'find("e")'])})'`,
      ok: true,
    }),
    () => ({ cmd: `python3 -c 'print("${w1}"[::-1], "${w1}"[:2])'`, ok: true }),
    () => ({ cmd: `perl -e 'print ${a} * ${b}, "\\n"'`, out: [String(a * b)], ok: true }),
    () => ({ cmd: `perl -le 'print join ",", reverse ${ws.map((w) => `"${w}"`).join(', ')}'`, ok: true }),
    () => ({ cmd: `echo ${q(ws.join(' '))} | perl -lane 'print scalar @F'`, out: [String(ws.length)], ok: true }),
    () => {
      const key = syllableWord(r);
      return {
        cmd: `echo '{"${key}": ${a}, "list": [${ws
          .slice(0, 3)
          .map((w) => `"${w}"`)
          .join(', ')}]}' | jq ${r.pick([`.${key}`, '.list[1]', "'.list | length'", '-c .list', '-r .list[0]', 'keys', "-c 'del(.list)'", '-M .'])}`,
        ok: true,
      };
    },
    () => ({ cmd: `jq -n '${a} + ${b}'`, out: [String(a + b)], ok: true }),
    () => ({
      cmd: `jq -rn '[${ws
        .slice(0, 4)
        .map((w) => `"${w}"`)
        .join(',')}] | ${r.pick(['sort | join(",")', 'length', 'map(ascii_upcase) | .[0]', 'reverse | .[0]'])}'`,
      ok: true,
    }),
    () => ({ cmd: `sqlite3 :memory: 'select ${a} * ${b};'`, out: [String(a * b)], ok: true }),
    () => ({ cmd: `sqlite3 :memory: "select upper('${w1}'), length('${w1}');"`, ok: true }),
    () => ({
      cmd: r.pick([
        'head -n 3 /etc/passwd',
        'cut -d: -f1 /etc/passwd | head -n 5',
        'grep -c nologin /etc/passwd',
        'wc -l /etc/shells',
        'cat /etc/hostname',
        'cat /etc/debian_version',
        'ls /etc | head -n 6',
        'ls /usr/share | wc -l',
        "awk -F: '$3 < 5 {print $1}' /etc/passwd",
        'grep ^root /etc/group',
        'sort -t: -k3 -n /etc/group | head -n 3',
        'tail -n 2 /etc/shells',
        'grep -v ^# /etc/host.conf',
        'head -n 3 /etc/login.defs | wc -c',
        'ls /usr/bin | grep ^z | head',
        'head -c 40 /etc/os-release; echo',
      ]),
      ok: true,
    }),
    () => ({
      cmd: r.pick([
        'whoami',
        'id -u',
        'id -un',
        'hostname',
        'uname -s',
        'echo $HOME',
        'echo $SHELL',
        'pwd',
        'echo $PWD',
        'umask',
        'echo $0',
        'type cd',
        'type -t echo',
        'command -v ls',
        'which sort',
        'type -a true | head -n 2',
        'command -V printf',
        'echo $BASH_VERSION | cut -d. -f1',
        'getconf PATH_MAX /',
        'tty > /dev/null; echo $?',
        'echo $-',
        'true; echo $?',
        'false; echo $?',
        '! false; echo $?',
        'test 3 -gt 2; echo $?',
        '[ abc = abc ] && echo same',
        '[[ -n "" ]] || echo empty',
        'printf \'%s\\n\' "$PWD" | wc -c',
        'hash -r; type ls',
      ]),
      ok: true,
    }),
  ];
  const o = r.pick(opts)();
  if (o.out !== undefined && o.out.length === 0) o.out = undefined;
  return o;
}

/** A read-only command about the folder tree. */
function treeReader(s: Shell, r: Rng): Out {
  const d = s.pickDir(r);
  const where = d && d !== s.cwd && r.bool(0.35) ? ' ' + s.ref(d, r) : '';
  const exts = [
    ...new Set(
      [...s.files.keys()]
        .filter((p) => posix.dirname(p) === s.cwd)
        .map((p) => posix.extname(p))
        .filter((e) => e !== ''),
    ),
  ];
  const own = s.inOwnTree();
  const opts: (() => Out)[] = [
    () => ({ cmd: `ls${where}`, ok: true }),
    () => ({ cmd: `ls ${r.pick(['-a', '-A', '-1', '-F', '-p', '-r', '-m', '-1r', '-x', '-S', '-d */'])}${where}`, ok: null }),
    () => ({ cmd: `ls -l${r.pick(['', 'h', 'a', 'S', 'r'])}${where}`, ok: true }),
    () => ({ cmd: `ls${where} | wc -l`, out: [String(s.entries(d && where ? d : s.cwd).length)], ok: true }),
    () => ({ cmd: `ls -1${where} | head -n ${r.int(1, 4)}`, ok: true }),
    () => ({ cmd: `ls -R${where} | head -n ${r.int(8, 20)}`, ok: true }),
    () => ({ cmd: `pwd`, out: [s.cwd], ok: true }),
    () => ({ cmd: `pwd -P`, ok: true }),
    () => ({ cmd: `echo "$PWD"`, out: [s.cwd], ok: true }),
    () => ({ cmd: `basename "$PWD"`, out: [posix.basename(s.cwd)], ok: true }),
    () => ({ cmd: `dirname "$PWD"`, out: [posix.dirname(s.cwd)], ok: true }),
    () => ({ cmd: `realpath ${where.trim() || '.'}`, ok: true }),
    () => ({ cmd: `echo *`, ok: true }),
    () => ({ cmd: `printf '%s\\n' * | ${r.pick(['wc -l', 'tail -n 1', 'head -n 2', 'sort -r'])}`, ok: true }),
    () => ({ cmd: `for f in *; do [ -d "$f" ] && echo "dir $f" || echo "file $f"; done | head -n 12`, ok: true }),
  ];
  if (exts.length > 0) {
    const e = r.pick(exts);
    opts.push(
      () => ({ cmd: `ls *${e}`, ok: true }),
      () => ({ cmd: `ls -1 *${e} | wc -l`, ok: true }),
      () => ({ cmd: `for f in *${e}; do echo "\${f%${e}}"; done`, ok: true }),
      () => ({ cmd: `wc -l *${e}${r.bool(0.5) ? ' | tail -n 1' : ''}`, ok: true }),
    );
  }
  if (own) {
    opts.push(
      () => ({ cmd: `find . -type f | sort | head -n 20`, ok: true }),
      () => ({ cmd: `find . -type d | sort | head -n 20`, ok: true }),
      () => ({ cmd: `find . -maxdepth ${r.int(1, 2)} ${r.pick(['-type f', '-type d', '-name "*.*"', '-empty', '-type l'])} | sort | head -n 15`, ok: true }),
      () => ({ cmd: `find . -name '*${exts.length > 0 ? r.pick(exts) : r.pick(EXTS.filter((x) => x !== ''))}' | sort`, ok: true }),
      () => ({ cmd: `find . -type f | wc -l`, ok: true }),
      () => ({ cmd: `find . -type f -name '${r.pick('abcdfghjklmnprstvwz'.split(''))}*' | sort`, ok: true }),
      () => ({ cmd: `find . -type f -size ${r.pick(['-1k', '+0', '-100c', '+20c'])} | sort | head -n 10`, ok: true }),
      () => ({
        cmd: `find . -type f | sort | xargs ${r.pick(['wc -l', 'ls -1', 'basename -a', 'head -n 1 -q', 'grep -c ' + syllableWord(r).slice(0, 2)])} | tail -n 12`,
        ok: null,
      }),
      () => ({ cmd: `find . -type f -exec ${r.pick(['basename {} \\;', 'wc -c {} +', 'grep -l ' + r.pick(s.lex) + ' {} +'])} | sort | head -n 10`, ok: null }),
      () => ({ cmd: `tree${r.pick(['', ' -L 1', ' -a', ' -d', ' --noreport', ' -F'])} | head -n 25`, ok: true }),
      () => ({ cmd: `grep -rn ${r.pick(s.lex)} . | sort | head -n 8`, ok: true }),
      () => ({ cmd: `grep -rl ${r.pick(s.lex)} . | sort`, ok: true }),
      () => ({ cmd: `grep -rc ${r.pick(s.lex)} --include='*${exts.length > 0 ? r.pick(exts) : '.txt'}' . | sort`, ok: true }),
    );
  }
  return r.pick(opts)();
}

/** Wrap a reader in a list, redirection or substitution (the grammar's composition layer). */
function compose(s: Shell, r: Rng, o: Out): { cmd: string; family: FamilyName; expect: Expect } {
  const ok: Expect = o.ok === true ? 'ok' : o.ok === false ? 'fail' : 'any';
  if (r.bool(0.6)) return { cmd: o.cmd, family: 'text', expect: ok };
  const w = syllableWord(r);
  const forms: [() => string, Expect][] = [
    [() => `${o.cmd} && echo ${w}`, ok],
    [() => `${o.cmd} || echo ${w}`, 'ok'],
    [() => `${o.cmd} > /dev/null && echo ${w} || echo no-${w}`, 'ok'],
    [() => `${o.cmd} 2>&1 | head -n ${r.int(2, 6)}`, 'any'],
    [() => `${o.cmd} 2>/dev/null | ${r.pick(['wc -l', 'tail -n 1', 'sort -r | head -n 3', 'tr a-z A-Z'])}`, 'ok'],
    [() => `${o.cmd}; echo "exit=$?"`, 'ok'],
    [() => `{ echo '--- ${w}'; ${o.cmd}; } | head -n ${r.int(3, 8)}`, 'ok'],
    [() => `( ${o.cmd} ) | ${r.pick(['tail -n 2', 'wc -c', 'sort', 'head -n 1', 'nl', 'cat -n'])}`, 'ok'],
    [() => `echo "${w}: $(${o.cmd} | head -n 1)"`, 'ok'],
    [
      () => {
        const v = s.freshVar(r);
        s.vars.set(v, o.out && o.out.length === 1 && o.ok === true ? (o.out[0] ?? '') : null);
        return `${v}=$(${o.cmd}); echo "${w} $${v}"`;
      },
      'any',
    ],
  ];
  const [form, expect] = r.pick(forms);
  return { cmd: form(), family: 'operators', expect };
}

// ---------------------------------------------------------------- writes

function writeMove(s: Shell, r: Rng): GrammarTurn | null {
  const p = s.freshPath(r);
  const f = s.ref(p, r);
  const kind = r.weighted(KINDS);
  const ls = contentLines(r, kind, s.lex);
  const existing = s.pickFile(r, false, (_, x) => s.writable(x));
  const k = r.int(0, 16);
  switch (k) {
    case 0:
    case 1: {
      const l = ls[0] ?? '';
      if (existing && r.bool(0.5)) {
        s.append(existing, [l]);
        return T(`echo ${q(l)} >> ${s.ref(existing, r)}`, 'edit');
      }
      s.addFile(p, [l], kind);
      return T(`echo ${r.bool(0.5) ? `"${l}"` : q(l)} > ${f}`, 'edit');
    }
    case 2:
      s.addFile(p, ls, kind);
      return T(`printf '%s\\n' ${ls.map(q).join(' ')} > ${f}`, 'edit');
    case 3:
      s.addFile(p, ls, kind);
      return T(`printf ${(ls[0] ?? '').startsWith('-') ? '-- ' : ''}'${ls.join('\\n')}\\n' > ${f}`, 'edit');
    case 4:
    case 5: {
      // tags start with a vowel or have none, so no generated line can end the here-doc early
      const tag = r.pick(['EOF', 'EOF', 'END', 'TXT', 'EOT', 'X']);
      const quoted = r.bool(0.5) ? `'${tag}'` : tag;
      s.addFile(p, ls, kind);
      const head = r.pick([`cat > ${f} <<${quoted}`, `cat <<${quoted} > ${f}`, `tee ${f} <<${quoted} > /dev/null`]);
      return T(`${head}\n${ls.join('\n')}\n${tag}`, 'edit');
    }
    case 6: {
      // unquoted here-doc tag: variables and $(( )) expand
      const vs = [...s.vars.entries()].filter((e): e is [string, string] => !s.keep.has(e[0]) && e[1] !== null && /^[A-Za-z0-9 ._=,-]*$/.test(e[1]));
      const body = [...ls.slice(0, 2)];
      const got = [...body];
      if (vs.length > 0) {
        const [v, val] = r.pick(vs);
        body.push(`${syllableWord(r)}=\${${v}}`);
        got.push(`${(body[body.length - 1] ?? '').split('=')[0]}=${val}`);
      }
      const a = r.int(1, 99);
      const b = r.int(1, 99);
      body.push(`sum: $((${a} + ${b}))`);
      got.push(`sum: ${a + b}`);
      s.addFile(p, got, null);
      return T(`cat > ${f} <<EOF\n${body.join('\n')}\nEOF`, 'edit');
    }
    case 7: {
      s.addFile(p, ls, kind);
      s.lastWritten = null;
      return T(`printf '%s\\n' ${ls.map(q).join(' ')} | tee ${f}`, 'edit');
    }
    case 8: {
      s.addFile(p, ls.slice(0, 2), kind);
      return T(`{ echo ${q(ls[0] ?? '')}; echo ${q(ls[1] ?? ls[0] ?? '')}; } > ${f}`, 'edit');
    }
    case 9: {
      const n = r.int(2, 12);
      const lo = r.int(0, 5);
      s.addFile(
        p,
        Array.from({ length: n }, (_, i) => String(lo + i)),
        'nums',
      );
      return T(`seq ${lo} ${lo + n - 1} > ${f}`, 'edit');
    }
    case 10: {
      const src = s.pickFile(r, true);
      if (!src) return null;
      const o = fileReader(s, r, src);
      // a list (a && b, a; b) would redirect only its last command
      if (o.ok === false || /&&|\|\||;/.test(o.cmd)) return null;
      const app = r.bool(0.2) && existing !== null && existing !== src;
      const dst = app && existing ? existing : p;
      if (app) s.append(dst, o.out ?? null);
      else s.addFile(dst, o.out ?? null, null);
      return T(`${o.cmd} ${app ? '>>' : '>'} ${s.ref(dst, r)}`, 'edit', 'any');
    }
    case 11: {
      const src = s.pickFile(r, true);
      if (!src) return null;
      const o = fileReader(s, r, src);
      if (o.ok === false || /[|;&]/.test(o.cmd)) return null;
      s.addFile(p, o.out ?? null, null);
      s.lastWritten = null;
      return T(`${o.cmd} | tee ${f}${r.bool(0.3) ? ' | wc -l' : ''}`, 'edit', 'any');
    }
    case 12: {
      const n = r.int(2, 5);
      const items = Array.from({ length: n }, () => s.word(r));
      s.addFile(p, items, 'list');
      return T(`for w in ${items.map(q).join(' ')}; do echo "$w"; done > ${f}`, 'edit');
    }
    case 13: {
      s.addFile(p, ls, kind);
      return T(`python3 -c 'open("${s.ref(p)}", "w").write("${ls.join('\\n')}\\n")'`, 'python');
    }
    case 14: {
      s.addFile(p, [], null);
      s.lastWritten = null;
      const more = r.bool(0.4) ? s.freshPath(r) : null;
      if (more && more !== p) s.addFile(more, [], null);
      s.lastWritten = null;
      return T(`touch ${f}${more && more !== p ? ' ' + s.ref(more, r) : ''}`, 'edit');
    }
    case 15: {
      const stemx = stem(r);
      const e = r.pick(EXTS.filter((x) => x !== ''));
      const parts = Array.from({ length: r.int(2, 4) }, (_, i) => `${stemx}${r.pick(['_', '-', ''])}${i + 1}`);
      const uniq = [...new Set(parts)];
      if (uniq.length < 2) return null;
      for (const x of uniq) s.addFile(s.abs(x + e), [], null);
      s.lastWritten = null;
      return T(`touch {${uniq.join(',')}}${e}`, 'edit');
    }
    default: {
      const to = existing ?? p;
      const l = ls[0] ?? '';
      s.append(to, [l]);
      return T(`echo ${q(l)} | tee -a ${s.ref(to, r)}`, 'edit');
    }
  }
}

function fsMove(s: Shell, r: Rng): GrammarTurn | null {
  const k = r.int(0, 15);
  switch (k) {
    case 0:
    case 1: {
      const n = s.freshName(r, s.cwd, false);
      if (r.bool(0.5)) {
        const parts = [n, ...Array.from({ length: r.int(1, 3) }, () => stem(r))];
        s.addDir(s.abs(parts.join('/')));
        return T(`mkdir -p ${parts.join('/')}`, 'edit');
      }
      if (r.bool(0.3)) {
        const subs = [...new Set(Array.from({ length: r.int(2, 4) }, () => stem(r)))];
        for (const x of subs) s.addDir(s.abs(`${n}/${x}`));
        return T(`mkdir -p ${n}/{${subs.join(',')}}`, 'edit');
      }
      s.addDir(s.abs(n));
      return T(`mkdir ${n}`, 'edit');
    }
    case 2: {
      const f = s.pickFile(r);
      if (!f) return null;
      const d = posix.dirname(f);
      const to = posix.join(d, s.freshName(r, d));
      s.addFile(to, s.files.get(f)?.lines ?? null, s.files.get(f)?.kind ?? null, s.files.get(f)?.mode);
      s.lastWritten = null;
      return T(`cp ${r.bool(0.15) ? '-v ' : ''}${s.ref(f, r)} ${s.ref(to, r)}`, 'edit');
    }
    case 3: {
      const f = s.pickFile(r);
      const d = s.pickDir(r, (x) => f !== null && x !== posix.dirname(f));
      if (!f || !d) return null;
      const to = posix.join(d, posix.basename(f));
      if (s.exists(to)) return null;
      s.addFile(to, s.files.get(f)?.lines ?? null, s.files.get(f)?.kind ?? null, s.files.get(f)?.mode);
      s.lastWritten = null;
      return T(`cp ${s.ref(f, r)} ${s.ref(d, r)}/`, 'edit');
    }
    case 4: {
      const f = s.pickFile(r);
      if (!f) return null;
      const d = posix.dirname(f);
      const to = posix.join(d, s.freshName(r, d));
      s.move(f, to);
      return T(`mv ${s.ref(f, r)} ${s.ref(to, r)}`, 'edit');
    }
    case 5: {
      const f = s.pickFile(r);
      const d = s.pickDir(r, (x) => f !== null && x !== posix.dirname(f));
      if (!f || !d) return null;
      const to = posix.join(d, posix.basename(f));
      if (s.exists(to)) return null;
      s.move(f, to);
      return T(`mv ${s.ref(f, r)} ${s.ref(d, r)}/`, 'edit');
    }
    case 6: {
      const f = s.pickFile(r);
      if (!f) return null;
      const more = r.bool(0.3) ? s.pickFile(r) : null;
      s.remove(f);
      if (more && more !== f) s.remove(more);
      // rm asks before removing a write-protected file (and would wait for an answer): -f then
      const force = !s.writable(f) || (more !== null && !s.writable(more));
      return T(`rm ${force ? '-f ' : r.pick(['', '', '-f ', '-v '])}${s.ref(f, r)}${more && more !== f ? ' ' + s.ref(more, r) : ''}`, 'edit');
    }
    case 7: {
      const d = s.pickDir(r, (x) => s.removable(x));
      if (!d) return null;
      const force = [...s.files.keys()].some((p) => p.startsWith(d + '/') && !s.writable(p));
      s.remove(d);
      return T(`rm -r${force || r.bool(0.5) ? 'f' : ''} ${s.ref(d, r)}`, 'edit');
    }
    case 8: {
      const d = s.pickDir(r, (x) => s.removable(x) && s.entries(x).length === 0);
      if (!d) return null;
      s.remove(d);
      return T(`rmdir ${s.ref(d, r)}`, 'edit');
    }
    case 9: {
      const d = s.pickDir(r, (x) => s.removable(x));
      if (!d) return null;
      const to = posix.join(posix.dirname(d), s.freshName(r, posix.dirname(d), false));
      s.move(d, to);
      return T(`mv ${s.ref(d, r)} ${s.ref(to, r)}`, 'edit');
    }
    case 10: {
      const d = s.pickDir(r, (x) => x !== s.cwd);
      if (!d) return null;
      const to = posix.join(s.cwd, s.freshName(r, s.cwd, false));
      if (d === to || to.startsWith(d + '/')) return null;
      s.addDir(to);
      for (const [p, f] of [...s.files]) if (p.startsWith(d + '/') && !s.keep.has(p)) s.files.set(to + p.slice(d.length), { ...f });
      for (const x of [...s.dirs]) if (x.startsWith(d + '/')) s.dirs.add(to + x.slice(d.length));
      return T(`cp -r ${s.ref(d, r)} ${s.ref(to, r)}`, 'edit');
    }
    case 11: {
      const f = s.pickFile(r);
      if (!f) return null;
      const l = posix.join(s.cwd, s.freshName(r, s.cwd, false));
      const target = s.ref(f);
      if (target.startsWith('~') || target.startsWith('..')) return null;
      s.links.set(l, target);
      return T(`ln -s ${target} ${posix.basename(l)}${r.bool(0.5) ? ` && readlink ${posix.basename(l)}` : ''}`, 'edit');
    }
    case 12: {
      const f = s.pickFile(r);
      if (!f) return null;
      const info = s.files.get(f);
      if (!info) return null;
      const m = r.pick([
        ['+x', info.mode | 0o111],
        ['755', 0o755],
        ['644', 0o644],
        ['600', 0o600],
        ['u+x', info.mode | 0o100],
        ['go-r', info.mode & ~0o044],
        ['a-w', info.mode & ~0o222],
        ['700', 0o700],
        ['440', 0o440],
      ] as const);
      info.mode = m[1];
      return T(`chmod ${m[0]} ${s.ref(f, r)}${r.bool(0.4) ? ` && stat -c '%a %n' ${s.ref(f)}` : ''}`, 'edit');
    }
    case 13: {
      const f = s.pickFile(r, true, (_, x) => s.writable(x));
      if (!f) return null;
      const ls = s.lines(f);
      const from = s.pattern(r, ls);
      const to = syllableWord(r).slice(0, 5);
      const g = r.bool(0.5);
      const ref = s.ref(f, r);
      const k2 = r.int(0, 4);
      if (k2 === 0) {
        s.addFile(
          f,
          ls.map((l) => (g ? l.split(from).join(to) : l.replace(from, to))),
          s.files.get(f)?.kind ?? null,
        );
        return T(`sed -i 's/${from}/${to}/${g ? 'g' : ''}' ${ref}`, 'edit');
      }
      if (k2 === 1) {
        const n = r.int(1, ls.length);
        s.addFile(
          f,
          ls.filter((_, i) => i !== n - 1),
          s.files.get(f)?.kind ?? null,
        );
        return T(`sed -i '${n}d' ${ref}`, 'edit');
      }
      if (k2 === 2) {
        const l = `${syllableWord(r)} ${r.int(0, 99)}`;
        s.addFile(f, [l, ...ls], s.files.get(f)?.kind ?? null);
        return T(`sed -i '1i ${l}' ${ref}`, 'edit');
      }
      if (k2 === 3) {
        s.addFile(f, sortC(ls), s.files.get(f)?.kind ?? null);
        return T(`sort -o ${ref} ${ref}`, 'edit');
      }
      const l = `${syllableWord(r)}=${r.int(0, 999)}`;
      s.addFile(f, [...ls, l], s.files.get(f)?.kind ?? null);
      return T(`sed -i '$a ${l}' ${ref}`, 'edit');
    }
    case 14: {
      const f = s.pickFile(r, true);
      if (!f) return null;
      const ls = s.lines(f);
      const n = r.int(1, 3);
      const pre = `${stem(r).slice(0, 6)}_`;
      const parts: string[] = [];
      for (let i = 0; i * n < ls.length; i++) parts.push(pre + 'a' + String.fromCharCode(97 + i));
      if (parts.length > 26) return null;
      parts.forEach((x, i) => s.addFile(posix.join(s.cwd, x), ls.slice(i * n, i * n + n), null));
      s.lastWritten = null;
      return T(`split -l ${n} ${s.ref(f, r)} ${pre}${r.bool(0.6) ? ` && ls ${pre}*` : ''}`, 'edit');
    }
    default: {
      const f = s.pickFile(r, false, (_, x) => s.writable(x));
      if (!f) return null;
      const info = s.files.get(f);
      if (!info) return null;
      const z = r.int(0, 2);
      if (z === 0) {
        info.lines = [];
        return T(r.bool(0.5) ? `: > ${s.ref(f, r)}` : `truncate -s 0 ${s.ref(f, r)}`, 'edit');
      }
      if (z === 1) {
        const gz = f + '.gz';
        if (s.exists(gz)) return null;
        s.files.set(gz, { lines: null, kind: null, mode: info.mode });
        return T(
          `gzip -k${r.bool(0.5) ? 'n' : ''} ${s.ref(f, r)} && ${r.pick([`gzip -l ${s.ref(gz)} | tail -n 1`, `zcat ${s.ref(gz)} | head -n 3`, `ls ${s.ref(gz)}`, `gunzip -c ${s.ref(gz)} | wc -l`])}`,
          'archive',
        );
      }
      const d = s.pickDir(r, (x) => x !== s.cwd && !s.cwd.startsWith(x + '/'));
      if (!d) return null;
      const tar = posix.join(s.cwd, `${stem(r)}.tar`);
      if (s.exists(tar)) return null;
      const rd = s.ref(d);
      if (rd.startsWith('/') || rd.startsWith('~')) return null;
      s.files.set(tar, { lines: null, kind: null, mode: 0o644 });
      return T(`tar --sort=name -cf ${posix.basename(tar)} ${rd} && tar -tf ${posix.basename(tar)} | head -n 10`, 'archive');
    }
  }
}

// ---------------------------------------------------------------- navigation

function navMove(s: Shell, r: Rng): GrammarTurn | null {
  const k = r.int(0, 8);
  if (k <= 2) {
    const subs = s.ownDirs().filter((d) => posix.dirname(d) === s.cwd);
    if (subs.length === 0) return null;
    const d = r.pick(subs);
    s.cd(d);
    return T(`cd ${posix.basename(d)}${r.bool(0.2) ? ' && pwd' : r.bool(0.15) ? ' && ls' : ''}`, 'navigation');
  }
  if (k === 3) {
    if (s.cwd === s.base || !s.cwd.startsWith(s.base)) return null;
    const up = posix.dirname(s.cwd);
    s.cd(up);
    return T(r.bool(0.8) ? 'cd ..' : 'cd ../ && pwd', 'navigation');
  }
  if (k === 4) {
    if (!s.prev || s.prev === s.cwd || !s.dirs.has(s.prev)) return null;
    const to = s.prev;
    s.cd(to);
    return T('cd -', 'navigation');
  }
  if (k === 5) {
    const d = r.bool(0.4) ? s.base : s.pickDir(r);
    if (!d || d === s.cwd) return null;
    const shown = s.ref(d, r);
    s.cd(d);
    return T(`cd ${shown}`, 'navigation');
  }
  if (k === 6) {
    const d = s.pickDir(r, (x) => x !== s.cwd);
    if (!d) return null;
    if (s.stack.length > 0 && r.bool(0.6)) {
      const to = s.stack.pop() as string;
      if (!s.dirs.has(to)) return null;
      s.cd(to);
      return T('popd', 'navigation');
    }
    if (s.stack.length >= 3) return null;
    s.stack.push(s.cwd);
    const shown = s.ref(d, r);
    s.cd(d);
    return T(`pushd ${shown}${r.bool(0.3) ? ' > /dev/null' : ''}`, 'navigation');
  }
  if (k === 7) {
    const d = s.pickDir(r);
    if (!d) return null;
    return T(`(cd ${s.ref(d, r)} && ${r.pick(['pwd', 'ls', 'ls | wc -l', 'echo *'])}); pwd`, 'operators');
  }
  if (s.stack.length > 0 && r.bool(0.5)) return T('dirs', 'navigation');
  const c = r.pick(['pwd', 'ls', 'ls -a', 'echo $OLDPWD', 'cd . && pwd']);
  if (c.startsWith('cd')) s.cd(s.cwd);
  return T(c, 'navigation');
}

// ---------------------------------------------------------------- variables, functions, aliases

function envMove(s: Shell, r: Rng): GrammarTurn | null {
  const k = r.int(0, 27);
  const v0 = s.pickVar(r);
  switch (k) {
    case 0:
    case 1: {
      const v = s.freshVar(r);
      const val = r.bool(0.5) ? s.word(r) : Array.from({ length: r.int(2, 4) }, () => s.word(r)).join(' ');
      s.vars.set(v, val);
      return T(`${v}=${/^[A-Za-z0-9_./:,-]+$/.test(val) ? val : `"${val}"`}`, 'env');
    }
    case 2: {
      const v = s.freshVar(r);
      const a = r.int(1, 500);
      const b = r.int(1, 50);
      const op = r.pick(['+', '-', '*', '/', '%'] as const);
      const val = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? Math.trunc(a / b) : a % b;
      s.vars.set(v, String(val));
      return T(`${v}=$((${a} ${op} ${b}))${r.bool(0.5) ? `; echo $${v}` : ''}`, 'env');
    }
    case 3: {
      const f = s.pickFile(r, true);
      const v = s.freshVar(r);
      if (!f) return null;
      const ls = s.lines(f);
      const o = r.pick([
        [`$(wc -l < ${s.ref(f, r)})`, String(ls.length)],
        [`$(head -n 1 ${s.ref(f, r)})`, ls[0] ?? ''],
        [`$(tail -n 1 ${s.ref(f, r)})`, ls[ls.length - 1] ?? ''],
        [`$(basename ${s.ref(f, r)})`, posix.basename(f)],
        [`\`wc -w < ${s.ref(f, r)}\``, String(words(ls).length)],
      ] as const);
      s.vars.set(v, o[1]);
      return T(`${v}=${o[0].startsWith('`') ? o[0] : `"${o[0]}"`}${r.bool(0.5) ? `; echo "${v}=$${v}"` : ''}`, 'env');
    }
    case 4:
    case 25:
    case 26:
    case 27: {
      if (!v0) return null;
      const forms = [
        `echo $${v0}`,
        `echo "$${v0}"`,
        `echo "[\${${v0}}]"`,
        `echo \${#${v0}}`,
        `echo \${${v0}:-none}`,
        `echo \${${v0}^^}`,
        `echo "\${${v0},,}"`,
        `echo "\${${v0}:0:${r.int(1, 4)}}"`,
        `echo "\${${v0}#*${r.pick(['-', ' ', 'a', '.'])}}"`,
        `echo "\${${v0}%${r.pick(['-', ' ', '.', 'a'])}*}"`,
        `echo "\${${v0}%%[0-9]*}"`,
        `echo "\${${v0}/${r.pick(['a', 'e', 'o', ' '])}/${r.pick(['_', 'X', '-'])}}"`,
        `echo "\${${v0}//[aeiou]/}"`,
        `echo "\${${v0}:+set}"`,
        `printf '%s|%s\\n' "$${v0}" "\${#${v0}}"`,
        `declare -p ${v0}`,
        `[ -n "$${v0}" ] && echo nonempty || echo empty`,
        `[[ $${v0} == *${r.pick(['a', 'e', 'i', 'o', '1'])}* ]] && echo yes || echo no`,
        `echo "$${v0}" | wc -c`,
        `case "$${v0}" in [a-m]*) echo first ;; [n-z]*) echo second ;; *) echo other ;; esac`,
      ];
      return T(r.pick(forms), 'env');
    }
    case 5: {
      const v = s.freshVar(r).toUpperCase();
      if (RESERVED.has(v) || s.keep.has(v)) return null;
      const val = s.word(r);
      s.vars.set(v, val);
      s.exported.add(v);
      return T(
        `export ${v}=${q(val)}${r.bool(0.4) ? ` && ${r.pick([`bash -c 'echo "$${v}"'`, `printenv ${v}`, `env | grep ^${v}=`, `sh -c 'echo \${${v}}'`])}` : ''}`,
        'env',
      );
    }
    case 6: {
      if (!v0) return null;
      const sub = r.pick([
        `bash -c 'echo "\${${v0}:-unset}"'`,
        `printenv ${v0} || echo "not exported"`,
        `env | grep -c ^${v0}=`,
        `export ${v0}; bash -c 'echo $${v0}'`,
      ]);
      if (sub.startsWith('export')) s.exported.add(v0);
      return T(sub, 'env', 'any');
    }
    case 7: {
      if (!v0 || s.readonlyVars.has(v0)) return null;
      s.vars.delete(v0);
      s.exported.delete(v0);
      return T(`unset ${v0}${r.bool(0.5) ? `; echo "\${${v0}-gone}"` : ''}`, 'env');
    }
    case 8:
    case 9: {
      const name = s.freshFunc(r);
      const kind = r.pick<FuncKind>(['join', 'times', 'each', 'count', 'sum', 'ret', 'upper', 'shift', 'grep', 'mkcd', 'first']);
      const info: FuncInfo = { kind, k: r.int(2, 12), sep: r.pick(['-', ':', '/', '_', ' + ', '.']) };
      s.funcs.set(name, info);
      return T(funcDef(name, info, r), 'env');
    }
    case 10:
    case 11: {
      const fs = [...s.funcs.keys()].filter((f) => !s.keep.has(f));
      if (fs.length === 0) return null;
      return funcCall(s, r, r.pick(fs));
    }
    case 12: {
      const a = s.freshFunc(r);
      const body = r.pick(['ls -1', 'ls -A', 'pwd', `echo ${s.word(r)}`, 'wc -l', 'sort -r', 'cat -n', 'head -n 2', 'grep -c ' + r.pick(s.lex)]);
      s.aliases.set(a, body);
      return T(`alias ${a}='${body}'`, 'env');
    }
    case 13: {
      const as = [...s.aliases.keys()].filter((x) => !s.keep.has(x));
      if (as.length === 0) return null;
      return aliasCall(s, r, r.pick(as));
    }
    case 14: {
      const v = s.freshVar(r);
      const items = Array.from({ length: r.int(2, 6) }, () => s.word(r));
      s.arrays.set(v, items);
      return T(`${v}=(${items.map(q).join(' ')})${r.bool(0.4) ? `; echo \${#${v}[@]}` : ''}`, 'env');
    }
    case 15:
    case 16: {
      const v = s.pickArray(r);
      if (!v) return null;
      const xs = s.arrays.get(v) ?? [];
      const i = r.int(0, Math.max(0, xs.length - 1));
      const add = s.word(r);
      const forms = [
        `echo \${${v}[${i}]}`,
        `echo \${#${v}[@]}`,
        `echo "\${${v}[@]}"`,
        `echo \${${v}[-1]}`,
        `echo "\${${v}[@]:1:2}"`,
        `for x in "\${${v}[@]}"; do echo "- $x"; done`,
        `printf '%s\\n' "\${${v}[@]}" | sort`,
        `echo \${!${v}[@]}`,
        `${v}+=(${q(add)}); echo \${#${v}[@]}`,
        `echo "\${${v}[*]}" | tr ' ' ,`,
        `declare -p ${v}`,
        `unset '${v}[0]'; echo "\${${v}[@]}"`,
      ];
      const cmd = r.pick(forms);
      if (cmd.startsWith(`${v}+=`)) xs.push(add);
      if (cmd.startsWith('unset')) s.arrays.set(v, xs.slice(1));
      return T(cmd, 'env');
    }
    case 17: {
      const v = s.freshVar(r);
      const n = r.int(0, 999);
      const fmt = r.pick(['%03d', '%x', '%05.1f', '%o', '%-5s|', '%e']);
      s.vars.set(v, null);
      return T(`printf -v ${v} '${fmt}' ${n}; echo "$${v}"`, 'env');
    }
    case 18: {
      const v = s.freshVar(r);
      const a = r.int(1, 50);
      const b = r.int(1, 50);
      s.vars.set(v, String(a + b));
      return T(`declare -i ${v}=${a}; ${v}+=${b}; echo $${v}`, 'env');
    }
    case 19: {
      const ws = Array.from({ length: r.int(2, 5) }, () => s.word(r));
      return T(
        r.pick([
          `set -- ${ws.map(q).join(' ')}; echo "$# $1"`,
          `set -- ${ws.map(q).join(' ')}; shift; echo "$@"`,
          `set -- ${ws.map(q).join(' ')}; echo "\${@: -1}"`,
          `set -- ${ws.map(q).join(' ')}; for a; do echo "<$a>"; done`,
          `set -- ${ws.map(q).join(' ')}; shift 2; echo $#`,
        ]),
        'env',
      );
    }
    case 20: {
      const v = s.freshVar(r);
      const ws = Array.from({ length: 3 }, () => s.word(r));
      s.vars.set(v, ws[1] ?? '');
      return T(`read -r _ ${v} _ <<< ${q(ws.join(' '))}; echo "$${v}"`, 'env');
    }
    case 21: {
      const v = s.freshVar(r);
      const val = s.word(r);
      s.vars.set(v, val);
      s.readonlyVars.add(v);
      return T(`${v}=${q(val)}; readonly ${v} 2>/dev/null; declare -p ${v}`, 'env');
    }
    case 22: {
      const v = s.freshVar(r);
      const w = s.word(r);
      s.vars.set(v, w);
      return T(`: \${${v}:=${q(w)}}; echo "$${v}"`, 'env');
    }
    case 23: {
      const m = s.freshVar(r).toLowerCase();
      const k1 = syllableWord(r).slice(0, 5);
      const k2 = syllableWord(r).slice(0, 5);
      if (k1 === k2) return null;
      return T(`declare -A ${m}=([${k1}]=${r.int(1, 99)} [${k2}]=${q(s.word(r))}); echo "\${${m}[${r.pick([k1, k2])}]}"`, 'env');
    }
    default:
      return T(
        r.pick([
          'echo $HOME',
          'echo $OLDPWD',
          'echo $SHLVL',
          'env | grep -c =',
          'declare -F | head -n 5',
          'alias | head -n 5',
          'set -o | grep -c on',
          'shopt -q extglob && echo on || echo off',
          'type -t cd',
          `type ${[...s.funcs.keys()][0] ?? 'ls'}`,
          'compgen -A function | head -n 5',
          'echo "${BASH_VERSINFO[0]}"',
        ]),
        'env',
      );
  }
}

function funcDef(name: string, f: FuncInfo, r: Rng): string {
  const kw = r.bool(0.2) ? `function ${name}` : `${name}()`;
  switch (f.kind) {
    case 'join':
      return `${kw} { echo "$1${f.sep}$2"; }`;
    case 'times':
      return `${kw} { local n=$1; echo $(( n * ${f.k} )); }`;
    case 'each':
      return `${kw} { for x in "$@"; do echo "[$x]"; done; }`;
    case 'count':
      return `${kw} { [ -f "$1" ] && wc -l < "$1" || echo "no such file: $1"; }`;
    case 'sum':
      return `${kw} {\n  local s=0\n  for n in "$@"; do s=$((s + n)); done\n  echo "$s"\n}`;
    case 'ret':
      return `${kw} { [ "$1" -gt ${f.k} ] && return 0; return 1; }`;
    case 'upper':
      return `${kw} { printf '%s\\n' "\${1^^}"; }`;
    case 'shift':
      return `${kw} { local first=$1; shift; echo "$first then $# more: $*"; }`;
    case 'grep':
      return `${kw} { grep -c "$1" "$2" 2>/dev/null || echo 0; }`;
    case 'mkcd':
      return `${kw} { mkdir -p "$1" && cd "$1"; }`;
    case 'first':
      return `${kw} { head -n "\${2:-1}" "$1"; }`;
  }
}

function funcCall(s: Shell, r: Rng, name: string): GrammarTurn | null {
  const f = s.funcs.get(name);
  if (!f) return null;
  const w = (): string => q(s.word(r));
  switch (f.kind) {
    case 'join':
      return T(`${name} ${w()} ${w()}`, 'env');
    case 'times':
      return T(r.bool(0.7) ? `${name} ${r.int(0, 99)}` : `echo "result: $(${name} ${r.int(0, 99)})"`, 'env');
    case 'each':
      return T(`${name} ${Array.from({ length: r.int(1, 4) }, w).join(' ')}`, 'env');
    case 'count': {
      const p = r.bool(0.75) ? s.pickFile(r) : null;
      return T(`${name} ${p ? s.ref(p, r) : s.freshName(r, s.cwd)}`, 'env', 'any');
    }
    case 'sum':
      return T(`${name} ${Array.from({ length: r.int(2, 5) }, () => r.int(0, 200)).join(' ')}`, 'env');
    case 'ret':
      return T(`${name} ${r.int(0, 20)}; echo $?`, 'env');
    case 'upper':
      return T(`${name} ${w()}`, 'env');
    case 'shift':
      return T(`${name} ${Array.from({ length: r.int(1, 4) }, w).join(' ')}`, 'env');
    case 'grep': {
      const p = s.pickFile(r, true);
      if (!p) return null;
      return T(`${name} ${s.pattern(r, s.lines(p))} ${s.ref(p, r)}`, 'env', 'any');
    }
    case 'mkcd': {
      const d = posix.join(s.cwd, s.freshName(r, s.cwd, false));
      s.addDir(d);
      s.cd(d);
      return T(`${name} ${posix.basename(d)}${r.bool(0.5) ? ' && pwd' : ''}`, 'env');
    }
    case 'first': {
      const p = s.pickFile(r, true);
      if (!p) return null;
      return T(`${name} ${s.ref(p, r)}${r.bool(0.5) ? ' ' + r.int(1, 3) : ''}`, 'env');
    }
  }
}

function aliasCall(s: Shell, r: Rng, name: string): GrammarTurn | null {
  const body = s.aliases.get(name) ?? '';
  if (/^(wc|sort|cat|head|grep)/.test(body)) {
    const p = s.pickFile(r, true);
    if (!p) return null;
    return T(`${name} ${s.ref(p, r)}`, 'env', body.startsWith('grep') ? 'any' : 'ok');
  }
  return T(name, 'env');
}

// ---------------------------------------------------------------- control flow

function controlMove(s: Shell, r: Rng): GrammarTurn | null {
  const ws = Array.from({ length: r.int(2, 4) }, () => s.word(r));
  const k = r.int(0, 17);
  const f = s.pickFile(r, true);
  const v = s.pickVar(r);
  const n = r.int(2, 6);
  switch (k) {
    case 0:
      return T(`for w in ${ws.map(q).join(' ')}; do echo "${r.pick(['item', '>', '-', 'got'])} $w"; done`, 'operators');
    case 1:
      return T(`for i in $(seq ${n}); do echo $((i * ${r.int(2, 12)})); done`, 'operators');
    case 2:
      return T(`for ((i = ${r.int(0, 2)}; i < ${n + 2}; i${r.pick(['++', ' += 2'])})); do printf '%d ' $i; done; echo`, 'operators');
    case 3: {
      s.vars.set('i', String(n));
      return T(`i=0; while [ $i -lt ${n} ]; do i=$((i + 1)); echo "round $i"; done`, 'operators');
    }
    case 4: {
      s.vars.set('n', '0');
      return T(`n=${n}; until [ $n -le 0 ]; do echo -n "$n "; n=$((n - ${r.int(1, 2)})); done; echo`, 'operators');
    }
    case 5: {
      const p = r.bool(0.6) && f ? f : posix.join(s.cwd, s.freshName(r, s.cwd));
      const t = r.pick(['-f', '-e', '-d', '-s', '-r', '-x']);
      return T(`if [ ${t} ${s.ref(p, r)} ]; then echo ${q(ws[0] ?? 'yes')}; else echo ${q(ws[1] ?? 'no')}; fi`, 'operators');
    }
    case 6: {
      const a = r.int(0, 99);
      const b = r.int(0, 99);
      return T(`a=${a}; b=${b}; if (( a > b )); then echo "a"; elif (( a == b )); then echo "same"; else echo "b"; fi`, 'operators');
    }
    case 7: {
      if (!v) return null;
      return T(
        `case $${v} in ${r.pick(['*[0-9]*) echo digits ;;', '[a-m]*) echo low ;;', '*-*) echo dashed ;;'])} ${r.pick(['"") echo empty ;;', '[A-Z]*) echo upper ;;'])} *) echo ${q(ws[0] ?? 'other')} ;; esac`,
        'operators',
      );
    }
    case 8: {
      const w = ws[0] ?? 'x';
      return T(`[[ ${w} =~ ^([a-z]+)([0-9]*)$ ]] && echo "\${BASH_REMATCH[1]} \${BASH_REMATCH[2]:-none}" || echo nomatch`, 'operators');
    }
    case 9: {
      if (!f) return null;
      return T(`while IFS= read -r line; do echo "\${#line} $line"; done < ${s.ref(f, r)}${r.bool(0.4) ? ' | sort -n' : ''}`, 'operators');
    }
    case 10: {
      if (!f) return null;
      return T(`n=0; while read -r _; do n=$((n + 1)); done < ${s.ref(f, r)}; echo "$n lines"`, 'operators');
    }
    case 11:
      return T(
        `{ ${ws.map((w) => `echo ${q(w)}`).join('; ')}; } | ${r.pick(['sort', 'sort -r', 'wc -l', 'tac', 'nl', 'paste -sd,', 'tail -n 1'])}`,
        'operators',
      );
    case 12:
      return T(`(${r.pick(['exit', 'exit', 'return'])} ${r.int(0, 9)}) 2>/dev/null; echo $?`, 'operators');
    case 13:
      return T(
        r.pick([
          `true && echo ${ws[0]}`,
          `false || echo ${ws[0]}`,
          `false && echo ${ws[0]} || echo ${ws[1]}`,
          `echo ${ws[0]}; false; echo $?`,
          `! true; echo $?`,
          `true | false; echo $? "\${PIPESTATUS[@]}"`,
          `echo ${ws[0]} && false; echo $?`,
          `test ${r.int(0, 9)} -${r.pick(['lt', 'gt', 'eq', 'ne', 'le', 'ge'])} ${r.int(0, 9)} && echo true || echo false`,
        ]),
        'operators',
      );
    case 14: {
      if (!f) return null;
      const pat = s.pattern(r, s.lines(f));
      return T(`if grep -q ${pat} ${s.ref(f, r)}; then echo "has ${pat}"; else echo "no ${pat}"; fi`, 'operators');
    }
    case 15: {
      const out = s.freshPath(r);
      const items = Array.from({ length: n }, (_, i) => `${ws[0]}-${i + 1}`);
      s.addFile(out, items, 'list');
      return T(`for i in $(seq ${n}); do echo "${ws[0]}-$i"; done > ${s.ref(out, r)}${r.bool(0.5) ? ` && wc -l < ${s.ref(out)}` : ''}`, 'operators');
    }
    case 16: {
      const w = ws[0] ?? 'x';
      return T(`s=${q(w)}; for ((i = \${#s} - 1; i >= 0; i--)); do printf '%s' "\${s:i:1}"; done; echo`, 'operators');
    }
    default: {
      const a = r.int(1, 30);
      return T(`x=${a}; [ $((x % 2)) -eq 0 ] && echo even || echo odd`, 'operators');
    }
  }
}

// ---------------------------------------------------------------- deliberate errors

function errorMove(s: Shell, r: Rng): GrammarTurn | null {
  const missing = s.ref(posix.join(s.cwd, s.freshName(r, s.cwd)), r);
  const f = s.pickFile(r);
  const fr = f ? s.ref(f, r) : missing;
  const d = s.pickDir(r, (x) => x !== s.cwd);
  const k = r.int(0, 11);
  switch (k) {
    case 0:
    case 1:
      return T(
        `${r.pick(['cat', 'head -n 2', 'tail -n 1', 'wc -l', 'sort', 'grep x', 'stat', 'rm', 'cp', 'mv', 'ls', 'cd', 'source', 'python3', 'md5sum', 'diff ' + fr, 'cmp ' + fr, 'du -b', 'base64', 'tac', 'nl', 'readlink -e', 'realpath -e'])} ${missing}`.replace(
          /^(cp|mv) (\S+)$/,
          `$1 $2 ${stem(r)}`,
        ),
        'errors',
        'fail',
      );
    case 2:
      return T(
        r.pick([
          `ls --${syllableWord(r)}`,
          `sort -Z ${fr}`,
          `head -n ${syllableWord(r)} ${fr}`,
          `wc --${syllableWord(r)} ${fr}`,
          `grep --${syllableWord(r)} x ${fr}`,
          `cut ${fr}`,
          `cut -f0 ${fr}`,
          `seq ${syllableWord(r)}`,
          'tr',
          `tr ${syllableWord(r)}`,
          `sed 's/a/' ${fr}`,
          `awk '{print $1' ${fr}`,
          `expr 1 +`,
          `date -u -d ${syllableWord(r)}`,
          `chmod ${r.pick(['999', 'q+x', '8'])} ${fr}`,
          'mkdir',
          'ln',
          `cp ${fr}`,
          `printf '%d\\n' ${syllableWord(r)}`,
          `jq . <<< '${syllableWord(r)}'`,
          `factor ${syllableWord(r)}`,
          `numfmt ${syllableWord(r)}`,
          `uniq -${r.pick(['q', 'j', 'k'])} ${fr}`,
          `touch -d ${syllableWord(r)} ${fr}`,
          `head -c -${syllableWord(r)} ${fr}`,
          `tail --lines=${syllableWord(r)} ${fr}`,
          `split -l 0 ${fr}`,
          `find . -maxdepth`,
        ]),
        'errors',
        'fail',
      );
    case 3:
      return T(
        r.pick([
          'echo )',
          'fi',
          'done',
          'then echo x',
          `echo $((${r.int(1, 9)} + ))`,
          `echo $((${r.int(1, 99)} / 0))`,
          `let ${r.int(1, 9)}/0`,
          `: \${${varName(r)}?not set}`,
          `echo \${${varName(r)}:}`,
          `[ ${r.int(1, 9)} -eq ${syllableWord(r)} ]`,
          'if then fi',
          `${funcName(r)}() { }`,
          'for; do echo; done',
          `echo ${syllableWord(r)} | | wc`,
          `(( ${r.int(1, 9)} +* 2 ))`,
          `echo \${${syllableWord(r)}[}`,
        ]),
        'errors',
        'fail',
      );
    case 4:
      return T(`${syllableWord(r)}${r.pick(['-', '_', ''])}${r.int(0, 99)}${r.bool(0.4) ? ' ' + s.word(r) : ''}`, 'errors', 'fail');
    case 5: {
      if (!f) return null;
      const info = s.files.get(f);
      if (!info || (info.mode & 0o111) !== 0 || f.endsWith('.gz') || f.endsWith('.tar')) return null;
      const rel = s.ref(f);
      return T(rel.startsWith('/') ? rel : `./${rel}`, 'errors', 'fail');
    }
    case 6: {
      if (!d) return null;
      const rd = s.ref(d, r);
      return T(r.pick([`mkdir ${rd}`, `cat ${rd}`, `rm ${rd}`, `cp ${rd} ${stem(r)}`, `echo x > ${rd}`, `grep x ${rd}`, `wc -l ${rd}`]), 'errors', 'fail');
    }
    case 7: {
      if (!d || s.entries(d).length === 0) return null;
      return T(`rmdir ${s.ref(d, r)}`, 'errors', 'fail');
    }
    case 8: {
      if (!f) return null;
      return T(r.pick([`cd ${fr}`, `mkdir ${fr}`, `ls ${fr}/`, `cat ${fr}/x`, `touch ${fr}/${stem(r)}`, `mkdir ${fr}/${stem(r)}`]), 'errors', 'fail');
    }
    case 9:
      return T(
        r.pick([
          `python3 -c 'print(${r.int(1, 99)} / 0)'`,
          `python3 -c 'import ${syllableWord(r)}_${r.int(0, 9)}'`,
          `python3 -c 'print(${syllableWord(r)})'`,
          `python3 -c 'raise SystemExit(${r.int(1, 9)})'`,
          `python3 -c 'int("${syllableWord(r)}")'`,
          `python3 -c '[1, 2][${r.int(2, 9)}]'`,
          `python3 -c 'print("a" + ${r.int(1, 9)})'`,
          `python3 -c 'open("${missing}")'`,
          `python3 -c 'def f(:'`,
          `python3 -c '{}["${syllableWord(r)}"]'`,
        ]),
        'python',
        'fail',
      );
    case 10: {
      const pat = syllableWord(r) + r.int(0, 9);
      return T(
        r.pick([
          `grep ${pat} ${fr}`,
          `grep -q ${pat} ${fr}; echo $?`,
          `cmp ${fr} ${f && s.pickFile(r) !== f ? s.ref(s.pickFile(r) ?? f, r) : '/etc/hostname'}`,
          `diff ${fr} /etc/hostname`,
          `test -d ${fr}; echo $?`,
          `false`,
          `[ -z "${s.word(r)}" ]`,
          `expr 0 \\* ${r.int(1, 9)}`,
          `ls ${missing} 2>/dev/null || echo "no ${posix.basename(missing)}"`,
          `command -v ${syllableWord(r)}${r.int(0, 9)} || echo none`,
        ]),
        'errors',
        'any',
      );
    }
    default:
      return T(
        r.pick([
          `touch ${posix.join(stem(r), stem(r), stem(r))}`,
          `mv ${fr} ${missing}/${stem(r)}/`,
          ...(f ? [`ln -s ${fr} ${fr}`] : []),
          `cd ${missing}`,
          `pushd ${missing}`,
          ...(s.stack.length === 0 ? ['popd'] : []),
          `unalias ${funcName(r)}`,
          `unset -f ${funcName(r)}; ${funcName(r)}`,
          `kill %${r.int(1, 9)}`,
          `fg`,
          `wait %1`,
          `shift 5`,
        ]),
        'errors',
        'fail',
      );
  }
}

// ---------------------------------------------------------------- far-back memos

/** A memo to make (plant: the turn that writes it, taking it out of every other move's reach)
 *  and to read back far later (read: a turn that copies or computes from it). */
interface MemoPlan {
  kind: Memo['kind'];
  name: () => string;
  plant: () => GrammarTurn;
  read: () => GrammarTurn;
}

function planMemo(s: Shell, r: Rng): MemoPlan {
  const kind = r.weighted<Memo['kind']>([
    ['file', 5],
    ['var', 4],
    ['array', 1.5],
    ['func', 1.5],
    ['alias', 0.7],
  ]);
  let name = '';
  if (kind === 'file') {
    const where = r.pick(['base', 'base', 'home', 'etc', 'varlog', 'tmp']);
    // two syllable words at least: distinctive, so no other move mentions it by chance
    const fname = `${syllableWord(r)}${r.pick(['', '-', '_', '.'])}${syllableWord(r)}${r.pick(['.conf', '.env', '.txt', '.dat', '.list', '.ini', '.log', '.csv', '', String(r.int(1, 99))])}`;
    const mkdir = where === 'varlog';
    const abs =
      where === 'home'
        ? `/root/.${fname.replace(/^\./, '')}`
        : where === 'etc'
          ? `/etc/${fname}`
          : where === 'varlog'
            ? `/var/log/${syllableWord(r)}/${fname}`
            : where === 'tmp'
              ? `/tmp/${fname}`
              : posix.join(s.base, fname);
    name = abs;
    const shape = r.pick(['kv', 'kv', 'nums', 'pairs', 'csv', 'words'] as const);
    const ls =
      shape === 'kv'
        ? Array.from(
            { length: r.int(3, 7) },
            (_, i) => `${syllableWord(r).slice(0, 6)}${i}=${r.pick([token(r), String(r.int(0, 99999)), `${syllableWord(r)}-${r.int(0, 999)}`])}`,
          )
        : contentLines(r, shape, s.lex, r.int(3, 8));
    return {
      kind,
      name: () => name,
      plant: () => {
        s.keep.add(abs);
        s.addDir(posix.dirname(abs));
        s.files.set(abs, { lines: ls, kind: shape, mode: 0o644 });
        s.lastWritten = null;
        const shown = s.ref(abs);
        const pre = mkdir ? `mkdir -p ${posix.dirname(abs)} && ` : '';
        const w = r.int(0, 2);
        if (w === 0) return T(`${pre}cat > ${shown} <<'EOF'\n${ls.join('\n')}\nEOF`, 'edit');
        if (w === 1) return T(`${pre}printf '%s\\n' ${ls.map(q).join(' ')} > ${shown}`, 'edit');
        return T(`${pre}{ ${ls.map((l) => `echo ${q(l)}`).join('; ')}; } > ${shown}`, 'edit');
      },
      read: () => {
        const shown = s.ref(abs, r);
        const opts: string[] = [
          `cat ${shown}`,
          `wc -l < ${shown}`,
          `tail -n ${r.int(1, 2)} ${shown}`,
          `sed -n ${r.int(1, ls.length)}p ${shown}`,
          `head -n ${r.int(1, 3)} ${shown}`,
          `grep -n ${s.pattern(r, ls, true)} ${shown}`,
          `nl ${shown} | tail -n 2`,
          `awk 'NR == ${r.int(1, ls.length)}' ${shown}`,
        ];
        if (shape === 'kv') {
          const key = r.pick(ls).split('=')[0] ?? '';
          opts.push(
            `grep ^${key}= ${shown} | cut -d= -f2`,
            `awk -F= '$1 == "${key}" {print $2}' ${shown}`,
            `sed -n 's/^${key}=//p' ${shown}`,
            `. ${shown} 2>/dev/null; echo "$${key}"`,
            `cut -d= -f1 ${shown} | paste -sd,`,
            `grep -c = ${shown}`,
          );
        }
        if (shape === 'nums')
          opts.push(`awk '{s += $1} END {print s}' ${shown}`, `sort -n ${shown} | tail -n 1`, `paste -sd+ ${shown} | bc`, `sort -n ${shown} | head -n 1`);
        if (shape === 'pairs') opts.push(`awk '{s += $2} END {print s}' ${shown}`, `sort -k2 -n ${shown} | tail -n 1`, `cut -d' ' -f1 ${shown} | sort -u`);
        if (shape === 'csv') opts.push(`cut -d, -f1 ${shown}`, `head -n 1 ${shown} | tr , '\\n'`, `awk -F, 'NR > 1 {print $2}' ${shown}`);
        if (shape === 'words') opts.push(`tr ' ' '\\n' < ${shown} | sort | uniq -c | sort -rn | head -n 3`, `awk '{print $1}' ${shown}`, `wc -w < ${shown}`);
        return T(r.pick(opts), 'inspect');
      },
    };
  }
  if (kind === 'var') {
    const v = `${syllableWord(r).slice(0, 6)}_${r.pick(['id', 'port', 'key', 'dir', 'tag', 'count', 'name', 'host', 'mode', 'ver'])}`.toUpperCase();
    name = v;
    const val = r.pick([
      `${syllableWord(r)}-${r.int(100, 9999)}`,
      String(r.int(1024, 65535)),
      `${syllableWord(r)}.${syllableWord(r)}`,
      `v${r.int(1, 9)}.${r.int(0, 30)}.${r.int(0, 9)}`,
      syllableWord(r),
      `/srv/${syllableWord(r)}`,
    ]);
    const exp = r.bool(0.5);
    return {
      kind,
      name: () => name,
      plant: () => {
        s.keep.add(v);
        s.vars.set(v, val);
        if (exp) s.exported.add(v);
        return T(`${exp ? 'export ' : ''}${v}=${val}`, 'env');
      },
      read: () => {
        const opts = [
          `echo $${v}`,
          `echo "${syllableWord(r)}: $${v}"`,
          `echo \${#${v}}`,
          `echo \${${v}:-unset}`,
          `echo "\${${v}%%[.-]*}"`,
          `echo "\${${v}##*[.-]}"`,
          `echo "$${v}" | rev`,
          `echo \${${v}^^}`,
          `printf '[%s]\\n' "$${v}"`,
          `[ "$${v}" = "${val}" ] && echo same || echo changed`,
          `echo "\${${v}:0:3}"`,
        ];
        if (/^\d+$/.test(val)) opts.push(`echo $((${v} + ${r.int(1, 100)}))`, `echo $((${v} % ${r.int(2, 9)}))`);
        if (exp) opts.push(`bash -c 'echo $${v}'`, `printenv ${v}`, `env | grep ^${v}=`);
        return T(r.pick(opts), 'env');
      },
    };
  }
  if (kind === 'array') {
    const v = `${syllableWord(r).slice(0, 6)}s`;
    name = v;
    const items = Array.from({ length: r.int(3, 7) }, () => token(r));
    return {
      kind,
      name: () => name,
      plant: () => {
        s.keep.add(v);
        s.arrays.set(v, items);
        return T(`${v}=(${items.map(q).join(' ')})`, 'env');
      },
      read: () =>
        T(
          r.pick([
            `echo \${${v}[${r.int(0, items.length - 1)}]}`,
            `echo \${#${v}[@]}`,
            `echo \${${v}[-1]}`,
            `echo "\${${v}[@]:1:2}"`,
            `printf '%s\\n' "\${${v}[@]}" | sort`,
            `for x in "\${${v}[@]}"; do echo "\${#x} $x"; done`,
            `echo "\${${v}[*]}" | tr ' ' ,`,
          ]),
          'env',
        ),
    };
  }
  if (kind === 'func') {
    const fname = funcName(r);
    name = fname;
    const info: FuncInfo = {
      kind: r.pick<FuncKind>(['join', 'times', 'each', 'sum', 'upper', 'shift']),
      k: r.int(2, 12),
      sep: r.pick(['-', ':', '/', '_', ' + ', '.']),
    };
    return {
      kind,
      name: () => name,
      plant: () => {
        s.keep.add(fname);
        s.funcs.set(fname, info);
        return T(funcDef(fname, info, r), 'env');
      },
      read: () => funcCall(s, r, fname) ?? T(`type ${fname}`, 'env'),
    };
  }
  const a = funcName(r);
  name = a;
  const body = r.pick([`echo ${token(r)}`, `printf '%s\\n' ${token(r)} ${token(r)}`, `echo ${syllableWord(r)} ${r.int(0, 999)}`]);
  return {
    kind,
    name: () => name,
    plant: () => {
      s.keep.add(a);
      s.aliases.set(a, body);
      return T(`alias ${a}='${body}'`, 'env');
    },
    read: () => T(r.pick([a, `alias ${a}`, `${a} | wc -c`, `type ${a}`]), 'env'),
  };
}

// ---------------------------------------------------------------- the session

/** The opening: make the working folder (random root and depth) and go there. */
function opening(s: Shell, r: Rng, push: (t: GrammarTurn) => void): void {
  const b = s.base;
  s.addDir(b);
  const k = r.int(0, 5);
  if (k === 0 && b.startsWith('/root/')) {
    push(T(`mkdir -p ${b.slice('/root/'.length)}`, 'edit'));
    push(T(`cd ${b.slice('/root/'.length)}`, 'navigation'));
  } else if (k === 1) {
    const v = s.freshVar(r).toUpperCase();
    if (!RESERVED.has(v)) {
      s.vars.set(v, b);
      push(T(`${v}=${b}; mkdir -p "$${v}" && cd "$${v}"`, 'navigation'));
    } else push(T(`mkdir -p ${b} && cd ${b}`, 'navigation'));
  } else if (k === 2) {
    push(T(`mkdir -p ${b}; cd ${b}; pwd`, 'navigation'));
  } else push(T(`mkdir -p ${b} && cd ${b}`, 'navigation'));
  s.cd(b);
  s.prev = '/root';
}

type Cat = 'nav' | 'write' | 'fs' | 'file' | 'free' | 'tree' | 'env' | 'control' | 'error';
const CATS: readonly (readonly [Cat, number])[] = [
  ['nav', 7],
  ['write', 14],
  ['fs', 8],
  ['file', 17],
  ['free', 12],
  ['tree', 6],
  ['env', 13],
  ['control', 9],
  ['error', 15],
];

function step(s: Shell, r: Rng, cat: Cat): GrammarTurn | null {
  switch (cat) {
    case 'nav':
      return navMove(s, r);
    case 'write':
      return writeMove(s, r);
    case 'fs':
      return fsMove(s, r);
    case 'env':
      return envMove(s, r);
    case 'control':
      return controlMove(s, r);
    case 'error':
      return errorMove(s, r);
    case 'tree': {
      const o = treeReader(s, r);
      const c = compose(s, r, o);
      return T(c.cmd, c.family === 'text' ? 'navigation' : c.family, c.expect);
    }
    case 'file': {
      const f = s.pickFile(r, true);
      if (!f) return null;
      const o = fileReader(s, r, f);
      const c = compose(s, r, o);
      return T(
        c.cmd,
        c.family === 'text'
          ? /^(cat|head|tail|wc|stat|file|ls|du|od|xxd|md5sum|sha\w*sum|cksum|sum|b2sum|base64)\b/.test(c.cmd)
            ? 'inspect'
            : /^python3/.test(c.cmd)
              ? 'python'
              : 'text'
          : c.family,
        c.expect,
      );
    }
    case 'free': {
      const o = freeReader(s, r);
      const c = compose(s, r, o);
      return T(
        c.cmd,
        c.family === 'text'
          ? /^python3/.test(c.cmd)
            ? 'python'
            : /^(echo|printf|read|IFS)/.test(c.cmd) && c.cmd.includes('$')
              ? 'env'
              : /\$\(\(|^expr|^bc|^seq/.test(c.cmd)
                ? 'operators'
                : 'text'
          : c.family,
        c.expect,
      );
    }
  }
}

/**
 * A grammar session of `n` turns, with its far-back memos (for tests and diagnostics).
 * Sessions of 22 turns or more plant a memo with probability 0.85 (a second one from 40 turns on).
 */
export function grammarSession(r: Rng, n: number): GrammarSession {
  const root = r.pick(ROOTS);
  const depth = r.int(1, 3);
  const parts = Array.from({ length: depth }, () => stem(r).replace(/^\./, ''));
  const base = posix.join(root, ...parts);
  const lex = Array.from({ length: r.int(5, 9) }, () => syllableWord(r));
  const s = new Shell(base, lex);
  const turns: GrammarTurn[] = [];
  const push = (t: GrammarTurn): void => {
    if (turns.length < n) turns.push(t);
  };
  opening(s, r, push);

  const plans: { at: number; readAt: number[]; p: MemoPlan }[] = [];
  const nMemos = n >= FAR_BACK + 2 && r.bool(0.85) ? (n >= 2 * FAR_BACK ? r.int(1, 2) : 1) : 0;
  for (let i = 0; i < nMemos; i++) {
    const at = Math.min(n - FAR_BACK - 1, turns.length + r.int(0, 4) + i);
    if (at < turns.length || plans.some((p) => p.at === at)) continue;
    const last = n - 1;
    const first = at + FAR_BACK;
    if (first > last) continue;
    const readAt = [r.int(first, last)];
    if (last - first > 6 && r.bool(0.3)) {
      const more = r.int(first, last);
      if (!readAt.includes(more)) readAt.push(more);
    }
    plans.push({ at, readAt: readAt.sort((a, b) => a - b), p: planMemo(s, r) });
  }
  const memos: Memo[] = [];
  const cats = CATS.map(([c, w]) => [c, w] as const);
  let guard = 0;
  while (turns.length < n && guard++ < n * 40) {
    const i = turns.length;
    const plant = plans.find((p) => p.at === i);
    if (plant) {
      push(plant.p.plant());
      memos.push({ kind: plant.p.kind, name: plant.p.name(), at: i, readAt: plant.readAt });
      continue;
    }
    const read = plans.find((p) => p.readAt.includes(i));
    if (read) {
      push(read.p.read());
      continue;
    }
    if (s.lastWritten && s.files.has(s.lastWritten) && r.bool(0.3)) {
      const p = s.lastWritten;
      s.lastWritten = null;
      push(T(r.pick([`cat ${s.ref(p, r)}`, `cat ${s.ref(p, r)}`, `wc -l ${s.ref(p, r)}`, `head -n 3 ${s.ref(p, r)}`, 'ls']), 'inspect'));
      continue;
    }
    s.lastWritten = null;
    const cat = r.weighted(cats);
    const before = s.save();
    const t = step(s, r, cat);
    const lastCmd = turns[turns.length - 1];
    // a dropped move must not leave its effects in the belief (moves update it as they draw)
    if (
      t === null ||
      (lastCmd && lastCmd.cmd === t.cmd) ||
      mentionsMemo(
        t.cmd,
        plans.filter((p) => p.at < i).map((p) => p.p.name()),
      )
    ) {
      s.load(before);
      continue;
    }
    push(t);
  }
  return { turns, memos };
}

/** Whether a command names a memo (as a whole word), which would make its read no longer far-back. */
function mentionsMemo(cmd: string, names: readonly string[]): boolean {
  return names.some((nm) => nm !== '' && new RegExp(`(^|[^A-Za-z0-9_])${posix.basename(nm).replace(/[.]/g, '\\.')}($|[^A-Za-z0-9_])`).test(cmd));
}

/** A grammar session of `n` turns (the same shape as scratchTurns). */
export function grammarTurns(r: Rng, n: number): ScratchTurn[] {
  return grammarSession(r, n).turns.map(({ cmd, family }) => ({ cmd, family }));
}

// ---------------------------------------------------------------- utilities (for tests and stats)

const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'in',
  'function',
  '!',
  'time',
  '{',
  '}',
  '[[',
  ']]',
  '((',
  '))',
]);

/** Utilities and builtins the generator knows about (what `utilitiesOf` reports). */
export const KNOWN_UTILITIES: ReadonlySet<string> = new Set([
  'echo',
  'printf',
  'cat',
  'ls',
  'wc',
  'head',
  'tail',
  'sort',
  'uniq',
  'cut',
  'tr',
  'sed',
  'grep',
  'awk',
  'seq',
  'basename',
  'dirname',
  'expr',
  'test',
  '[',
  'touch',
  'mkdir',
  'cp',
  'mv',
  'rm',
  'rmdir',
  'ln',
  'readlink',
  'realpath',
  'stat',
  'chmod',
  'find',
  'xargs',
  'rev',
  'nl',
  'paste',
  'comm',
  'diff',
  'cmp',
  'base64',
  'md5sum',
  'sha256sum',
  'sha1sum',
  'b2sum',
  'cksum',
  'sum',
  'fold',
  'fmt',
  'column',
  'tac',
  'od',
  'xxd',
  'split',
  'join',
  'tee',
  'true',
  'false',
  'type',
  'command',
  'which',
  'read',
  'mapfile',
  'declare',
  'local',
  'shift',
  'set',
  'export',
  'unset',
  'alias',
  'unalias',
  'readonly',
  'source',
  '.',
  ':',
  'cd',
  'pwd',
  'pushd',
  'popd',
  'dirs',
  'let',
  'python3',
  'perl',
  'jq',
  'bc',
  'sqlite3',
  'tree',
  'file',
  'du',
  'numfmt',
  'factor',
  'date',
  'yes',
  'expand',
  'pr',
  'tsort',
  'truncate',
  'gzip',
  'gunzip',
  'zcat',
  'tar',
  'printenv',
  'env',
  'bash',
  'sh',
  'whoami',
  'id',
  'hostname',
  'uname',
  'umask',
  'hash',
  'getconf',
  'tty',
  'shopt',
  'compgen',
  'kill',
  'fg',
  'wait',
]);

/** The known utilities a command runs (command positions: after |, ;, &&, ||, (, {, $(, keywords). */
export function utilitiesOf(cmd: string): string[] {
  const first = cmd.split('\n')[0] ?? '';
  const bare = first.replace(/'[^']*'/g, "''").replace(/"([^"\\]|\\.)*"/g, (m) => (m.includes('$(') ? m.replace(/^"|"$/g, ' ') : '""'));
  const out: string[] = [];
  for (const seg of bare.split(/\|\||&&|[|;(){}`]|\$\(|\bdo\b|\bthen\b|\belse\b/)) {
    const ws = seg
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '');
    let i = 0;
    while (i < ws.length && (KEYWORDS.has(ws[i] ?? '') || /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(ws[i] ?? '') || /^\d*[<>]/.test(ws[i] ?? ''))) i++;
    const w = ws[i];
    if (w !== undefined && KNOWN_UTILITIES.has(w)) out.push(w);
  }
  return out;
}
