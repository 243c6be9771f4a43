/**
 * Engine vs the pure-TS float64 reference: the float32 train graph's loss, the float64 train
 * graph's gradients (against central differences of the reference loss) and the inference
 * graph's logits (against reference logits); each for both position encodings (learned wpe and
 * rotary, see rope.ts), the rotary reference being written apart from the graphs.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { makeBatch } from '../train/data.js';
import { TrainStep, maskSum, type Batch } from '../train/step.js';
import { type ModelConfig, POSITIONS, paramShapes } from './config.js';
import { trainGraph } from './gpt.js';
import { openSession, ort } from './onnx.js';
import { type Params, initParams } from './params.js';
import { referenceLogits, referenceLoss } from './reference.js';
import { Sampler } from './sampler.js';

for (const positions of POSITIONS) {
  const m: ModelConfig = { d: 16, layers: 2, heads: 2, context: 8, vocab: 264, framing: 'turns', positions, tokenizer: 'bytes' };

  /** Random params with a large spread, so that every op matters (std 0.02 would make logits ~0). */
  function bigParams(seed: number): Params {
    const p = initParams(m, seed);
    const rng = new Rng(seed + 1);
    for (const a of p.values()) for (let i = 0; i < a.length; i++) a[i] = a[i]! + rng.normal() * 0.3;
    return p;
  }

  function batch(rng: Rng, B: number): { seqs: number[][]; masks: number[][]; b: Batch } {
    const T = m.context;
    const seqs = Array.from({ length: B }, () => Array.from({ length: T + 1 }, () => rng.int(0, 259)));
    const masks = seqs.map((s) => s.map((_, i) => (i === 0 ? 0 : rng.bool(0.7) ? 1 : 0)));
    const b: Batch = { B, T, tokens: Int32Array.from(seqs.flat()), mask: Float32Array.from(masks.flat()), seg: new Int32Array(B * (T + 1)) };
    return { seqs, masks, b };
  }

  describe(`engine matches the float64 reference (positions ${positions})`, () => {
    it('train-graph loss (float32) equals the reference loss to 1e-4', async () => {
      const p = bigParams(3);
      const { seqs, masks, b } = batch(new Rng(9), 3);
      const step = await TrainStep.create(m, 3, 1);
      const denom = masks
        .flat()
        .slice()
        .reduce((s, v, i) => s + (i % (m.context + 1) === 0 ? 0 : v), 0);
      const { loss } = await step.run(p, b, denom);
      const ref = referenceLoss(m, p, seqs, masks);
      expect(ref).toBeGreaterThan(1);
      expect(Math.abs(loss - ref) / ref).toBeLessThan(1e-4);
    });

    it('a packed row (two windows, block-diagonal attention, positions restart) has the loss of the windows apart', async () => {
      const p = bigParams(4);
      const rng = new Rng(21);
      const A = Array.from({ length: 4 }, () => rng.int(0, 259));
      const Bw = Array.from({ length: 5 }, () => rng.int(0, 259));
      const win = (t: number[]) => ({ tokens: t, roles: t.map(() => 1) });
      const packed = makeBatch([[win(A), win(Bw)], [win(Bw)]], 2, m.context, 'full');
      const step = await TrainStep.create(m, 2, 1);
      const { loss } = await step.run(p, packed, maskSum(packed));
      const ref = referenceLoss(
        m,
        p,
        [A, Bw, Bw],
        [
          [0, 1, 1, 1],
          [0, 1, 1, 1, 1],
          [0, 1, 1, 1, 1],
        ],
      );
      expect(Math.abs(loss - ref) / ref).toBeLessThan(1e-4);
    });

    it('train-graph gradients (float64) match central differences of the reference loss', async () => {
      const B = 2;
      const T = m.context;
      const Vp = m.vocab;
      const p = new Map([...bigParams(5)].map(([k, v]) => [k, Float64Array.from(v)]));
      const { seqs, masks } = batch(new Rng(11), B);
      const g = trainGraph(m, B, 'float64');
      const sess = await openSession(g.bytes, { threads: 1 });
      const feeds: Record<string, ort.Tensor> = {};
      const xo = new Float64Array(B * T * Vp);
      const yo = new Float64Array(B * T * Vp);
      const w = new Float64Array(B * T);
      const denom = masks.reduce((s, mk) => s + mk.slice(1).reduce((a, v) => a + v, 0), 0);
      seqs.forEach((s, r) => {
        for (let i = 0; i < T; i++) {
          xo[(r * T + i) * Vp + s[i]!] = 1;
          yo[(r * T + i) * Vp + s[i + 1]!] = 1;
          w[r * T + i] = masks[r]![i + 1]! / denom;
        }
      });
      const amask = new Float64Array(B * T * T);
      const posOh = new Float64Array(B * T * T);
      for (let r = 0; r < B; r++)
        for (let i = 0; i < T; i++) {
          posOh[(r * T + i) * T + i] = 1;
          for (let j = i + 1; j < T; j++) amask[(r * T + i) * T + j] = -1e9;
        }
      Object.assign(feeds, {
        x_onehot: new ort.Tensor('float64', xo, [B * T, Vp]),
        y_onehot: new ort.Tensor('float64', yo, [B * T, Vp]),
        weight: new ort.Tensor('float64', w, [B * T, 1]),
        pos_onehot: new ort.Tensor('float64', posOh, [B * T, T]),
        attn_mask: new ort.Tensor('float64', amask, [B, 1, T, T]),
      });
      for (const [name, shape] of paramShapes(m)) feeds[name] = new ort.Tensor('float64', p.get(name) as Float64Array, shape);
      const out = await sess.run(feeds);
      expect(Math.abs((out['loss']?.data[0] as number) - referenceLoss(m, p, seqs, masks))).toBeLessThan(1e-9);
      // spot-check 3 entries of every parameter
      const rng = new Rng(2);
      let worst = 0;
      for (const [name] of paramShapes(m)) {
        const a = p.get(name) as Float64Array;
        const grad = out[`grad:${name}`]?.data as Float64Array;
        for (let k = 0; k < 3; k++) {
          const i = name === 'wte' ? seqs[0]![k]! * m.d + k : rng.int(0, a.length - 1);
          const old = a[i]!;
          const h = 1e-5;
          a[i] = old + h;
          const lp = referenceLoss(m, p, seqs, masks);
          a[i] = old - h;
          const lm = referenceLoss(m, p, seqs, masks);
          a[i] = old;
          const fd = (lp - lm) / (2 * h);
          worst = Math.max(worst, Math.abs(fd - grad[i]!) / Math.max(1e-3, Math.abs(fd)));
        }
      }
      expect(worst).toBeLessThan(1e-6);
    });
  });

  describe(`inference graph (KV cache) matches the reference (positions ${positions})`, () => {
    it('logits of a whole sequence, and of the same sequence fed in pieces through the cache', async () => {
      const mm: ModelConfig = { d: 16, layers: 2, heads: 2, context: 48, vocab: 264, framing: 'turns', positions, tokenizer: 'bytes' };
      const p = initParams(mm, 8);
      const rng = new Rng(4);
      for (const a of p.values()) for (let i = 0; i < a.length; i++) a[i] = a[i]! + rng.normal() * 0.3;
      const s = await Sampler.fromParams(mm, p, 1);
      const tokens = Array.from({ length: 40 }, () => rng.int(0, 259));
      const ref = referenceLogits(mm, p, tokens);
      const whole = await s.logits(tokens);
      let worst = 0;
      ref.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - whole[i * mm.vocab + j]!)))));
      expect(worst).toBeLessThan(1e-4);
      // 40 tokens as 7 + 1 + 32: the cache grows from 32 to 48 slots on the way
      const last = await s.logitsChunked([tokens.slice(0, 7), tokens.slice(7, 8), tokens.slice(8)]);
      worst = 0;
      for (let i = 0; i < 32; i++) ref[8 + i]!.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - last[i * mm.vocab + j]!))));
      expect(worst).toBeLessThan(1e-4);
      // one token at a time after a 5-token prompt (the S = 1 decode graph), across the growth from 32 to 48 slots
      worst = 0;
      for (const i of [5, 6, 31, 32, 39]) {
        const row = await s.logitsChunked([tokens.slice(0, 5), ...tokens.slice(5, i + 1).map((t) => [t])]);
        expect(row.length).toBe(mm.vocab);
        ref[i]!.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - row[j]!))));
      }
      expect(worst).toBeLessThan(1e-4);
    });
  });
}
