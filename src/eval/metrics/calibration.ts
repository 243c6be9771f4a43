/**
 * Calibration of next-token predictions (Tier 1 (d)).
 *
 * Per predicted token the model gives a distribution p over the vocabulary. We keep, per token:
 *   confidence = max_v p(v), correct = [argmax_v p(v) == true token],
 *   pTrue = p(true token), sumSq = sum_v p(v)^2.
 *
 * ECE (expected calibration error, Guo et al. 2017): tokens are put in `bins` equal-width
 * confidence bins; ECE = sum_b (n_b / N) |accuracy_b - meanConfidence_b|.  MCE is the max gap.
 * Tokenized Brier score: mean over tokens of sum_v (p(v) - 1[v = y])^2 = 1 - 2 p(y) + sum_v p(v)^2,
 * in [0, 2]; a uniform guess over V symbols scores 1 - 1/V, a sure right answer 0, a sure wrong one 2.
 */
import { oob } from '../../core/errors.js';
import type { TokenScores } from '../../core/terminal.js';

export const DEFAULT_BINS = 15;

export interface CalibrationBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence of the tokens in the bin (NaN when empty). */
  confidence: number;
  /** Fraction of the bin's tokens whose argmax was right (NaN when empty). */
  accuracy: number;
}

export interface Calibration {
  tokens: number;
  ece: number;
  mce: number;
  brier: number;
  /** Top-1 accuracy over all tokens. */
  accuracy: number;
  meanConfidence: number;
  bins: CalibrationBin[];
}

/** Streams tokens in, gives ECE / Brier / reliability bins out. Memory is O(bins). */
export class CalibrationAccumulator {
  private readonly n: Float64Array;
  private readonly confSum: Float64Array;
  private readonly correctSum: Float64Array;
  private brierSum = 0;
  private total = 0;

  constructor(readonly bins: number = DEFAULT_BINS) {
    if (!Number.isInteger(bins) || bins < 1) throw new Error(`calibration bins must be a positive integer, got ${bins}`);
    this.n = new Float64Array(bins);
    this.confSum = new Float64Array(bins);
    this.correctSum = new Float64Array(bins);
  }

  /** One token: its confidence max_v p(v), whether the argmax was right, p(true), sum_v p(v)^2. */
  addToken(confidence: number, correct: boolean, pTrue: number, sumSq: number): void {
    const b = Math.min(this.bins - 1, Math.max(0, Math.floor(confidence * this.bins)));
    // a NaN confidence has no bin (b is NaN): a typed array drops the three writes, and only the totals count it
    this.n[b] = (this.n[b] ?? 0) + 1;
    this.confSum[b] = (this.confSum[b] ?? 0) + confidence;
    this.correctSum[b] = (this.correctSum[b] ?? 0) + (correct ? 1 : 0);
    this.brierSum += 1 - 2 * pTrue + sumSq;
    this.total += 1;
  }

  /** Tokens [from, to) of a teacher-forced score (default: all of them). */
  addScores(s: TokenScores, from = 0, to: number = s.logp.length): void {
    for (let i = from; i < to; i++) this.addToken(s.pMax[i] ?? 0, s.argmaxCorrect[i] === 1, Math.exp(s.logp[i] ?? -Infinity), s.sumSq[i] ?? 0);
  }

  merge(other: CalibrationAccumulator): void {
    if (other.bins !== this.bins) throw new Error('cannot merge calibration accumulators with different bin counts');
    for (let b = 0; b < this.bins; b++) {
      this.n[b] = (this.n[b] ?? oob()) + (other.n[b] ?? oob());
      this.confSum[b] = (this.confSum[b] ?? oob()) + (other.confSum[b] ?? oob());
      this.correctSum[b] = (this.correctSum[b] ?? oob()) + (other.correctSum[b] ?? oob());
    }
    this.brierSum += other.brierSum;
    this.total += other.total;
  }

  get count(): number {
    return this.total;
  }

  result(): Calibration {
    const bins: CalibrationBin[] = [];
    let ece = 0;
    let mce = 0;
    let conf = 0;
    let acc = 0;
    for (let b = 0; b < this.bins; b++) {
      const n = this.n[b] ?? 0;
      const c = n > 0 ? (this.confSum[b] ?? 0) / n : NaN;
      const a = n > 0 ? (this.correctSum[b] ?? 0) / n : NaN;
      bins.push({ lo: b / this.bins, hi: (b + 1) / this.bins, count: n, confidence: c, accuracy: a });
      if (n > 0) {
        const gap = Math.abs(a - c);
        ece += (n / this.total) * gap;
        mce = Math.max(mce, gap);
        conf += this.confSum[b] ?? 0;
        acc += this.correctSum[b] ?? 0;
      }
    }
    const t = this.total;
    return {
      tokens: t,
      ece: t > 0 ? ece : NaN,
      mce: t > 0 ? mce : NaN,
      brier: t > 0 ? this.brierSum / t : NaN,
      accuracy: t > 0 ? acc / t : NaN,
      meanConfidence: t > 0 ? conf / t : NaN,
      bins,
    };
  }
}

/** ECE of parallel arrays of confidences and 0/1 correctness. */
export function expectedCalibrationError(confidence: ArrayLike<number>, correct: ArrayLike<number>, bins = DEFAULT_BINS): number {
  if (confidence.length !== correct.length) throw new Error('confidence and correct must have the same length');
  const acc = new CalibrationAccumulator(bins);
  for (let i = 0; i < confidence.length; i++) acc.addToken(confidence[i] ?? 0, (correct[i] ?? 0) === 1, 0, 0);
  return acc.result().ece;
}

/** Tokenized Brier score of full distributions `probs[i]` (each summing to 1) against true indices. */
export function brierScore(probs: readonly (readonly number[])[], truth: readonly number[]): number {
  if (probs.length !== truth.length) throw new Error('probs and truth must have the same length');
  if (probs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] ?? [];
    const y = truth[i] ?? -1;
    for (let v = 0; v < p.length; v++) {
      const d = (p[v] ?? 0) - (v === y ? 1 : 0);
      s += d * d;
    }
  }
  return s / probs.length;
}

/** The four per-token numbers of one full distribution, as a scorer would report them. */
export function tokenStats(p: readonly number[], y: number): { confidence: number; correct: boolean; pTrue: number; sumSq: number } {
  let best = 0;
  let sumSq = 0;
  for (let v = 0; v < p.length; v++) {
    const pv = p[v] ?? 0;
    sumSq += pv * pv;
    if (pv > (p[best] ?? 0)) best = v;
  }
  return { confidence: p[best] ?? 0, correct: best === y, pTrue: p[y] ?? 0, sumSq };
}
