/**
 * The shell's variables, function names and aliases, read by the host from bash's own memory
 * (/proc/PID/mem; the host is root), as shellmem.ts reads its exit status and cwd: nothing runs in
 * the session, so `$?`, the output, the history and PIDs stay as they were.
 *
 * bash exports the roots (it is linked -rdynamic for loadable builtins): `shell_variables`
 * (VAR_CONTEXT *, the innermost scope; at the prompt it is `global_variables`), `shell_functions`
 * and `aliases` (HASH_TABLE *), and `dist_version` ("5.2"). Their addresses come from .dynsym plus
 * the executable's load address in /proc/PID/maps (ASLR on or off).
 *
 * Layouts, bash 5.2 on x86_64 (LP64: pointers 8 bytes, int 4, structs padded to 8), checked
 * against a live bash 5.2.15 by shellvars.test.ts:
 *   VAR_CONTEXT     { char *name @0; int scope @8; int flags @12; up @16; down @24; HASH_TABLE *table @32 }
 *   HASH_TABLE      { BUCKET_CONTENTS **bucket_array @0; int nbuckets @8; int nentries @12 }
 *   BUCKET_CONTENTS { next @0; char *key @8; void *data @16; unsigned khash @24; int times_found @28 }
 *   SHELL_VAR       { char *name @0; char *value @8; char *exportstr @16; dynamic_value @24;
 *                     assign_func @32; int attributes @40; int context @44 }
 *   alias_t         { char *name @0; char *value @8; char flags @16 }
 *
 * The session may be changing its memory while the host reads (a background job cannot, but the
 * shell itself could be between prompts), so every count, chain and string is bounded and any
 * inconsistency gives null rather than a guess.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dynamicSymbolsNamed, executableBase } from './shellmem.js';

const SYMBOLS = ['shell_variables', 'shell_functions', 'aliases', 'dist_version'] as const;
type Sym = (typeof SYMBOLS)[number];

export const BASH52_LAYOUT = {
  varContext: { down: 24, table: 32 },
  hashTable: { bucketArray: 0, nbuckets: 8, nentries: 12 },
  bucket: { next: 0, key: 8, data: 16 },
  shellVar: { name: 0, value: 8, attributes: 40 },
  alias: { name: 0, value: 8 },
} as const;

/** bash's attribute bits (variables.h). */
export const ATT = {
  exported: 0x1,
  readonly: 0x2,
  array: 0x4,
  function: 0x8,
  integer: 0x10,
  local: 0x20,
  assoc: 0x40,
  nameref: 0x800,
  invisible: 0x1000,
} as const;

/**
 * Variables left out: bash computes them on each read (their memory holds a stale value, if any),
 * or they describe the last command or the call stack rather than state a command left behind.
 */
export const VOLATILE_VARIABLES: readonly string[] = [
  '_',
  'BASH_ALIASES',
  'BASH_ARGC',
  'BASH_ARGV',
  'BASH_ARGV0',
  'BASH_CMDS',
  'BASH_COMMAND',
  'BASH_LINENO',
  'BASH_MONOSECONDS',
  'BASH_SOURCE',
  'BASH_SUBSHELL',
  'BASHPID',
  'COMP_WORDBREAKS',
  'DIRSTACK',
  'EPOCHREALTIME',
  'EPOCHSECONDS',
  'FUNCNAME',
  'GROUPS',
  'HISTCMD',
  'LINENO',
  'PIPESTATUS',
  'RANDOM',
  'SECONDS',
  'SRANDOM',
];
const VOLATILE = new Set(VOLATILE_VARIABLES);

export interface ShellVar {
  /** The value's bytes as UTF-8 (lossy); null for arrays. */
  value: string | null;
  exported: boolean;
  readonly: boolean;
  /** An indexed or associative array (its elements are not read). */
  array?: true;
}

export interface ShellVars {
  variables: Record<string, ShellVar>;
  /** Names of the defined functions, sorted. */
  functions: string[];
  aliases: Record<string, string>;
}

const MAX_BUCKETS = 1 << 20;
const MAX_ITEMS = 1 << 18;
const MAX_CONTEXTS = 4096;
const MAX_NAME = 1 << 16;
/** Longest value read; a longer one is cut here. */
export const MAX_VALUE_BYTES = 1 << 20;

const PAGE = 4096;
/** Bytes read at once from a page not read yet: a bash at its prompt has its tables and strings
 *  in a few such runs of pages, and each read of /proc/PID/mem is a system call. */
const READ_AHEAD = 16384;

/** Reads another process's memory through /proc/PID/mem, each page once. */
class Mem {
  private readonly pages = new Map<number, Buffer>();
  constructor(private readonly fd: number) {}

  private page(n: number): Buffer {
    const have = this.pages.get(n);
    if (have) return have;
    const b = Buffer.alloc(READ_AHEAD);
    let got = 0;
    try {
      // Stops short at the end of a mapping; fails when page n itself is not mapped.
      got = readSync(this.fd, b, 0, READ_AHEAD, n * PAGE);
    } catch {
      got = 0;
    }
    if (got < PAGE) throw new Error('unreadable address');
    for (let i = 0; (i + 1) * PAGE <= got; i++) if (!this.pages.has(n + i)) this.pages.set(n + i, b.subarray(i * PAGE, (i + 1) * PAGE));
    return this.pages.get(n) ?? b.subarray(0, PAGE);
  }
  bytes(addr: bigint, len: number): Buffer {
    const a = Number(addr);
    if (addr <= 0n || !Number.isSafeInteger(a + len)) throw new Error('bad address');
    const first = Math.floor(a / PAGE);
    const off = a - first * PAGE;
    if (off + len <= PAGE) return this.page(first).subarray(off, off + len);
    const out = Buffer.alloc(len);
    for (let done = 0; done < len; ) {
      const at = a + done;
      const pn = Math.floor(at / PAGE);
      const po = at - pn * PAGE;
      const n = Math.min(len - done, PAGE - po);
      this.page(pn).copy(out, done, po, po + n);
      done += n;
    }
    return out;
  }
  ptr(addr: bigint): bigint {
    return this.bytes(addr, 8).readBigUInt64LE(0);
  }
  i32(addr: bigint): number {
    return this.bytes(addr, 4).readInt32LE(0);
  }
  /** A NUL-terminated string, at most max bytes (cut there). */
  cstr(addr: bigint, max: number): Buffer {
    const a = Number(addr);
    if (addr <= 0n || !Number.isSafeInteger(a + max)) throw new Error('bad address');
    const parts: Buffer[] = [];
    let total = 0;
    let at = a;
    while (total < max) {
      const pn = Math.floor(at / PAGE);
      const po = at - pn * PAGE;
      const chunk = this.page(pn).subarray(po, Math.min(PAGE, po + (max - total)));
      const z = chunk.indexOf(0);
      if (z >= 0) {
        parts.push(chunk.subarray(0, z));
        break;
      }
      parts.push(chunk);
      total += chunk.length;
      at += chunk.length;
    }
    return parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts);
  }
}

/** Each (key, data) of a bash HASH_TABLE, in bucket order. */
function hashItems(mem: Mem, table: bigint): { key: bigint; data: bigint }[] {
  const L = BASH52_LAYOUT;
  if (table === 0n) return [];
  const buckets = mem.ptr(table + BigInt(L.hashTable.bucketArray));
  const nbuckets = mem.i32(table + BigInt(L.hashTable.nbuckets));
  const nentries = mem.i32(table + BigInt(L.hashTable.nentries));
  if (nbuckets < 0 || nbuckets > MAX_BUCKETS || nentries < 0 || nentries > MAX_ITEMS) throw new Error('implausible hash table');
  if (nbuckets === 0 || buckets === 0n) return [];
  const arr = mem.bytes(buckets, nbuckets * 8);
  const out: { key: bigint; data: bigint }[] = [];
  for (let i = 0; i < nbuckets; i++) {
    let b = arr.readBigUInt64LE(i * 8);
    while (b !== 0n) {
      if (out.length >= nentries) throw new Error('more items than the table counts');
      out.push({ key: mem.ptr(b + BigInt(L.bucket.key)), data: mem.ptr(b + BigInt(L.bucket.data)) });
      b = mem.ptr(b + BigInt(L.bucket.next));
    }
  }
  return out;
}

interface Resolved {
  syms: Record<Sym, bigint>;
}
const symbolCache = new Map<string, Resolved | null>();
/** Load address by PID, with the executable it was found for (re-found after a failed read). */
const baseCache = new Map<number, { exe: string; base: bigint }>();
const MAX_BASES = 1024;

/**
 * The variables, function names and aliases of a bash 5.2 process; null when it is not bash 5.2
 * (no such symbols, another version), is gone, or its memory does not read consistently.
 * Variables declared but never given a value (`declare x`, `export x`) are left out, as are
 * VOLATILE_VARIABLES.
 */
export function readShellVars(pid: number): ShellVars | null {
  let exe: string;
  let r: Resolved | null | undefined;
  try {
    const st = statSync(`/proc/${pid}/exe`, { bigint: true });
    exe = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    r = symbolCache.get(exe);
    if (r === undefined) {
      const syms = dynamicSymbolsNamed(readFileSync(`/proc/${pid}/exe`), SYMBOLS);
      r = SYMBOLS.every((s) => syms[s] !== undefined) ? { syms: syms as Record<Sym, bigint> } : null;
      symbolCache.set(exe, r);
    }
  } catch {
    return null;
  }
  if (!r) return null;
  const cached = baseCache.get(pid);
  if (cached && cached.exe === exe) {
    const v = readAt(pid, r, cached.base);
    if (v) return v;
  }
  // First reading of this process, or the cached base is stale (the PID reused, or exec with ASLR).
  const base = executableBase(pid);
  if (base === null) return null;
  if (baseCache.size >= MAX_BASES) baseCache.clear();
  baseCache.set(pid, { exe, base });
  return readAt(pid, r, base);
}

function readAt(pid: number, r: Resolved, base: bigint): ShellVars | null {
  let fd = -1;
  try {
    fd = openSync(`/proc/${pid}/mem`, 'r');
    const mem = new Mem(fd);
    const version = mem.cstr(mem.ptr(base + r.syms.dist_version), 16).toString('latin1');
    if (version !== '5.2') return null;
    const L = BASH52_LAYOUT;
    const str = (p: bigint, max: number): string => mem.cstr(p, max).toString('utf8');

    const variables = new Map<string, ShellVar>();
    const seen = new Set<string>();
    let ctx = mem.ptr(base + r.syms.shell_variables);
    for (let depth = 0; ctx !== 0n; depth++) {
      if (depth >= MAX_CONTEXTS) throw new Error('too many contexts');
      for (const { key, data } of hashItems(mem, mem.ptr(ctx + BigInt(L.varContext.table)))) {
        const name = str(key, MAX_NAME);
        // An inner scope's variable hides an outer one of the same name.
        if (seen.has(name)) continue;
        seen.add(name);
        if (data === 0n || VOLATILE.has(name)) continue;
        const att = mem.i32(data + BigInt(L.shellVar.attributes));
        if (att & ATT.invisible) continue;
        const isArray = (att & (ATT.array | ATT.assoc)) !== 0;
        const vp = mem.ptr(data + BigInt(L.shellVar.value));
        if (!isArray && vp === 0n) continue;
        const v: ShellVar = { value: isArray ? null : str(vp, MAX_VALUE_BYTES), exported: (att & ATT.exported) !== 0, readonly: (att & ATT.readonly) !== 0 };
        if (isArray) v.array = true;
        variables.set(name, v);
      }
      ctx = mem.ptr(ctx + BigInt(L.varContext.down));
    }

    const functions = hashItems(mem, mem.ptr(base + r.syms.shell_functions)).map(({ key }) => str(key, MAX_NAME));
    const aliases = new Map<string, string>();
    for (const { key, data } of hashItems(mem, mem.ptr(base + r.syms.aliases))) {
      if (data === 0n) continue;
      const vp = mem.ptr(data + BigInt(L.alias.value));
      aliases.set(str(key, MAX_NAME), vp === 0n ? '' : str(vp, MAX_VALUE_BYTES));
    }
    return { variables: sortedRecord(variables), functions: [...new Set(functions)].sort(byKey), aliases: sortedRecord(aliases) };
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
/** A record without a prototype: a shell name such as __proto__ or constructor is just a key. */
function sortedRecord<T>(m: Map<string, T>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const k of [...m.keys()].sort(byKey)) out[k] = m.get(k) as T;
  return out;
}

export interface ShellVarsDiff {
  /** Variables new or given another value (null: an array, its elements not compared). */
  set: Record<string, string | null>;
  unset: string[];
  /** Variables whose export or readonly flag changed, and new ones with either set. */
  attributes: Record<string, { exported: boolean; readonly: boolean }>;
  functions: { added: string[]; removed: string[] };
  aliases: { set: Record<string, string>; unset: string[] };
}

/** What changed from one reading to the next; names sorted. Arrays count as changed only when
 *  they appear, go, or stop or start being arrays. */
export function diffShellVars(prev: ShellVars, next: ShellVars): ShellVarsDiff {
  const own = <T>(r: Record<string, T>, k: string): T | undefined => (Object.hasOwn(r, k) ? r[k] : undefined);
  const set = new Map<string, string | null>();
  const attributes = new Map<string, { exported: boolean; readonly: boolean }>();
  for (const [k, v] of Object.entries(next.variables)) {
    const p = own(prev.variables, k);
    if (!p || p.value !== v.value || (p.array === true) !== (v.array === true)) set.set(k, v.value);
    if (p ? p.exported !== v.exported || p.readonly !== v.readonly : v.exported || v.readonly)
      attributes.set(k, { exported: v.exported, readonly: v.readonly });
  }
  const unset = Object.keys(prev.variables).filter((k) => !Object.hasOwn(next.variables, k));
  const pf = new Set(prev.functions);
  const nf = new Set(next.functions);
  const aset = new Map<string, string>();
  for (const [k, v] of Object.entries(next.aliases)) if (own(prev.aliases, k) !== v) aset.set(k, v);
  return {
    set: sortedRecord(set),
    unset: unset.sort(byKey),
    attributes: sortedRecord(attributes),
    functions: { added: next.functions.filter((f) => !pf.has(f)).sort(byKey), removed: prev.functions.filter((f) => !nf.has(f)).sort(byKey) },
    aliases: {
      set: sortedRecord(aset),
      unset: Object.keys(prev.aliases)
        .filter((k) => !Object.hasOwn(next.aliases, k))
        .sort(byKey),
    },
  };
}
