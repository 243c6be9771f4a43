/**
 * State framing (framing "state", learned terminal v2): the model carries the session's state.
 *
 * Each turn also predicts what the command changed; the backend applies those changes to a state it
 * keeps and shows that state, as a header, at the start of the context:
 *
 *   context = [STATE] cwd {[REC] record}*          <- the state before the first shown turn
 *             {[CMD] cmd [OUT] output [EXIT] exit ' ' cwd [DIFF] {[REC] record}* [EOT]}*   <- recent turns
 *             [CMD] cmd [OUT]                      <- the command to answer
 *   the model writes: output [EXIT] exit ' ' cwd [DIFF] {[REC] record}* [EOT]
 *
 * Records (text after [REC], up to the next special token; no escaping is needed, since special
 * tokens are not bytes):
 *   f PATH MODE SIZE[ ~]\n CONTENT    a regular file (mode in octal); CONTENT = its first bytes,
 *                                     ' ~' when cut at CONTENT_MAX bytes
 *   f PATH MODE SIZE ?                a file whose content is not shown (binary, or cut from the header)
 *   d PATH MODE                       a directory
 *   l PATH -> TARGET                  a symbolic link
 *   x PATH                            deleted
 *   v NAME=VALUE | u NAME             a shell variable set / unset (PWD is the cwd, so it is left out)
 *   g NAME | G NAME                   a function defined / removed
 *   a NAME=VALUE | A NAME             an alias set / removed
 *   + N                               N more file records of this turn not shown (DIFF_FILES_MAX)
 *
 * Worked example (session starts in /root):
 *   [STATE]/root
 *   [CMD]mkdir p && cd p[OUT][EXIT]0 /root/p[DIFF][REC]d /root/p 755[REC]v OLDPWD=/root[EOT]
 *   [CMD]echo hi > a.txt[OUT][EXIT]0 /root/p[DIFF][REC]f /root/p/a.txt 644 3\nhi\n[EOT]
 *   [CMD]cat a.txt[OUT]hi\r\n[EXIT]0 /root/p[DIFF][EOT]
 * When the oldest turns no longer fit, the context starts later and the header holds the state
 * built from the dropped turns' changes, e.g. `[STATE]/root/p[REC]d /root/p 755[REC]v OLDPWD=/root
 * [REC]f /root/p/a.txt 644 3\nhi\n` — so `cat a.txt` still finds its answer in a known place.
 *
 * Left out of the state: paths inside __pycache__ and .git folders (IGNORED_PATH).
 *
 * Header budget (HEADER_SHARE of the context): when the state does not fit, the content of the
 * oldest file records is dropped first (the record stays, flagged ' ?'), then the oldest records
 * whole; a first record `+ N` says how many were dropped. The header is never dropped silently.
 *
 * Training uses the same windows as inference: a window starts at a turn boundary with the header of
 * the state before it, then holds as many whole turns as fit; loss on output, status and diff tokens.
 */
import { STATE_KINDS, type StateChange } from '../core/terminal.js';
import type { Tokenizer } from './bpe.js';
import { CMD, EOT, EXIT, OUT, ROLE_CMD, ROLE_OUTPUT, ROLE_STATUS, type Window } from './framing.js';
import { oob } from '../core/errors.js';

export const STATE = 260;
export const DIFF = 261;
export const REC = 262;

/** Bytes of a file's content shown in a record. */
export const CONTENT_MAX = 192;
/** File records shown per turn's diff; the rest are counted in a `+ N` record. */
export const DIFF_FILES_MAX = 8;
/** Share of the context the header may take. */
export const HEADER_SHARE = 0.5;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One state record: `key` identifies what it describes (a path, a variable), `text` is what is shown. */
export interface StateRecord {
  key: string;
  text: string;
}

export interface StateTurn {
  cmd: string;
  output: Uint8Array;
  exit: number;
  cwd: string;
  /** the turn's change of state as records (see diffRecords) */
  diff: StateRecord[];
}

const octal = (m: number | undefined): string => (m === undefined ? '644' : (m & 0o7777).toString(8));

function cut(content: string): { text: string; cutFlag: boolean } {
  const b = enc.encode(content);
  if (b.length <= CONTENT_MAX) return { text: content, cutFlag: false };
  // cut at a UTF-8 boundary
  let n = CONTENT_MAX;
  while (n > 0 && ((b[n] ?? oob()) & 0xc0) === 0x80) n--;
  return { text: dec.decode(b.subarray(0, n)), cutFlag: true };
}

type FileChange = StateChange['files'][number];

function fileRecord(f: FileChange): StateRecord {
  const key = `p:${f.path}`;
  if (f.op === 'deleted' || f.kind === 'whiteout') return { key, text: `x ${f.path}` };
  if (f.kind === 'dir') return { key, text: `d ${f.path} ${octal(f.mode ?? 0o755)}` };
  if (f.kind === 'symlink') return { key, text: `l ${f.path} -> ${f.target ?? ''}` };
  const size = f.size ?? 0;
  if (f.kind !== 'file' || f.binary || (f.content === undefined && size > 0)) return { key, text: `f ${f.path} ${octal(f.mode)} ${size} ?` };
  const { text, cutFlag } = cut(f.content ?? '');
  return { key, text: `f ${f.path} ${octal(f.mode)} ${size}${cutFlag || f.contentTruncated ? ' ~' : ''}\n${text}` };
}

/** Paths the state leaves out: caches a tool writes as a side effect and version-control internals. */
export const IGNORED_PATH = /(^|\/)(__pycache__|\.git)(\/|$)/;

/** A recorded StateChange as the records the model predicts (files first, in recorded order; IGNORED_PATH left out). */
export function diffRecords(s: StateChange | undefined): StateRecord[] {
  if (!s) return [];
  const out: StateRecord[] = [];
  const files = s.files.filter((f) => STATE_KINDS.includes(f.kind) && !IGNORED_PATH.test(f.path));
  for (const f of files.slice(0, DIFF_FILES_MAX)) out.push(fileRecord(f));
  if (files.length > DIFF_FILES_MAX) out.push({ key: '+', text: `+ ${files.length - DIFF_FILES_MAX}` });
  for (const [k, v] of Object.entries(s.vars)) if (k !== 'PWD') out.push({ key: `v:${k}`, text: `v ${k}=${v ?? '(array)'}` });
  for (const k of s.unset) out.push({ key: `v:${k}`, text: `u ${k}` });
  for (const k of s.functions.added) out.push({ key: `g:${k}`, text: `g ${k}` });
  for (const k of s.functions.removed) out.push({ key: `g:${k}`, text: `G ${k}` });
  for (const [k, v] of Object.entries(s.aliases.set)) out.push({ key: `a:${k}`, text: `a ${k}=${v}` });
  for (const k of s.aliases.unset) out.push({ key: `a:${k}`, text: `A ${k}` });
  return out;
}

/** The key a record's text describes (inverse of the record forms above); null if unreadable. */
export function recordKey(text: string): string | null {
  const m = /^([fdlxvuGgaA+]) (.*)$/s.exec(text);
  if (!m) return null;
  const [, kind, rest] = m as unknown as [string, string, string];
  switch (kind) {
    case 'f':
    case 'd':
    case 'l':
    case 'x': {
      const path = kind === 'l' ? rest.split(' -> ')[0] : rest.split(/[ \n]/)[0];
      return path ? `p:${path}` : null;
    }
    case 'v':
    case 'a': {
      const i = rest.indexOf('=');
      return i > 0 ? `${kind}:${rest.slice(0, i)}` : null;
    }
    case 'u':
      return `v:${rest}`;
    case 'A':
      return `a:${rest}`;
    case 'g':
    case 'G':
      return `g:${rest}`;
    default:
      return '+';
  }
}

/**
 * The session state the header shows: the cwd, and the latest record of every path, variable,
 * function and alias the session changed, ordered by when it last changed (oldest first).
 */
export class SessionState {
  cwd: string;
  private readonly recs = new Map<string, string>();

  constructor(cwd: string) {
    this.cwd = cwd;
  }

  clone(): SessionState {
    const s = new SessionState(this.cwd);
    for (const [k, v] of this.recs) s.recs.set(k, v);
    return s;
  }

  get size(): number {
    return this.recs.size;
  }

  /** Apply a turn's records and its cwd. A created-then-deleted path or a set-then-unset name leaves no trace. */
  apply(diff: readonly StateRecord[], cwd: string): void {
    this.cwd = cwd;
    for (const r of diff) {
      if (r.key === '+') continue;
      const had = this.recs.get(r.key);
      this.recs.delete(r.key);
      const k = r.text[0];
      const removal = k === 'x' || k === 'u' || k === 'G' || k === 'A';
      if (removal) {
        // forget what this session made; keep the removal of what the image had
        if (had === undefined || had[0] === 'x' || had[0] === 'u' || had[0] === 'G' || had[0] === 'A') this.recs.set(r.key, r.text);
        if (k === 'x') {
          const prefix = `${r.key}/`;
          for (const key of [...this.recs.keys()]) if (key.startsWith(prefix)) this.recs.delete(key);
        }
      } else {
        this.recs.set(r.key, r.text);
      }
    }
  }

  records(): StateRecord[] {
    return [...this.recs].map(([key, text]) => ({ key, text }));
  }

  /**
   * Header tokens within `budget` tokens, cut by the documented rule (module comment). With a
   * tokenizer (bpe.ts) the header is in its ids and the budget counts them.
   */
  header(budget: number, tok?: Tokenizer): number[] {
    const recs = this.records().map((r) => r.text);
    const cwd = [...enc.encode(this.cwd)];
    const size = (b: Uint8Array | number[]): number => (tok ? tok.count(b) : b.length);
    const len = (t: string): number => 1 + size(enc.encode(t));
    let total = 1 + size(cwd) + recs.reduce((s, t) => s + len(t), 0);
    // 1. drop contents, oldest first
    for (let i = 0; i < recs.length && total > budget; i++) {
      const t = recs[i] as string;
      const nl = t.indexOf('\n');
      if (t[0] !== 'f' || nl < 0) continue;
      const shown = `${t.slice(0, nl).replace(/ ~$/, '')} ?`;
      total += len(shown) - len(t);
      recs[i] = shown;
    }
    // 2. drop whole records, oldest first, counted in a leading `+ N`
    let dropped = 0;
    while (total > budget && dropped < recs.length) {
      total -= len(recs[dropped] as string);
      dropped++;
      if (dropped === 1) total += len('+ 1') + 2;
    }
    const out = [STATE, ...cwd];
    if (dropped > 0) out.push(REC, ...enc.encode(`+ ${dropped}`));
    for (const t of recs.slice(dropped)) out.push(REC, ...enc.encode(t));
    const ids = tok ? tok.framed(out) : out;
    return ids.length <= budget ? ids : ids.slice(0, Math.max(1, budget));
  }
}

function recordTokens(diff: readonly StateRecord[]): number[] {
  const out: number[] = [];
  for (const r of diff) out.push(REC, ...enc.encode(r.text));
  return out;
}

/** One whole turn: [CMD] cmd [OUT] output [EXIT] exit ' ' cwd [DIFF] records [EOT], with roles. */
export function encodeStateTurn(t: StateTurn): { tokens: number[]; roles: number[] } {
  const tokens: number[] = [CMD, ...enc.encode(t.cmd), OUT];
  const roles: number[] = tokens.map(() => ROLE_CMD);
  for (const b of t.output) {
    tokens.push(b);
    roles.push(ROLE_OUTPUT);
  }
  for (const x of encodeStateResult(new Uint8Array(0), t.exit, t.cwd, t.diff)) {
    tokens.push(x);
    roles.push(ROLE_STATUS);
  }
  return { tokens, roles };
}

/** What the model predicts for a turn: output [EXIT] exit ' ' cwd [DIFF] records [EOT]. */
export function encodeStateResult(output: Uint8Array, exit: number, cwd: string, diff: readonly StateRecord[]): number[] {
  return [...output, EXIT, ...enc.encode(`${exit} ${cwd}`), DIFF, ...recordTokens(diff), EOT];
}

export const headerBudget = (T: number): number => Math.floor(T * HEADER_SHARE);

/**
 * Training windows of at most T+1 tokens for a session: each starts at a turn boundary with the
 * header of the state before it and holds as many whole turns as fit (a turn too long for an empty
 * window is cut, keeping its start). `initialCwd` is where the session started.
 */
export function stateWindows(turns: readonly StateTurn[], T: number, initialCwd: string, tok?: Tokenizer): Window[] {
  const out: Window[] = [];
  const state = new SessionState(initialCwd);
  const encoded = turns.map((t) => {
    const e = encodeStateTurn(t);
    return tok ? tok.framedRoles(e.tokens, e.roles) : e;
  });
  let i = 0;
  while (i < turns.length) {
    const head = state.header(headerBudget(T), tok);
    const tokens = [...head];
    const roles: number[] = head.map(() => ROLE_CMD);
    let j = i;
    while (j < turns.length) {
      const e = encoded[j] as { tokens: number[]; roles: number[] };
      if (j > i && tokens.length + e.tokens.length > T + 1) break;
      tokens.push(...e.tokens);
      roles.push(...e.roles);
      const t = turns[j] as StateTurn;
      state.apply(t.diff, t.cwd);
      j++;
    }
    out.push({ tokens: tokens.slice(0, T + 1), roles: roles.slice(0, T + 1) });
    i = j;
  }
  return out;
}

export interface ParsedStateResult {
  output: Uint8Array;
  exit: number | null;
  cwd: string | null;
  diff: StateRecord[];
  /** records that could not be read (dropped) */
  badRecords: number;
  complete: boolean;
}

/** Read back a generated result (tokens after [OUT], byte-level: expand a tokenizer's ids first); missing parts give nulls, never a throw. */
export function parseStateResult(tokens: readonly number[]): ParsedStateResult {
  const ex = tokens.indexOf(EXIT);
  const bytes = (ts: readonly number[]): Uint8Array => Uint8Array.from(ts.filter((t) => t < 256));
  const output = bytes(ex < 0 ? tokens : tokens.slice(0, ex));
  if (ex < 0) return { output, exit: null, cwd: null, diff: [], badRecords: 0, complete: false };
  const rest = tokens.slice(ex + 1);
  const eot = rest.indexOf(EOT);
  const body = eot < 0 ? rest : rest.slice(0, eot);
  const di = body.indexOf(DIFF);
  const status = dec.decode(bytes(di < 0 ? body : body.slice(0, di)));
  const m = /^(-?\d+) (.*)$/s.exec(status);
  const diff: StateRecord[] = [];
  let badRecords = 0;
  if (di >= 0) {
    let cur: number[] | null = null;
    const flush = (): void => {
      if (!cur) return;
      const text = dec.decode(bytes(cur));
      const key = recordKey(text);
      if (key) diff.push({ key, text });
      else badRecords++;
    };
    for (const t of body.slice(di + 1)) {
      if (t === REC) {
        flush();
        cur = [];
      } else if (cur) cur.push(t);
    }
    flush();
  }
  return { output, exit: m ? Number(m[1]) : null, cwd: m ? (m[2] as string) : null, diff, badRecords, complete: eot >= 0 && m !== null && di >= 0 };
}

/**
 * Inference context for the state framing. `start` is the first turn shown (the state before it
 * forms the header); it is kept while everything fits, so the prefix (and the KV cache) stays the
 * same from turn to turn, and moved forward only when the context is full, to the earliest turn that
 * leaves at least half the free budget (as training windows start afresh at a turn boundary).
 */
export function fitStateContext(
  turns: readonly StateTurn[],
  initialCwd: string,
  start: number,
  cmd: string,
  T: number,
  reserve: number,
  tok?: Tokenizer,
): { tokens: number[]; start: number } {
  const budget = Math.max(2, T - reserve);
  const ids = (t: number[]): number[] => (tok ? tok.framed(t) : t);
  let prompt = ids([CMD, ...enc.encode(cmd), OUT]);
  if (prompt.length > budget) prompt = [...prompt.slice(0, budget - 1), OUT];
  const hb = Math.min(headerBudget(T), Math.max(1, budget - prompt.length));
  // the state before turn r, built once up to `start` and then moved forward a turn at a time
  let r = Math.min(Math.max(0, start), turns.length);
  const state = new SessionState(initialCwd);
  for (const t of turns.slice(0, r)) state.apply(t.diff, t.cwd);
  const encoded = turns.slice(r).map((t) => ids(encodeStateTurn(t).tokens));
  const from = r;
  const build = (): number[] => [...state.header(hb, tok), ...encoded.slice(r - from).flat(), ...prompt];
  let ctx = build();
  if (ctx.length <= budget) return { tokens: ctx, start: r };
  const target = budget - Math.floor((budget - prompt.length) / 2);
  while (r < turns.length) {
    const t = turns[r] as StateTurn;
    state.apply(t.diff, t.cwd);
    r++;
    ctx = build();
    if (ctx.length <= target) break;
  }
  if (ctx.length > budget) ctx = [...ctx.slice(0, Math.max(0, budget - prompt.length)), ...prompt].slice(-budget);
  return { tokens: ctx, start: r };
}

/**
 * Records back as a StateChange (what a learned turn reports in Turn.state), so that
 * diffRecords(recordsToChange(r)) gives the same record texts. Files become op 'modified' (the
 * records do not say whether a path is new) or 'deleted'.
 */
export function recordsToChange(recs: readonly StateRecord[]): StateChange {
  const s: StateChange = { files: [], vars: {}, unset: [], functions: { added: [], removed: [] }, aliases: { set: {}, unset: [] } };
  for (const { text } of recs) {
    const k = text[0];
    const rest = text.slice(2);
    if (k === 'f') {
      const nl = rest.indexOf('\n');
      const head = nl < 0 ? rest : rest.slice(0, nl);
      const m = /^(.*) ([0-7]+) (\d+)( [~?])?$/.exec(head);
      if (!m) continue;
      const [, path, mode, size, flag] = m as unknown as [string, string, string, string, string | undefined];
      s.files.push({
        path,
        op: 'modified',
        kind: 'file',
        mode: parseInt(mode, 8),
        size: Number(size),
        ...(flag === ' ?' ? {} : { content: nl < 0 ? '' : rest.slice(nl + 1) }),
        ...(flag === ' ~' ? { contentTruncated: true } : {}),
      });
    } else if (k === 'd') {
      const m = /^(.*) ([0-7]+)$/.exec(rest);
      if (m) s.files.push({ path: m[1] as string, op: 'modified', kind: 'dir', mode: parseInt(m[2] as string, 8) });
    } else if (k === 'l') {
      const i = rest.indexOf(' -> ');
      if (i > 0) s.files.push({ path: rest.slice(0, i), op: 'modified', kind: 'symlink', target: rest.slice(i + 4) });
    } else if (k === 'x') s.files.push({ path: rest, op: 'deleted', kind: 'file' });
    else if (k === 'v' || k === 'a') {
      const i = rest.indexOf('=');
      if (i <= 0) continue;
      if (k === 'v') s.vars[rest.slice(0, i)] = rest.slice(i + 1);
      else s.aliases.set[rest.slice(0, i)] = rest.slice(i + 1);
    } else if (k === 'u') s.unset.push(rest);
    else if (k === 'g') s.functions.added.push(rest);
    else if (k === 'G') s.functions.removed.push(rest);
    else if (k === 'A') s.aliases.unset.push(rest);
  }
  return s;
}
