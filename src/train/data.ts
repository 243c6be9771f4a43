/**
 * Training data: session JSONL -> framed token windows -> batches.
 * --data DIR with train.jsonl and valid.jsonl uses that split; otherwise every session file is read
 * and a seeded fraction of sessions is held out. Several paths joined by commas are a mixture: each
 * is read so, and their windows pooled (the hash covers every file, in order). Batches come from a per-epoch seeded shuffle,
 * so the data cursor (epoch, index) is all that a resume needs.
 * With a tokenizer (src/model/bpe.ts) the windows are in its ids (T counts them); `trainTokenizer`
 * learns BPE merges on the training sessions of the same split.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TwError } from '../core/errors.js';
import { SESSION_HOME } from '../core/terminal.js';
import { sha256, sha256File } from '../core/meta.js';
import { Rng } from '../core/rng.js';
import { type FramedTurn, type Framing, type MaskKind, type Window, encodeTurns, maskFor, tokenizeEncoded, windows } from '../model/framing.js';
import { type StateTurn, diffRecords, encodeStateTurn, stateWindows } from '../model/stateframing.js';
import { type BpeTokenizer, BpeTrainer, type Tokenizer, byteRuns } from '../model/bpe.js';
import { decodeBytes, type Session } from '../session/format.js';
import { readSessions, sessionFiles } from '../session/io.js';
import type { Batch } from './step.js';
import { oob } from '../core/errors.js';

export interface Dataset {
  train: Window[];
  valid: Window[];
  files: string[];
  hash: string;
  sessions: { train: number; valid: number };
  tokens: { train: number; valid: number };
  /** the same windows in byte-level positions (bytes, one per special): equal to tokens for a bytes model */
  bytes: { train: number; valid: number };
}

export function sessionTurns(s: Session): FramedTurn[] {
  return s.turns.map((t) => ({ cmd: t.cmd, output: decodeBytes(t.output), exit: t.exit, cwd: t.cwd }));
}

async function readAll(files: string[]): Promise<Session[]> {
  const out: Session[] = [];
  for (const f of files) for await (const s of readSessions(f)) out.push(s);
  return out;
}

/** A session's turns with their recorded state changes as records (state framing). */
export function sessionStateTurns(s: Session): StateTurn[] {
  return s.turns.map((t) => ({ cmd: t.cmd, output: decodeBytes(t.output), exit: t.exit, cwd: t.cwd, diff: diffRecords(t.state) }));
}

/** Token positions in some windows. */
const count = (ws: readonly Window[]): number => ws.reduce((n, w) => n + w.tokens.length, 0);
/** Byte-level positions in some windows (a merged id counts its bytes). */
const countBytes = (ws: readonly Window[], tok?: Tokenizer): number =>
  !tok || tok.kind === 'bytes' ? count(ws) : ws.reduce((n, w) => n + w.tokens.reduce((m, t) => m + (t < 256 || t >= 263 ? tok.bytesOf(t).length : 1), 0), 0);

const toWindows = (ss: Session[], T: number, framing: Framing, tok?: Tokenizer): Window[] => {
  const t = tok && tok.kind !== 'bytes' ? tok : undefined;
  return ss.flatMap((s) =>
    framing === 'state' ? stateWindows(sessionStateTurns(s), T, SESSION_HOME, t) : windows(tokenizeEncoded(encodeTurns(sessionTurns(s)), t), T),
  );
};

/** A corpus's sessions, split: train.jsonl + valid.jsonl of a split folder, else a seeded hold-out of every session file. */
async function readSplit(path: string, seed: number, validFraction: number): Promise<{ trainS: Session[]; validS: Session[]; files: string[] }> {
  const split = existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'train.jsonl')) && existsSync(join(path, 'valid.jsonl'));
  if (split) {
    const files = [join(path, 'train.jsonl'), join(path, 'valid.jsonl')];
    return { trainS: await readAll([files[0] as string]), validS: await readAll([files[1] as string]), files };
  }
  const files = sessionFiles(path);
  const all = await readAll(files);
  const idx = new Rng(seed).fork('valid-split').shuffle(all.map((_, i) => i));
  const nValid = all.length < 2 ? 0 : Math.max(1, Math.round(all.length * validFraction));
  const held = new Set(idx.slice(0, nValid));
  return { trainS: all.filter((_, i) => !held.has(i)), validS: all.filter((_, i) => held.has(i)), files };
}

/**
 * BPE merges learned on the byte runs (commands, outputs, statuses, state records) of the training
 * sessions of `path` (every corpus of a mixture; the held-out sessions are never read), in the
 * given framing, up to `vocab` ids. Deterministic.
 */
export async function trainTokenizer(
  path: string,
  vocab: number,
  framing: Framing,
  seed: number,
  validFraction: number,
  log?: (line: string) => void,
): Promise<BpeTokenizer> {
  const trainer = new BpeTrainer();
  const t0 = performance.now();
  const parts = path.split(',').filter((p) => p !== '');
  for (const p of parts) {
    const { trainS } = await readSplit(p, seed, validFraction);
    for (const s of trainS) {
      const tokens = framing === 'state' ? sessionStateTurns(s).flatMap((t) => encodeStateTurn(t).tokens) : encodeTurns(sessionTurns(s)).tokens;
      for (const run of byteRuns(tokens)) trainer.add(run);
    }
  }
  const t1 = performance.now();
  log?.(
    `tokenizer: ${trainer.bytes.toLocaleString('en-US')} bytes in ${trainer.runs.toLocaleString('en-US')} runs, ${trainer.uniqueChunks.toLocaleString('en-US')} unique chunks (${((t1 - t0) / 1000).toFixed(1)} s)`,
  );
  const tok = trainer.train(vocab, { data: path, framing });
  log?.(`tokenizer: ${tok.merges.length} merges in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  return tok;
}

export async function loadDataset(path: string, T: number, seed: number, validFraction: number, framing: Framing = 'turns', tok?: Tokenizer): Promise<Dataset> {
  // A mixture: several corpora joined by commas, each read as below, their sessions pooled.
  const parts = path.split(',').filter((p) => p !== '');
  if (parts.length > 1) {
    const all = await Promise.all(parts.map((p) => loadDataset(p, T, seed, validFraction, framing, tok)));
    const train = all.flatMap((d) => d.train);
    const valid = all.flatMap((d) => d.valid);
    return {
      train,
      valid,
      files: all.flatMap((d) => d.files),
      hash: sha256(all.map((d) => d.hash).join('\n')),
      sessions: { train: all.reduce((n, d) => n + d.sessions.train, 0), valid: all.reduce((n, d) => n + d.sessions.valid, 0) },
      tokens: { train: count(train), valid: count(valid) },
      bytes: { train: all.reduce((n, d) => n + d.bytes.train, 0), valid: all.reduce((n, d) => n + d.bytes.valid, 0) },
    };
  }
  const { trainS, validS, files } = await readSplit(path, seed, validFraction);
  if (framing === 'state' && trainS.length > 0 && !trainS.some((s) => s.turns.some((t) => t.state !== undefined))) {
    throw new TwError(
      `${path} holds no recorded state (turn.state), which the state framing trains on`,
      'record the corpus with state: `tw corpus generate --state ...` (or train a config with "framing": "turns")',
    );
  }
  const train = toWindows(trainS, T, framing, tok);
  const valid = toWindows(validS, T, framing, tok);
  if (train.length === 0) throw new TwError(`no training turns in ${path}`, 'pass session files that contain turns (`tw corpus generate` or `tw record`)');
  const hashes: string[] = [];
  for (const f of files) hashes.push(await sha256File(f));
  return {
    train,
    valid,
    files,
    hash: sha256(hashes.join('\n')),
    sessions: { train: trainS.length, valid: validS.length },
    tokens: { train: count(train), valid: count(valid) },
    bytes: { train: countBytes(train, tok), valid: countBytes(valid, tok) },
  };
}

export interface Cursor {
  epoch: number;
  index: number;
}

/**
 * Fill a batch: row r holds the windows rows[r] one after another (packed), then padding.
 * Each window is its own segment; the first token of every segment carries no loss. Each token's
 * loss weight comes from `mask`: a framing mask, or the window's own weights (e.g. the Tier-3 RL
 * loop's advantages).
 */
export function makeBatch<W extends Window>(rows: readonly (readonly W[])[], B: number, T: number, mask: MaskKind | ((w: W) => Float32Array)): Batch {
  const tokens = new Int32Array(B * (T + 1));
  const m = new Float32Array(B * (T + 1));
  const seg = new Int32Array(B * (T + 1));
  rows.slice(0, B).forEach((ws, r) => {
    let at = r * (T + 1);
    const end = (r + 1) * (T + 1);
    ws.forEach((w, k) => {
      const n = Math.min(w.tokens.length, end - at);
      tokens.set(w.tokens.slice(0, n), at);
      const mk = typeof mask === 'function' ? mask(w).slice(0, n) : maskFor(mask, w.roles.slice(0, n));
      mk[0] = 0; // the first token of a segment is never predicted
      m.set(mk, at);
      seg.fill(k, at, at + n);
      at += n;
    });
    seg.fill(ws.length, at, end); // padding: a segment of its own
  });
  for (let r = rows.length; r < B; r++) seg.fill(0, r * (T + 1), (r + 1) * (T + 1));
  return { B, T, tokens, mask: m, seg };
}

/** Greedy packing of windows, in order, into rows of T+1 tokens (one window per row if !pack). */
function fillRows(take: () => Window | null, peek: () => Window | null, B: number, T: number, pack: boolean): Window[][] {
  const rows: Window[][] = [];
  for (let r = 0; r < B; r++) {
    const row: Window[] = [];
    let used = 0;
    for (;;) {
      const w = peek();
      if (!w) break;
      if (row.length > 0 && (!pack || used + w.tokens.length > T + 1)) break;
      take();
      row.push(w);
      used += w.tokens.length;
    }
    rows.push(row);
  }
  return rows;
}

/** Seeded epoch shuffles over the training windows. */
export class BatchStream {
  private order: number[] = [];
  private orderEpoch = -1;

  constructor(
    private readonly ws: readonly Window[],
    readonly B: number,
    readonly T: number,
    readonly mask: MaskKind,
    readonly seed: number,
    public cursor: Cursor = { epoch: 0, index: 0 },
    readonly pack = true,
  ) {}

  private orderFor(epoch: number): number[] {
    if (this.orderEpoch !== epoch) {
      this.order = new Rng(this.seed).fork(`epoch:${epoch}`).shuffle(this.ws.map((_, i) => i));
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  private peek(): Window | null {
    for (;;) {
      const order = this.orderFor(this.cursor.epoch);
      if (this.cursor.index < order.length) return this.ws[order[this.cursor.index] ?? oob()] as Window;
      this.cursor = { epoch: this.cursor.epoch + 1, index: 0 };
    }
  }

  next(): Batch {
    const take = (): Window | null => {
      const w = this.peek();
      this.cursor = { epoch: this.cursor.epoch, index: this.cursor.index + 1 };
      return w;
    };
    return makeBatch(
      fillRows(take, () => this.peek(), this.B, this.T, this.pack),
      this.B,
      this.T,
      this.mask,
    );
  }
}

/** The first `n` validation batches, windows in file order (the same every evaluation). */
export function evalBatches(ws: readonly Window[], B: number, T: number, mask: MaskKind, n: number, pack = true): Batch[] {
  let i = 0;
  const peek = (): Window | null => ws[i] ?? null;
  const take = (): Window | null => ws[i++] ?? null;
  const out: Batch[] = [];
  while (out.length < n && i < ws.length) out.push(makeBatch(fillRows(take, peek, B, T, pack), B, T, mask));
  return out;
}
