/**
 * A small tape-based reverse-mode differentiator that writes ONNX.
 *
 * Each forward op appends its ONNX node(s) to the graph and records, on a tape, how to emit
 * its backward as more ONNX nodes. `backward(loss)` walks the tape in reverse and returns the
 * gradient value name of every parameter. The whole step (forward, loss, all gradients) is
 * then ONE onnxruntime graph; the optimizer runs in JS (../train/adamw.ts).
 *
 * Shapes are tracked for every value (needed to undo broadcasting in the backward). Dims may
 * be symbolic strings in forward-only graphs (inference); backward needs numeric shapes.
 *
 * Ops: matmul, add, mul, scale, transpose, reshape, split, softmax, layerNorm, gelu (tanh),
 * rope (rotary positions), softmaxCrossEntropy. Each has a float64 finite-difference test in autodiff.test.ts.
 */
import { type AttrValue, type Dim, type DType, type ElemName, OnnxGraph } from './onnx.js';
import { oob } from '../core/errors.js';

export interface V {
  name: string;
  shape: Dim[];
  /** true when a gradient flows to this value (it depends on a parameter). */
  grad: boolean;
}

type Back = (gy: string) => (string | null)[];

interface Entry {
  out: V[];
  inputs: V[];
  /** Given the gradient of each output (null: none), emit input gradients (null where not needed). */
  back: (gys: (string | null)[]) => (string | null)[];
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

export class Tape {
  readonly g = new OnnxGraph();
  private tape: Entry[] = [];
  readonly elem: ElemName;

  constructor(readonly dtype: DType = 'float32') {
    this.elem = dtype;
  }

  // ---- leaves ------------------------------------------------------------------------------

  /** A graph input. `grad: true` for parameters (their gradient becomes a graph output). */
  input(name: string, shape: Dim[], grad = false, elem: ElemName = this.elem): V {
    this.g.input(name, elem, shape);
    return { name, shape, grad };
  }

  scalar(value: number): string {
    return this.g.constant('c', this.elem, [], [value]);
  }

  ints(values: number[]): string {
    return this.g.constant('i', 'int64', [values.length], values);
  }

  // ---- ops ---------------------------------------------------------------------------------

  private op1(out: V, inputs: V[], back: Back): V {
    this.record([out], inputs, (gys) => {
      const gy = gys[0];
      return gy === null || gy === undefined ? inputs.map(() => null) : back(gy);
    });
    return out;
  }

  private record(out: V[], inputs: V[], back: Entry['back']): void {
    if (inputs.some((x) => x.grad)) this.tape.push({ out, inputs, back });
  }

  private n(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    const [o] = this.g.node(op, inputs, attrs);
    return o as string;
  }

  /** a (..., M, K) @ b (..., K, N) -> (..., M, N). b may be 2-D (K, N) and shared across the batch. */
  matmul(a: V, b: V): V {
    const M = a.shape[a.shape.length - 2] as Dim;
    const N = b.shape[b.shape.length - 1] as Dim;
    const shape = [...a.shape.slice(0, -2), M, N];
    const out: V = { name: this.n('MatMul', [a.name, b.name]), shape, grad: a.grad || b.grad };
    return this.op1(out, [a, b], (gy) => {
      const swap = (r: number): number[] => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
      const ga = a.grad ? this.n('MatMul', [gy, this.n('Transpose', [b.name], { perm: swap(b.shape.length) })]) : null;
      let gb: string | null = null;
      if (b.grad) {
        if (b.shape.length === 2 && a.shape.length > 2) {
          // shared weight: flatten the batch, dB = A^T (K, BM) @ dY (BM, N)
          const K = a.shape[a.shape.length - 1] as number;
          const a2 = this.n('Reshape', [a.name, this.ints([-1, K])]);
          const g2 = this.n('Reshape', [gy, this.ints([-1, N as number])]);
          gb = this.n('Gemm', [a2, g2], { transA: 1 });
        } else {
          gb = this.n('MatMul', [this.n('Transpose', [a.name], { perm: swap(a.shape.length) }), gy]);
        }
      }
      return [ga, gb];
    });
  }

  /** Sum a broadcast gradient back down to `shape` (numpy broadcasting rules). */
  private unbroadcast(g: string, from: Dim[], to: Dim[]): string {
    const lead = from.length - to.length;
    const axes: number[] = [];
    for (let i = 0; i < from.length; i++) if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
    if (axes.length === 0) return g;
    const r = this.n('ReduceSum', [g, this.ints(axes)], { keepdims: 1 });
    return this.n('Reshape', [r, this.ints(to.map((d) => d as number))]);
  }

  private bshape(a: Dim[], b: Dim[]): Dim[] {
    const r = Math.max(a.length, b.length);
    const out: Dim[] = [];
    for (let i = 0; i < r; i++) {
      const x = a[a.length - r + i] ?? 1;
      const y = b[b.length - r + i] ?? 1;
      out.push(x === 1 ? y : x);
    }
    return out;
  }

  add(a: V, b: V): V {
    const shape = this.bshape(a.shape, b.shape);
    const out: V = { name: this.n('Add', [a.name, b.name]), shape, grad: a.grad || b.grad };
    return this.op1(out, [a, b], (gy) => [a.grad ? this.unbroadcast(gy, shape, a.shape) : null, b.grad ? this.unbroadcast(gy, shape, b.shape) : null]);
  }

  mul(a: V, b: V): V {
    const shape = this.bshape(a.shape, b.shape);
    const out: V = { name: this.n('Mul', [a.name, b.name]), shape, grad: a.grad || b.grad };
    return this.op1(out, [a, b], (gy) => [
      a.grad ? this.unbroadcast(this.n('Mul', [gy, b.name]), shape, a.shape) : null,
      b.grad ? this.unbroadcast(this.n('Mul', [gy, a.name]), shape, b.shape) : null,
    ]);
  }

  /** x * c for a constant c. */
  scale(x: V, c: number): V {
    const k = this.scalar(c);
    const out: V = { name: this.n('Mul', [x.name, k]), shape: x.shape, grad: x.grad };
    return this.op1(out, [x], (gy) => [this.n('Mul', [gy, k])]);
  }

  transpose(x: V, perm: number[]): V {
    const shape = perm.map((p) => x.shape[p] as Dim);
    const inv = perm.map((_, i) => perm.indexOf(i));
    const out: V = { name: this.n('Transpose', [x.name], { perm }), shape, grad: x.grad };
    return this.op1(out, [x], (gy) => [this.n('Transpose', [gy], { perm: inv })]);
  }

  /** Reshape. `spec` uses ONNX rules (0 = copy dim, -1 = infer); `shape` is the resulting shape. */
  reshape(x: V, spec: number[], shape: Dim[]): V {
    const out: V = { name: this.n('Reshape', [x.name, this.ints(spec)]), shape, grad: x.grad };
    return this.op1(out, [x], (gy) => [this.n('Reshape', [gy, this.ints(x.shape.map((d) => d as number))])]);
  }

  /** Split the last axis into pieces of the given sizes. */
  split(x: V, sizes: number[]): V[] {
    const axis = x.shape.length - 1;
    const names = this.g.node('Split', [x.name, this.ints(sizes)], { axis }, sizes.length);
    const outs = names.map((name, i): V => ({ name, shape: [...x.shape.slice(0, -1), sizes[i] ?? oob()], grad: x.grad }));
    this.record(outs, [x], (gys) => {
      const parts = gys.map((g, i) => g ?? this.zeros(outs[i] as V));
      return [this.n('Concat', parts, { axis })];
    });
    return outs;
  }

  private zeros(v: V): string {
    const value: AttrValue = { tensor: { dims: [1], dtype: this.dtype, data: [0] } };
    return this.n('ConstantOfShape', [this.ints(v.shape.map((d) => d as number))], { value });
  }

  /** Softmax over the last axis. dX = Y * (dY - sum(dY * Y)). */
  softmax(x: V): V {
    const y = this.n('Softmax', [x.name], { axis: -1 });
    const out: V = { name: y, shape: x.shape, grad: x.grad };
    return this.op1(out, [x], (gy) => {
      const s = this.n('ReduceSum', [this.n('Mul', [gy, y]), this.ints([-1])], { keepdims: 1 });
      return [this.n('Mul', [y, this.n('Sub', [gy, s])])];
    });
  }

  /**
   * LayerNorm over the last axis (C): y = (x - mean) * rstd * gamma + beta, eps 1e-5.
   * Backward: xhat = (x-mean)*rstd, dxhat = dy*gamma,
   *   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)); dgamma = sum(dy*xhat); dbeta = sum(dy).
   */
  layerNorm(x: V, gamma: V, beta: V): V {
    let y: string, mean: string, rstd: string;
    if (this.dtype === 'float32') {
      // fused kernel; its Mean / InvStdDev outputs feed the backward
      [y, mean, rstd] = this.g.node('LayerNormalization', [x.name, gamma.name, beta.name], { axis: -1, epsilon: { float: 1e-5 } }, 3) as [
        string,
        string,
        string,
      ];
    } else {
      // onnxruntime's LayerNormalization keeps Mean/InvStdDev in float32 only: spell it out in float64
      mean = this.n('ReduceMean', [x.name], { axes: [-1], keepdims: 1 });
      const xc = this.n('Sub', [x.name, mean]);
      const v = this.n('ReduceMean', [this.n('Mul', [xc, xc])], { axes: [-1], keepdims: 1 });
      rstd = this.n('Reciprocal', [this.n('Sqrt', [this.n('Add', [v, this.scalar(1e-5)])])]);
      y = this.n('Add', [this.n('Mul', [this.n('Mul', [xc, rstd]), gamma.name]), beta.name]);
    }
    const out: V = { name: y, shape: x.shape, grad: x.grad || gamma.grad || beta.grad };
    return this.op1(out, [x, gamma, beta], (gy) => {
      const xhat = this.n('Mul', [this.n('Sub', [x.name, mean]), rstd]);
      const lead = x.shape.slice(0, -1).map((_, i) => i);
      const dg = gamma.grad ? this.n('ReduceSum', [this.n('Mul', [gy, xhat]), this.ints(lead)], { keepdims: 0 }) : null;
      const db = beta.grad ? this.n('ReduceSum', [gy, this.ints(lead)], { keepdims: 0 }) : null;
      let dx: string | null = null;
      if (x.grad) {
        const dxhat = this.n('Mul', [gy, gamma.name]);
        const m1 = this.n('ReduceMean', [dxhat], { axes: [-1], keepdims: 1 });
        const m2 = this.n('ReduceMean', [this.n('Mul', [dxhat, xhat])], { axes: [-1], keepdims: 1 });
        dx = this.n('Mul', [rstd, this.n('Sub', [this.n('Sub', [dxhat, m1]), this.n('Mul', [xhat, m2])])]);
      }
      return [dx, dg, db];
    });
  }

  /**
   * GELU, tanh approximation: y = 0.5 x (1 + tanh(c (x + a x^3))).
   * dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2), t = tanh(...).
   */
  gelu(x: V): V {
    const x2 = this.n('Mul', [x.name, x.name]);
    const inner = this.n('Mul', [x.name, this.n('Add', [this.scalar(GELU_C), this.n('Mul', [x2, this.scalar(GELU_C * GELU_A)])])]);
    const t = this.n('Tanh', [inner]);
    const half1pt = this.n('Add', [this.n('Mul', [t, this.scalar(0.5)]), this.scalar(0.5)]); // 0.5 (1 + t)
    const out: V = { name: this.n('Mul', [x.name, half1pt]), shape: x.shape, grad: x.grad };
    return this.op1(out, [x], (gy) => {
      const one_t2 = this.n('Sub', [this.scalar(1), this.n('Mul', [t, t])]);
      const dinner = this.n('Add', [this.scalar(0.5 * GELU_C), this.n('Mul', [x2, this.scalar(0.5 * GELU_C * 3 * GELU_A)])]);
      const d = this.n('Add', [half1pt, this.n('Mul', [this.n('Mul', [x.name, one_t2]), dinner])]);
      return [this.n('Mul', [gy, d])];
    });
  }

  /**
   * Rotary position embedding over the last axis (size D, half-split pairs (i, i + D/2); see rope.ts):
   * y = x * cos + swap(x) * sin, swap = the two halves of the last axis exchanged.
   * cos = [c, c] and sin = [-s, s] (..., D) are constants (no gradient) that broadcast to x's shape.
   * swap is a Gather of [1, 0] on x viewed as (..., 2, D/2): blocks of D/2 contiguous floats (a
   * Gather of D single elements on the last axis ran ~10x slower in onnxruntime).
   * Backward: y = C x + S P x with C, S diagonal and P the swap, so
   *   dX = C dY + P^T S dY = dY * cos + swap(dY * sin)   (the swap is its own inverse).
   * `out` names the result (e.g. a graph output); forward-only graphs may use symbolic dims.
   */
  rope(x: V, cos: V, sin: V, out?: string): V {
    if (cos.grad || sin.grad) throw new Error('internal: rope tables take no gradient');
    const D = x.shape[x.shape.length - 1];
    if (typeof D !== 'number' || D % 2 !== 0) throw new Error(`internal: rope needs an even, fixed last dim, got ${String(D)}`);
    const lead = new Array<number>(x.shape.length - 1).fill(0); // Reshape: 0 = keep that dim
    const halves = this.ints([...lead, 2, D / 2]);
    const whole = this.ints([...lead, D]);
    const order = this.ints([1, 0]);
    const swap = (z: string): string => this.n('Reshape', [this.n('Gather', [this.n('Reshape', [z, halves]), order], { axis: x.shape.length - 1 }), whole]);
    const terms = [this.n('Mul', [x.name, cos.name]), this.n('Mul', [swap(x.name), sin.name])];
    const [y] = this.g.node('Add', terms, {}, out === undefined ? 1 : [out]);
    const res: V = { name: y as string, shape: x.shape, grad: x.grad };
    return this.op1(res, [x, cos, sin], (gy) => [this.n('Add', [this.n('Mul', [gy, cos.name]), swap(this.n('Mul', [gy, sin.name]))]), null, null]);
  }

  /** Forward-only gelu(x + bias), tanh approximation, as onnxruntime's fused com.microsoft.FastGelu. */
  fastGeluBias(x: V, bias: V): V {
    if (x.grad || bias.grad) throw new Error('internal: fastGeluBias has no backward; use add + gelu when training');
    const [y] = this.g.node('FastGelu', [x.name, bias.name], {}, 1, 'com.microsoft');
    return { name: y as string, shape: x.shape, grad: false };
  }

  /**
   * Mean masked cross-entropy. logits (N, V), onehot (N, V) targets, weight (N, 1) = mask / sum(mask)
   * (computed by the caller, so an all-zero mask gives loss 0, not NaN). Returns a scalar.
   * dlogits = (softmax(logits) - onehot) * weight * dloss.
   */
  softmaxCrossEntropy(logits: V, onehot: V, weight: V): V {
    const lsm = this.n('LogSoftmax', [logits.name], { axis: -1 });
    const picked = this.n('ReduceSum', [this.n('Mul', [lsm, onehot.name]), this.ints([-1])], { keepdims: 1 }); // (N,1)
    const loss = this.n('Neg', [this.n('ReduceSum', [this.n('Mul', [picked, weight.name])], { keepdims: 0 })]);
    const out: V = { name: loss, shape: [], grad: logits.grad };
    return this.op1(out, [logits, onehot, weight], (gy) => {
      const p = this.n('Exp', [lsm]);
      const d = this.n('Mul', [this.n('Sub', [p, onehot.name]), weight.name]);
      return [this.n('Mul', [d, gy]), null, null];
    });
  }

  // ---- backward ----------------------------------------------------------------------------

  /** Emit the backward of a scalar `loss`; returns gradient value names for each requested leaf. */
  backward(loss: V, leaves: V[]): Map<string, string> {
    return this.backwardFrom(loss, this.g.constant('one', this.elem, [], [1]), leaves);
  }

  /** Backward from any value `y` with a given upstream gradient `seed` (same shape as y). */
  backwardFrom(y: V, seed: string, leaves: V[]): Map<string, string> {
    const grads = new Map<string, string[]>();
    grads.set(y.name, [seed]);
    const total = (name: string): string | null => {
      const gs = grads.get(name);
      if (!gs || gs.length === 0) return null;
      if (gs.length === 1) return gs[0] as string;
      const s = gs.length === 2 ? this.n('Add', gs) : this.n('Sum', gs);
      grads.set(name, [s]);
      return s;
    };
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const e = this.tape[i] as Entry;
      const gys = e.out.map((o) => total(o.name));
      if (gys.every((g) => g === null)) continue;
      const gxs = e.back(gys);
      e.inputs.forEach((x, j) => {
        const gx = gxs[j];
        if (!x.grad || gx === null || gx === undefined) return;
        const list = grads.get(x.name) ?? [];
        list.push(gx);
        grads.set(x.name, list);
      });
    }
    const out = new Map<string, string>();
    for (const leaf of leaves) {
      const g = total(leaf.name) ?? this.zeros(leaf);
      out.set(leaf.name, g);
    }
    return out;
  }
}
