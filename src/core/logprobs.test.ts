import { describe, expect, it } from 'vitest';
import { outputSpans } from './logprobs.js';

describe('outputSpans', () => {
  it('a byte model: one log-probability per output byte, the rest is the trailer', () => {
    const r = outputSpans({ output: Buffer.from('hi\n'), logprobs: [-0.1, -0.2, -0.3, -1, -2] });
    expect(r?.spans).toEqual([
      { start: 0, end: 1, logprob: -0.1 },
      { start: 1, end: 2, logprob: -0.2 },
      { start: 2, end: 3, logprob: -0.3 },
    ]);
    expect(r?.trailer).toBeCloseTo(-3, 12);
    expect(r?.trailerTokens).toBe(2);
  });

  it('a BPE model: tokens span their widths, a special (width 0) ends the output, a token cut by a cap goes to the trailer', () => {
    const turn = { output: Buffer.from('hello wo'), logprobs: [-0.5, -0.25, -1, -0.1], tokenBytes: [5, 1, 5, 0] };
    const r = outputSpans(turn);
    expect(r?.spans).toEqual([
      { start: 0, end: 5, logprob: -0.5 },
      { start: 5, end: 6, logprob: -0.25 },
    ]);
    expect(r?.trailer).toBeCloseTo(-1.1, 12);
    expect(r?.trailerTokens).toBe(2);
    expect(outputSpans({ output: Buffer.from('x') })).toBeNull();
    expect(() => outputSpans({ output: Buffer.from('x'), logprobs: [-1], tokenBytes: [1, 0] })).toThrow(/1 log-probabilities but 2 token widths/);
  });
});
