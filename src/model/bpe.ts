/**
 * Tokenizers: how the byte runs of a framed session become model ids.
 *
 * The framings (framing.ts, stateframing.ts) write a session as bytes 0..255 and special ids
 * 256..262. A tokenizer rewrites every run of bytes between two specials (a command, an output, a
 * status, a state record) as ids; specials pass through unchanged, and a merge never crosses one.
 *
 *   'bytes'  every byte is its own id (ids 0..262, padded vocabulary 264): the original model.
 *   'bpe'    byte-level BPE learned on the corpus: ids 0..255 are the bytes, 256..262 the
 *            specials, and merge k is id FIRST_MERGE + k (263, 264, ...), up to the config's vocab.
 *
 * BPE here, step by step:
 *  1. A byte run is pre-split into chunks, as GPT-2 / cl100k do, with the byte-level pattern SPLIT
 *     (letters and bytes >= 0x80 with one leading non-letter (`/root`, ` -la`, `.txt`), digit
 *     groups of 1..3, punctuation runs, line breaks, spaces); a chunk longer than MAX_CHUNK bytes is
 *     cut into MAX_CHUNK pieces. Merges never cross a chunk, so encoding is per chunk (and cached).
 *  2. Training counts the chunks of the training sessions' byte runs (a frequency table of unique
 *     chunks), then repeats: merge the most frequent adjacent pair (ties: the smaller pair id, so
 *     training is deterministic), updating pair counts only in the chunks that hold the pair.
 *     Cost: O(merges x chunks holding the best pair), not O(merges x corpus).
 *  3. Encoding a chunk applies the learned merges in rank order (the lowest-ranked pair present
 *     first, every occurrence left to right), as GPT-2 does. Decoding concatenates each id's bytes.
 * Every byte string encodes and decodes back to itself (ids 0..255 cover every byte; merges only
 * join), so nothing a command prints can be lost.
 *
 * Saved as FILE (tokenizer.json, format TOKENIZER_FORMAT, version TOKENIZER_VERSION) beside a
 * checkpoint's config.json; see checkpoint.ts for how a mismatch is refused.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TwError } from '../core/errors.js';
import { sha256 } from '../core/meta.js';
import { VOCAB } from './framing.js';
import { oob } from '../core/errors.js';

export const TOKENIZER_FORMAT = 'terminalworld.tokenizer';
export const TOKENIZER_VERSION = 1;
export const TOKENIZER_FILE = 'tokenizer.json';
/** The first merged id: right after the specials (VOCAB = 263). */
export const FIRST_MERGE = VOCAB;
/** Longest chunk merges may span, in bytes (longer chunks are cut). */
export const MAX_CHUNK = 64;
/** The pre-split rule's name, stored in the file (a new rule gets a new name). */
export const SPLIT_NAME = 'cl100k-bytes-1';

export const TOKENIZERS = ['bytes', 'bpe'] as const;
export type TokenizerKind = (typeof TOKENIZERS)[number];

/**
 * The pre-split pattern over a latin1 view of the bytes (one char per byte). Letters are ASCII
 * letters and every byte >= 0x80 (the parts of UTF-8 characters); whitespace is ASCII only.
 */
const SPLIT =
  /[^\r\nA-Za-z0-9\x80-\xff]?[A-Za-z\x80-\xff]+|[0-9]{1,3}| ?[^\t\n\v\f\r A-Za-z0-9\x80-\xff]+[\r\n]*|[\t\v\f ]*[\r\n]+|[\t\n\v\f\r ]+(?![^\t\n\v\f\r ])|[\t\n\v\f\r ]+/y;

/** Chunks of a byte run (as latin1 strings), per the module comment's step 1. */
export function splitChunks(bytes: ArrayLike<number>): string[] {
  const s = latin1(bytes);
  const out: string[] = [];
  let at = 0;
  while (at < s.length) {
    SPLIT.lastIndex = at;
    const m = SPLIT.exec(s);
    // the pattern matches at every position (every byte is a letter, digit, space or other); one
    // byte is taken if it ever did not
    const piece = m && m[0].length > 0 ? m[0] : (s[at] as string);
    for (let k = 0; k < piece.length; k += MAX_CHUNK) out.push(piece.slice(k, k + MAX_CHUNK));
    at += piece.length;
  }
  return out;
}

function latin1(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...(Array.prototype.slice.call(bytes, i, i + 8192) as number[]));
  return s;
}

/** What the model side needs of a tokenizer. */
export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** ids the model may emit: 0 .. size-1 */
  readonly size: number;
  /** a byte run (no specials) as ids */
  encodeBytes(bytes: ArrayLike<number>): number[];
  /** the bytes of one id (a special: none) */
  bytesOf(id: number): Uint8Array;
  /** a framed byte-level sequence (bytes and specials) with its byte runs encoded */
  framed(tokens: readonly number[]): number[];
  /** the same, with per-token roles: a run is also cut where its role changes, and a merged id takes its bytes' role */
  framedRoles(tokens: readonly number[], roles: readonly number[]): { tokens: number[]; roles: number[] };
  /** ids back to the byte-level framed sequence (merged ids expanded, specials kept) */
  expand(ids: readonly number[]): number[];
  /** the bytes of some ids (specials dropped) */
  decode(ids: readonly number[]): Uint8Array;
  /** number of ids a byte run encodes to */
  count(bytes: ArrayLike<number>): number;
}

const NONE = new Uint8Array(0);

abstract class Base implements Tokenizer {
  abstract readonly kind: TokenizerKind;
  abstract readonly size: number;
  abstract encodeBytes(bytes: ArrayLike<number>): number[];
  abstract bytesOf(id: number): Uint8Array;

  count(bytes: ArrayLike<number>): number {
    return this.encodeBytes(bytes).length;
  }

  framed(tokens: readonly number[]): number[] {
    const out: number[] = [];
    let i = 0;
    while (i < tokens.length) {
      const t = tokens[i] ?? oob();
      if (t >= 256) {
        out.push(t);
        i++;
        continue;
      }
      let j = i;
      while (j < tokens.length && (tokens[j] ?? oob()) < 256) j++;
      for (const id of this.encodeBytes(tokens.slice(i, j))) out.push(id);
      i = j;
    }
    return out;
  }

  framedRoles(tokens: readonly number[], roles: readonly number[]): { tokens: number[]; roles: number[] } {
    const out: number[] = [];
    const outRoles: number[] = [];
    let i = 0;
    while (i < tokens.length) {
      const t = tokens[i] ?? oob();
      const role = roles[i] ?? oob();
      if (t >= 256) {
        out.push(t);
        outRoles.push(role);
        i++;
        continue;
      }
      let j = i;
      while (j < tokens.length && (tokens[j] ?? oob()) < 256 && roles[j] === role) j++;
      for (const id of this.encodeBytes(tokens.slice(i, j))) {
        out.push(id);
        outRoles.push(role);
      }
      i = j;
    }
    return { tokens: out, roles: outRoles };
  }

  expand(ids: readonly number[]): number[] {
    const out: number[] = [];
    for (const id of ids) {
      if (id < FIRST_MERGE) out.push(id);
      else for (const b of this.bytesOf(id)) out.push(b);
    }
    return out;
  }

  decode(ids: readonly number[]): Uint8Array {
    const parts: number[] = [];
    for (const id of ids) for (const b of this.bytesOf(id)) parts.push(b);
    return Uint8Array.from(parts);
  }
}

/** Every byte its own id: the identity on framed sequences. */
export class ByteTokenizer extends Base {
  readonly kind = 'bytes';
  readonly size = VOCAB;
  private static readonly one = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));

  encodeBytes(bytes: ArrayLike<number>): number[] {
    return Array.from(bytes);
  }
  bytesOf(id: number): Uint8Array {
    return id < 256 ? (ByteTokenizer.one[id] as Uint8Array) : NONE;
  }
  override count(bytes: ArrayLike<number>): number {
    return bytes.length;
  }
  override framed(tokens: readonly number[]): number[] {
    return [...tokens];
  }
  override framedRoles(tokens: readonly number[], roles: readonly number[]): { tokens: number[]; roles: number[] } {
    return { tokens: [...tokens], roles: [...roles] };
  }
  override expand(ids: readonly number[]): number[] {
    return [...ids];
  }
}

export const BYTES: Tokenizer = new ByteTokenizer();

const pairKey = (a: number, b: number): number => a * 65536 + b;

/** The file a BPE tokenizer is saved as. */
export const tokenizerFileSchema = z
  .object({
    format: z.literal(TOKENIZER_FORMAT),
    version: z.number().int(),
    kind: z.literal('bpe'),
    firstMerge: z.number().int(),
    split: z.string(),
    maxChunk: z.number().int().positive(),
    /** model ids: FIRST_MERGE + merges.length, padded by the config's vocab */
    merges: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
    trainedOn: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type TokenizerFile = z.infer<typeof tokenizerFileSchema>;

/** Byte-level BPE (module comment). `size` is the model's vocabulary (at least FIRST_MERGE + merges). */
export class BpeTokenizer extends Base {
  readonly kind = 'bpe';
  readonly size: number;
  private readonly ranks = new Map<number, number>();
  private readonly pieces: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();

  constructor(
    readonly merges: readonly (readonly [number, number])[],
    size = FIRST_MERGE + merges.length,
    readonly trainedOn: Record<string, unknown> = {},
  ) {
    super();
    if (size < FIRST_MERGE + merges.length)
      throw new TwError(
        `a BPE tokenizer of ${merges.length} merges needs a vocabulary of at least ${FIRST_MERGE + merges.length} ids, got ${size}`,
        'set model.vocab to 263 + the number of merges or more',
      );
    this.size = size;
    for (let b = 0; b < 256; b++) this.pieces[b] = Uint8Array.of(b);
    for (let s = 256; s < FIRST_MERGE; s++) this.pieces[s] = NONE;
    merges.forEach(([a, b], k) => {
      const id = FIRST_MERGE + k;
      if (a >= id || b >= id || (a >= 256 && a < FIRST_MERGE) || (b >= 256 && b < FIRST_MERGE))
        throw new TwError(
          `BPE merge ${k} joins ids ${a} and ${b}: a merge may join only bytes and earlier merges`,
          'retrain the tokenizer (`tw tokenizer train`)',
        );
      const pa = this.pieces[a] as Uint8Array;
      const pb = this.pieces[b] as Uint8Array;
      const p = new Uint8Array(pa.length + pb.length);
      p.set(pa);
      p.set(pb, pa.length);
      this.pieces[id] = p;
      this.ranks.set(pairKey(a, b), k);
    });
  }

  bytesOf(id: number): Uint8Array {
    return this.pieces[id] ?? NONE;
  }

  /** One chunk (latin1 string) as ids: merges in rank order. */
  private encodeChunk(chunk: string): number[] {
    const hit = this.cache.get(chunk);
    if (hit) return hit;
    const ids: number[] = [];
    for (let i = 0; i < chunk.length; i++) ids.push(chunk.charCodeAt(i));
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.ranks.get(pairKey(ids[i] ?? oob(), ids[i + 1] ?? oob()));
        if (r !== undefined && (best < 0 || r < best)) best = r;
      }
      if (best < 0) break;
      const [a, b] = this.merges[best] as readonly [number, number];
      const id = FIRST_MERGE + best;
      let w = 0;
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          ids[w++] = id;
          i++;
        } else ids[w++] = ids[i] ?? oob();
      }
      ids.length = w;
    }
    if (this.cache.size >= 500_000) this.cache.clear();
    this.cache.set(chunk, ids);
    return ids;
  }

  encodeBytes(bytes: ArrayLike<number>): number[] {
    const out: number[] = [];
    for (const c of splitChunks(bytes)) for (const id of this.encodeChunk(c)) out.push(id);
    return out;
  }

  toFile(): TokenizerFile {
    return {
      format: TOKENIZER_FORMAT,
      version: TOKENIZER_VERSION,
      kind: 'bpe',
      firstMerge: FIRST_MERGE,
      split: SPLIT_NAME,
      maxChunk: MAX_CHUNK,
      merges: this.merges.map(([a, b]) => [a, b] as [number, number]),
      trainedOn: this.trainedOn,
    };
  }

  /** The file's text (what checkpoints hash to tell tokenizers apart). */
  serialize(): string {
    const f = this.toFile();
    // one merge per line: readable and diffable
    const { merges, ...head } = f;
    const json = JSON.stringify({ ...head, merges: [] }, null, 2);
    return json.replace('"merges": []', `"merges": [\n${merges.map((m) => `    [${m[0]}, ${m[1]}]`).join(',\n')}\n  ]`) + '\n';
  }

  /** sha256 of the merges and the split rule (not of trainedOn): equal hashes encode alike. */
  get hash(): string {
    return sha256(JSON.stringify([SPLIT_NAME, MAX_CHUNK, FIRST_MERGE, this.merges]));
  }
}

/** Read a tokenizer.json; `size` is the model's vocabulary when known. */
export function readTokenizer(file: string, size?: number): BpeTokenizer {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TwError(
      `${file} is not a readable tokenizer file (${(e as Error).message})`,
      'copy tokenizer.json from the run folder the model was trained in, or retrain it with `tw tokenizer train`',
    );
  }
  const r = tokenizerFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TwError(
      `${file} is not a ${TOKENIZER_FORMAT} file: \`${issue?.path.join('.') || '(root)'}\` ${issue?.message ?? ''}`,
      'copy tokenizer.json from the run folder the model was trained in, or retrain it with `tw tokenizer train`',
    );
  }
  const f = r.data;
  if (f.version !== TOKENIZER_VERSION)
    throw new TwError(
      `${file} is tokenizer version ${f.version}, this build reads version ${TOKENIZER_VERSION}`,
      'retrain the tokenizer with this build (`tw tokenizer train`) and the model with it',
    );
  if (f.split !== SPLIT_NAME || f.maxChunk !== MAX_CHUNK || f.firstMerge !== FIRST_MERGE) {
    throw new TwError(
      `${file} was made with pre-split "${f.split}" (chunks <= ${f.maxChunk}, first merge ${f.firstMerge}); this build splits with "${SPLIT_NAME}" (<= ${MAX_CHUNK}, ${FIRST_MERGE})`,
      'retrain the tokenizer with this build (`tw tokenizer train`) and the model with it',
    );
  }
  return new BpeTokenizer(f.merges, size ?? FIRST_MERGE + f.merges.length, f.trainedOn ?? {});
}

/**
 * Learns merges over a frequency table of chunks. Feed byte runs with `add` (each is pre-split),
 * then `train(vocab)`. Deterministic: the same runs in any order give the same merges.
 */
export class BpeTrainer {
  private readonly freq = new Map<string, number>();
  bytes = 0;
  runs = 0;

  add(run: ArrayLike<number>, times = 1): void {
    if (run.length === 0) return;
    this.bytes += run.length * times;
    this.runs += times;
    for (const c of splitChunks(run)) this.freq.set(c, (this.freq.get(c) ?? 0) + times);
  }

  get uniqueChunks(): number {
    return this.freq.size;
  }

  /** Merges until the vocabulary holds `vocab` ids or no pair occurs twice. */
  train(vocab: number, trainedOn: Record<string, unknown> = {}): BpeTokenizer {
    const nMerges = vocab - FIRST_MERGE;
    if (nMerges < 1)
      throw new TwError(
        `a BPE vocabulary of ${vocab} ids leaves no room for merges (bytes and specials take ${FIRST_MERGE})`,
        'choose a vocab above 263, e.g. 1024 or 2048',
      );
    if (vocab > 65536) throw new TwError(`a BPE vocabulary of ${vocab} ids is more than this tokenizer supports (65,536)`, 'choose a vocab up to 65536');
    // chunks sorted, so the table (and ties) do not depend on the order runs were added in
    const keys = [...this.freq.keys()].sort();
    const words: number[][] = keys.map((k) => Array.from(k, (ch) => ch.charCodeAt(0)));
    const counts: number[] = keys.map((k) => this.freq.get(k) as number);
    const pairs = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    const addPairs = (w: number, sign: number): void => {
      const ids = words[w] ?? oob();
      const c = (counts[w] ?? oob()) * sign;
      for (let i = 0; i + 1 < ids.length; i++) {
        const key = pairKey(ids[i] ?? oob(), ids[i + 1] ?? oob());
        pairs.set(key, (pairs.get(key) ?? 0) + c);
        if (sign > 0) {
          let s = where.get(key);
          if (!s) where.set(key, (s = new Set()));
          s.add(w);
        }
      }
    };
    for (let w = 0; w < words.length; w++) addPairs(w, 1);
    const merges: [number, number][] = [];
    while (merges.length < nMerges) {
      let bestKey = -1;
      let bestCount = 1; // a pair seen once is not worth a merge
      for (const [key, c] of pairs) if (c > bestCount || (c === bestCount && bestKey >= 0 && key < bestKey)) [bestKey, bestCount] = [key, c];
      if (bestKey < 0) break;
      const a = Math.floor(bestKey / 65536);
      const b = bestKey % 65536;
      const id = FIRST_MERGE + merges.length;
      merges.push([a, b]);
      const holders = [...(where.get(bestKey) ?? [])].sort((x, y) => x - y);
      for (const w of holders) {
        const ids = words[w] ?? oob();
        let has = false;
        for (let i = 0; i + 1 < ids.length; i++) if (ids[i] === a && ids[i + 1] === b) has = true;
        if (!has) continue;
        addPairs(w, -1);
        let o = 0;
        for (let i = 0; i < ids.length; i++) {
          if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
            ids[o++] = id;
            i++;
          } else ids[o++] = ids[i] ?? oob();
        }
        ids.length = o;
        addPairs(w, 1);
      }
      pairs.delete(bestKey);
      where.delete(bestKey);
    }
    // drop pairs whose count fell to zero lazily: they never win (count > 1 needed)
    return new BpeTokenizer(merges, vocab, { ...trainedOn, bytes: this.bytes, runs: this.runs, uniqueChunks: this.freq.size, merges: merges.length });
  }
}

/** Byte runs of a framed byte-level sequence (what lies between specials). */
export function byteRuns(tokens: readonly number[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (const t of tokens) {
    if (t < 256) cur.push(t);
    else if (cur.length > 0) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Short description of a tokenizer for logs and cards. */
export function describeTokenizer(t: Tokenizer): string {
  return t instanceof BpeTokenizer ? `bpe, ${t.merges.length} merges, vocab ${t.size} (sha256 ${t.hash.slice(0, 12)})` : 'bytes';
}
