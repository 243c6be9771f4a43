/**
 * A generated turn's log-probabilities laid over its output bytes. A byte model gives one log-probability
 * per output byte; a subword (BPE) model one per token, each spanning `turn.tokenBytes[i]` bytes. Consumers
 * (tw serve's OpenAI logprobs, tw view's confidence heat) read them through here, so both work for either.
 */
import type { Turn } from './terminal.js';

/** One generated token of the output: bytes [start, end) of turn.output and its log-probability. */
export interface LogprobSpan {
  start: number;
  end: number;
  logprob: number;
}

/**
 * The output's tokens in order, then what follows them: the summed log-probability and count of the tokens
 * past the output (exit code, cwd, state records, [EOT]; also a token cut by an output cap). Null without
 * log-probabilities.
 */
export function outputSpans(turn: Pick<Turn, 'output' | 'logprobs' | 'tokenBytes'>): { spans: LogprobSpan[]; trailer: number; trailerTokens: number } | null {
  const lp = turn.logprobs;
  if (!lp) return null;
  const widths = turn.tokenBytes;
  if (widths && widths.length !== lp.length) throw new Error(`internal: ${lp.length} log-probabilities but ${widths.length} token widths`);
  const spans: LogprobSpan[] = [];
  let pos = 0;
  let i = 0;
  for (; i < lp.length; i++) {
    const w = widths ? (widths[i] ?? 0) : 1;
    if (w === 0 || pos + w > turn.output.length) break;
    spans.push({ start: pos, end: pos + w, logprob: lp[i] ?? 0 });
    pos += w;
  }
  let trailer = 0;
  for (let k = i; k < lp.length; k++) trailer += lp[k] ?? 0;
  return { spans, trailer, trailerTokens: lp.length - i };
}
