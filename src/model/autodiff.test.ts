/**
 * Finite-difference gradient checks, one per op, in float64 through onnxruntime.
 * For each op f: loss = sum(f(inputs) * R) with a fixed random R; the differentiator's
 * gradients must match central differences (h = 1e-5) to 1e-6 relative.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { type V, Tape } from './autodiff.js';
import { openSession, ort } from './onnx.js';

type Build = (t: Tape, xs: V[]) => V;

interface Case {
  name: string;
  shapes: number[][];
  /** inputs that get no gradient (e.g. one-hot targets), with their fixed values */
  fixed?: { shape: number[]; values: (rng: Rng) => number[] }[];
  build: Build;
}

const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);

async function check(c: Case): Promise<number> {
  const rng = new Rng(1234);
  const t = new Tape('float64');
  const xs = c.shapes.map((s, i) => t.input(`x${i}`, s, true));
  const fixed = (c.fixed ?? []).map((f, i) => t.input(`f${i}`, f.shape, false));
  const y = c.build(t, [...xs, ...fixed]);
  const r = t.input('r', y.shape as number[], false);
  // loss = sum(y * r), so dL/dy = r: seed the backward with r.
  const sumAll = t.g.node('ReduceSum', [t.g.node('Mul', [y.name, r.name])[0] as string], { keepdims: 0 })[0] as string;
  const grads = t.backwardFrom(y, r.name, xs);
  t.g.output(sumAll, 'float64', []);
  for (const x of xs) t.g.alias(grads.get(x.name) as string, `grad_${x.name}`, 'float64', x.shape);
  const sess = await openSession(t.g.encode(), { threads: 1, optimize: 'disabled' });
  const vals = c.shapes.map((s) => Float64Array.from({ length: numel(s) }, () => rng.normal()));
  const fixedVals = (c.fixed ?? []).map((f) => Float64Array.from(f.values(rng)));
  const rv = Float64Array.from({ length: numel(y.shape as number[]) }, () => rng.normal());
  const feeds = (): Record<string, ort.Tensor> => {
    const f: Record<string, ort.Tensor> = { r: new ort.Tensor('float64', rv, y.shape as number[]) };
    vals.forEach((v, i) => (f[`x${i}`] = new ort.Tensor('float64', v, c.shapes[i])));
    fixedVals.forEach((v, i) => (f[`f${i}`] = new ort.Tensor('float64', v, c.fixed?.[i]?.shape)));
    return f;
  };
  const lossOf = async (): Promise<number> => (await sess.run(feeds()))[sumAll]?.data[0] as number;
  const out = await sess.run(feeds());
  let worst = 0;
  const h = 1e-5;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i]!;
    const g = out[`grad_x${i}`]?.data as Float64Array;
    for (let j = 0; j < v.length; j++) {
      const old = v[j]!;
      v[j] = old + h;
      const lp = await lossOf();
      v[j] = old - h;
      const lm = await lossOf();
      v[j] = old;
      const fd = (lp - lm) / (2 * h);
      const err = Math.abs(fd - g[j]!) / Math.max(1, Math.abs(fd));
      worst = Math.max(worst, err);
    }
  }
  return worst;
}

const oneHot =
  (n: number, v: number) =>
  (rng: Rng): number[] => {
    const out = new Array<number>(n * v).fill(0);
    for (let i = 0; i < n; i++) out[i * v + rng.int(0, v - 1)] = 1;
    return out;
  };

const cases: Case[] = [
  {
    name: 'matmul (batched, shared 2-D weight)',
    shapes: [
      [2, 3, 4],
      [4, 5],
    ],
    build: (t, [a, b]) => t.matmul(a as V, b as V),
  },
  {
    name: 'matmul (batched both)',
    shapes: [
      [2, 2, 3, 4],
      [2, 2, 4, 3],
    ],
    build: (t, [a, b]) => t.matmul(a as V, b as V),
  },
  { name: 'add (broadcast bias)', shapes: [[2, 3, 4], [4]], build: (t, [a, b]) => t.add(a as V, b as V) },
  {
    name: 'add (broadcast middle)',
    shapes: [
      [2, 3, 4],
      [3, 1],
    ],
    build: (t, [a, b]) => t.add(a as V, b as V),
  },
  {
    name: 'mul (broadcast)',
    shapes: [
      [2, 3, 4],
      [1, 3, 4],
    ],
    build: (t, [a, b]) => t.mul(a as V, b as V),
  },
  { name: 'scale', shapes: [[3, 4]], build: (t, [a]) => t.scale(a as V, 0.37) },
  { name: 'transpose', shapes: [[2, 3, 4, 5]], build: (t, [a]) => t.transpose(a as V, [0, 2, 3, 1]) },
  { name: 'reshape', shapes: [[2, 3, 4]], build: (t, [a]) => t.reshape(a as V, [0, 0, 2, 2], [2, 3, 2, 2]) },
  {
    name: 'split',
    shapes: [[2, 3, 6]],
    build: (t, [a]) => {
      const [p, q, r] = t.split(a as V, [2, 2, 2]) as [V, V, V];
      return t.add(t.mul(p, q), t.scale(r, 2));
    },
  },
  { name: 'softmax', shapes: [[2, 3, 5]], build: (t, [a]) => t.softmax(a as V) },
  { name: 'layerNorm', shapes: [[2, 3, 6], [6], [6]], build: (t, [x, g, b]) => t.layerNorm(x as V, g as V, b as V) },
  { name: 'gelu', shapes: [[3, 7]], build: (t, [a]) => t.gelu(a as V) },
  {
    // any cos/sin values: the backward formula holds for arbitrary tables, not only rotations
    name: 'rope (tables broadcast over the heads axis)',
    shapes: [[2, 3, 2, 6]],
    fixed: [
      { shape: [2, 3, 1, 6], values: (rng) => Array.from({ length: 36 }, () => rng.normal()) },
      { shape: [2, 3, 1, 6], values: (rng) => Array.from({ length: 36 }, () => rng.normal()) },
    ],
    build: (t, [x, c, s]) => t.rope(x as V, c as V, s as V),
  },
  {
    name: 'softmaxCrossEntropy',
    shapes: [[4, 6]],
    fixed: [
      { shape: [4, 6], values: oneHot(4, 6) },
      { shape: [4, 1], values: () => [0.5, 0, 0.25, 0.25] },
    ],
    build: (t, [l, oh, w]) => t.reshape(t.softmaxCrossEntropy(l as V, oh as V, w as V), [1], [1]),
  },
];

describe('finite-difference gradient checks (float64)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const worst = await check(c);
      expect(worst).toBeLessThan(1e-6);
    });
  }
});
