/**
 * Session framing: how terminal turns become byte-level tokens, shared by the corpus, the
 * trainer and the learned backend.
 *
 * Vocabulary: token 0..255 = that byte, plus four specials:
 *   CMD = 256 (command start), OUT = 257 (output start), EXIT = 258 (exit/cwd status), EOT = 259 (end of turn),
 * and three more used only by the state framing (src/model/stateframing.ts): STATE = 260, DIFF = 261, REC = 262.
 * VOCAB = 263 real ids; the embedding is padded to VOCAB_PADDED = 264 (a multiple of 8); pad id 263
 * never appears in data and is never sampled. A model config's `framing` says which framing it was
 * trained with ('turns', this file, or 'state').
 *
 * A turn:  [CMD] cmd-bytes(UTF-8) [OUT] output-bytes [EXIT] exit-decimal ' ' cwd-bytes [EOT]
 * Example: `cd /tmp` then `ls` printing "a\n" with exit 0 in /tmp:
 *   [CMD] c d ␠ / t m p [OUT] [EXIT] 0 ␠ / t m p [EOT] [CMD] l s [OUT] a \n [EXIT] 0 ␠ / t m p [EOT]
 * The command is given; the model predicts output, exit code and cwd.
 *
 * Roles (per token, so other loss masks can be built later):
 *   ROLE_CMD    = [CMD], command bytes and the [OUT] marker (given to the model)
 *   ROLE_OUTPUT = output bytes
 *   ROLE_STATUS = [EXIT], exit digits, ' ', cwd bytes and [EOT]
 * Mask 'world' = loss on ROLE_OUTPUT and ROLE_STATUS tokens (the tokens after [OUT] up to and
 * including [EOT]); mask 'full' = every token. A mask value belongs to the token being predicted.
 */
export const CMD = 256;
export const OUT = 257;
export const EXIT = 258;
export const EOT = 259;
export const VOCAB = 263;
export const VOCAB_PADDED = 264;

export const ROLE_CMD = 0;
export const ROLE_OUTPUT = 1;
export const ROLE_STATUS = 2;

export type MaskKind = 'world' | 'full';

export const FRAMINGS = ['turns', 'state'] as const;
export type Framing = (typeof FRAMINGS)[number];

import type { Tokenizer } from './bpe.js';
import { oob } from '../core/errors.js';

export interface FramedTurn {
  cmd: string;
  output: Uint8Array;
  exit: number;
  cwd: string;
}

export interface Encoded {
  tokens: number[];
  roles: number[];
  /** index in `tokens` of each turn's [CMD] */
  turnStarts: number[];
}

const enc = new TextEncoder();

/** The prompt part of a turn: [CMD] cmd [OUT]. */
export function encodePrompt(cmd: string): number[] {
  return [CMD, ...enc.encode(cmd), OUT];
}

/** The part the model predicts: output [EXIT] exit ' ' cwd [EOT]. */
export function encodeResult(output: Uint8Array, exit: number, cwd: string): number[] {
  return [...output, EXIT, ...enc.encode(`${exit} ${cwd}`), EOT];
}

export function encodeTurns(turns: readonly FramedTurn[]): Encoded {
  const out: Encoded = { tokens: [], roles: [], turnStarts: [] };
  for (const t of turns) {
    out.turnStarts.push(out.tokens.length);
    const p = encodePrompt(t.cmd);
    for (const x of p) {
      out.tokens.push(x);
      out.roles.push(ROLE_CMD);
    }
    for (const b of t.output) {
      out.tokens.push(b);
      out.roles.push(ROLE_OUTPUT);
    }
    for (const x of encodeResult(new Uint8Array(0), t.exit, t.cwd)) {
      out.tokens.push(x);
      out.roles.push(ROLE_STATUS);
    }
  }
  return out;
}

/** Per-token loss weight (0/1) for a mask kind; index i weights the prediction OF token i. */
export function maskFor(kind: MaskKind, roles: readonly number[]): Float32Array {
  const m = new Float32Array(roles.length);
  for (let i = 0; i < roles.length; i++) m[i] = kind === 'full' || roles[i] !== ROLE_CMD ? 1 : 0;
  return m;
}

export interface Window {
  /** up to T+1 tokens: inputs are tokens[0..n-2], targets tokens[1..n-1] */
  tokens: number[];
  roles: number[];
}

/**
 * Cut an encoded session into training windows of at most T+1 tokens, each starting at a
 * turn boundary ([CMD]) and holding as many whole turns as fit. A single turn longer than
 * T+1 is truncated, keeping its start (the command and the beginning of the output).
 */
export function windows(e: Encoded, T: number): Window[] {
  const out: Window[] = [];
  const starts = [...e.turnStarts, e.tokens.length];
  let i = 0;
  while (i < starts.length - 1) {
    const from = starts[i] ?? oob();
    let j = i + 1;
    while (j < starts.length - 1 && (starts[j + 1] ?? oob()) - from <= T + 1) j++;
    const to = Math.min(starts[j] ?? oob(), from + T + 1);
    out.push({ tokens: e.tokens.slice(from, to), roles: e.roles.slice(from, to) });
    i = j;
  }
  return out;
}

/**
 * A framed sequence in a model's ids: byte runs encoded by its tokenizer (bpe.ts); turnStarts
 * follow. Without a tokenizer (or 'bytes') the sequence is returned as it is.
 */
export function tokenizeEncoded(e: Encoded, tok?: Tokenizer): Encoded {
  if (!tok || tok.kind === 'bytes') return e;
  const out: Encoded = { tokens: [], roles: [], turnStarts: [] };
  const starts = [...e.turnStarts, e.tokens.length];
  if ((starts[0] ?? oob()) > 0) starts.unshift(0);
  for (let k = 0; k + 1 < starts.length; k++) {
    const from = starts[k] ?? oob();
    const to = starts[k + 1] ?? oob();
    if (e.turnStarts.includes(from)) out.turnStarts.push(out.tokens.length);
    const r = tok.framedRoles(e.tokens.slice(from, to), e.roles.slice(from, to));
    out.tokens.push(...r.tokens);
    out.roles.push(...r.roles);
  }
  return out;
}

/**
 * Inference context: the most recent whole turns of `history` that fit, followed by the
 * prompt of `cmd`, leaving `reserve` tokens free for the model's answer. With a tokenizer,
 * lengths are counted in its ids (the context is in its ids).
 * Choice: recent turns beat early ones (the cwd and files a command touches are usually set up
 * shortly before); the first turn is not pinned. If even the prompt alone is too long, the
 * command is cut keeping its start and the [OUT] marker.
 */
export function fitContext(history: readonly FramedTurn[], cmd: string, T: number, reserve = 0, tok?: Tokenizer): number[] {
  const budget = Math.max(2, T - reserve);
  const ids = (t: number[]): number[] => (tok ? tok.framed(t) : t);
  let prompt = ids(encodePrompt(cmd));
  if (prompt.length > budget) prompt = [...prompt.slice(0, budget - 1), OUT];
  const parts: number[][] = [];
  let used = prompt.length;
  for (let k = history.length - 1; k >= 0; k--) {
    const h = history[k] as FramedTurn;
    const t = ids(encodeTurns([h]).tokens);
    if (used + t.length > budget) break;
    parts.unshift(t);
    used += t.length;
  }
  return [...parts.flat(), ...prompt];
}

export interface ParsedResult {
  output: Uint8Array;
  exit: number | null;
  cwd: string | null;
  /** true when [EXIT] ... [EOT] were both generated */
  complete: boolean;
}

/** Read back a generated result (tokens after [OUT], byte-level: expand a tokenizer's ids first, Tokenizer.expand). Missing parts give nulls, never a throw. */
export function parseResult(tokens: readonly number[]): ParsedResult {
  const ex = tokens.indexOf(EXIT);
  const outTokens = (ex < 0 ? tokens : tokens.slice(0, ex)).filter((t) => t < 256);
  const output = Uint8Array.from(outTokens.filter((t) => t !== EOT));
  if (ex < 0) return { output, exit: null, cwd: null, complete: false };
  const rest = tokens.slice(ex + 1);
  const eot = rest.indexOf(EOT);
  const status = new TextDecoder().decode(Uint8Array.from((eot < 0 ? rest : rest.slice(0, eot)).filter((t) => t < 256)));
  const m = /^(-?\d+) (.*)$/s.exec(status);
  return { output, exit: m ? Number(m[1]) : null, cwd: m ? (m[2] as string) : null, complete: eot >= 0 && m !== null };
}
