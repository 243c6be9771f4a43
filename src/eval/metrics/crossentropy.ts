/**
 * Cross-entropy and bits per byte on real outputs (Tier 1 (a)), from teacher-forced scores.
 *
 * A byte-level model's output tokens are one byte each; a BPE model's say how many bytes they hold
 * (TokenScores.outputBytes). Bits per output byte = sum over output tokens of -ln p(true) /
 * (ln 2 * output bytes), so byte and BPE models compare on the same bytes. The framing tail (exit code,
 * cwd, end marker) is reported apart as `tailNatsPerToken`, and everything together as
 * `natsPerToken`. A uniform guess over 256 bytes scores 8 bits per byte.
 */
import type { TokenScores } from '../../core/terminal.js';

export interface CrossEntropy {
  /** Output bytes scored. */
  outputBytes: number;
  /** All predicted tokens (output + tail). */
  tokens: number;
  bitsPerByte: number;
  /** -ln p of the output tokens, per output byte. */
  natsPerByte: number;
  /** Mean -ln p over all predicted tokens. */
  natsPerToken: number;
  /** Mean -ln p over the tail tokens (exit, cwd, end). NaN where no tail was scored. */
  tailNatsPerToken: number;
  /** 2^(bits per byte). */
  perplexityPerByte: number;
}

export class CrossEntropyAccumulator {
  private outNats = 0;
  private outN = 0;
  private outBytes = 0;
  private tailNats = 0;
  private tailN = 0;

  /** Add one turn's scores. `outputOnly` drops the tail (for data with no exit code, e.g. SWE-agent). */
  add(s: TokenScores, outputOnly = false): void {
    const k = Math.min(s.outputTokens, s.logp.length);
    for (let i = 0; i < k; i++) this.outNats -= s.logp[i] ?? 0;
    this.outN += k;
    this.outBytes += s.outputBytes ?? k;
    if (outputOnly) return;
    for (let i = k; i < s.logp.length; i++) this.tailNats -= s.logp[i] ?? 0;
    this.tailN += s.logp.length - k;
  }

  merge(o: CrossEntropyAccumulator): void {
    this.outNats += o.outNats;
    this.outN += o.outN;
    this.outBytes += o.outBytes;
    this.tailNats += o.tailNats;
    this.tailN += o.tailN;
  }

  get count(): number {
    return this.outN + this.tailN;
  }

  result(): CrossEntropy {
    const natsPerByte = this.outBytes > 0 ? this.outNats / this.outBytes : NaN;
    const bitsPerByte = natsPerByte / Math.LN2;
    const n = this.outN + this.tailN;
    return {
      outputBytes: this.outBytes,
      tokens: n,
      bitsPerByte,
      natsPerByte,
      natsPerToken: n > 0 ? (this.outNats + this.tailNats) / n : NaN,
      tailNatsPerToken: this.tailN > 0 ? this.tailNats / this.tailN : NaN,
      perplexityPerByte: 2 ** bitsPerByte,
    };
  }
}
