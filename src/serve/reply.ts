/**
 * A turn as the OpenAI API gives it back: its tokens with log-probabilities, its usage, and the
 * reply streamed live as the backend produces it (tw serve, src/serve/server.ts).
 */
import type { Turn } from '../core/terminal.js';
import { outputSpans } from '../core/logprobs.js';
import { byteToken } from './worldmodel.js';

export interface TokenEntry {
  token: string;
  logprob: number;
  bytes: number[];
}

/**
 * The reply's tokens: the model's own output tokens (one per byte for a byte model; a BPE token's
 * bytes together), then the `[exit N]` trailer (see the header) carrying the summed log-probability
 * of what the model wrote after the output.
 */
export function replyTokens(turn: Turn, reply: string): TokenEntry[] | null {
  const laid = outputSpans(turn);
  if (!laid) return null;
  const out: TokenEntry[] = [];
  let end = 0;
  for (const s of laid.spans) {
    const bytes = [...turn.output.subarray(s.start, s.end)];
    out.push({ token: tokenText(bytes), logprob: s.logprob, bytes });
    end = s.end;
  }
  const tailText = reply.slice(turn.output.subarray(0, end).toString('utf8').length);
  if (laid.trailerTokens > 0 || tailText !== '') out.push({ token: tailText, logprob: laid.trailer, bytes: [...Buffer.from(tailText, 'utf8')] });
  return out;
}

/** A token's text as OpenAI writes it: the characters when its bytes are whole UTF-8, else `bytes:\\xNN` per byte. */
export function tokenText(bytes: readonly number[]): string {
  if (bytes.length === 1) return byteToken(bytes[0] ?? 0);
  const text = Buffer.from(bytes).toString('utf8');
  return text.includes('\ufffd') ? bytes.map(byteToken).join('') : text;
}

/**
 * A reply streamed as the backend produces it (RunOptions.onOutput): output bytes are decoded as
 * UTF-8 across chunk boundaries and written in order; `end` sends what the reply holds beyond what
 * was sent (its `[exit N]` line). Writes are chained, so a slow client never reorders them.
 */
export class LiveText {
  private readonly dec = new TextDecoder('utf-8');
  private sent = '';
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly write: (text: string) => Promise<void>) {}

  push(bytes: Buffer): void {
    this.send(this.dec.decode(bytes, { stream: true }));
  }

  private send(text: string): void {
    if (text === '') return;
    this.sent += text;
    this.chain = this.chain.then(() => this.write(text));
  }

  drain(): Promise<void> {
    return this.chain.catch(() => undefined);
  }

  async end(reply: string): Promise<void> {
    this.send(this.dec.decode());
    // The output's text is the reply's start (replyText); should decoding ever differ, the reply's
    // remainder still follows what was sent, so the stream's concatenation is what was generated.
    const rest = reply.startsWith(this.sent) ? reply.slice(this.sent.length) : reply.slice(Math.min(this.sent.length, reply.length));
    this.send(rest);
    await this.chain;
  }
}

/** OpenAI's usage: the prompt's bytes, and the tokens generated (the log-probabilities given, else the reply's bytes). */
export function usageOf(promptTokens: number, turn: Turn, reply: string): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const completion = turn.logprobs?.length ?? Buffer.byteLength(reply, 'utf8');
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion };
}
