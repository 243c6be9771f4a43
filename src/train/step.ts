/**
 * One training micro-step on onnxruntime: feeds parameters and a batch to the train graph
 * (gpt.ts), returns the loss and every parameter's gradient. Shapes are fixed per session
 * (batch B, context T = config.context); a new B means a new TrainStep (~0.2 s to build).
 */
import { type ModelConfig, paramShapes } from '../model/config.js';
import { trainGraph } from '../model/gpt.js';
import { openSession, ort } from '../model/onnx.js';
import type { Params } from '../model/params.js';
import { oob } from '../core/errors.js';

/**
 * B rows of T+1 tokens (0-padded), their per-token loss weights (0 on padding and on the first
 * token of every segment), and a segment id per token: a row may pack several windows; a token
 * attends only to earlier tokens of its own segment, and positions restart at each segment.
 */
export interface Batch {
  B: number;
  T: number;
  tokens: Int32Array; // (B, T+1)
  mask: Float32Array; // (B, T+1): mask[b, i] weights the prediction of tokens[b, i]
  seg: Int32Array; // (B, T+1)
}

export function maskSum(b: Batch): number {
  let s = 0;
  for (let r = 0; r < b.B; r++) for (let i = 1; i <= b.T; i++) s += b.mask[r * (b.T + 1) + i] ?? oob();
  return s;
}

export class TrainStep {
  private readonly posOh: Float32Array;
  private readonly amask: Float32Array;
  private readonly xOh: Float32Array;
  private readonly yOh: Float32Array;
  private readonly weight: Float32Array;
  private readonly shapes: Map<string, number[]>;

  private constructor(
    readonly m: ModelConfig,
    readonly B: number,
    private readonly session: ort.InferenceSession,
    readonly paramNames: string[],
  ) {
    const T = m.context;
    this.posOh = new Float32Array(B * T * T);
    this.amask = new Float32Array(B * T * T);
    this.xOh = new Float32Array(B * T * m.vocab);
    this.yOh = new Float32Array(B * T * m.vocab);
    this.weight = new Float32Array(B * T);
    this.shapes = new Map(paramShapes(m));
  }

  static async create(m: ModelConfig, B: number, threads = 2, withGrads = true): Promise<TrainStep> {
    const g = trainGraph(m, B, 'float32', withGrads);
    const session = await openSession(g.bytes, { threads });
    return new TrainStep(m, B, session, g.paramNames);
  }

  /**
   * Loss and gradients for one batch. `denom` normalizes the loss: the sum of mask weights over
   * every micro-batch of the optimizer step (so accumulation equals one big batch).
   */
  async run(params: Params, batch: Batch, denom: number): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    const { m, B } = this;
    const T = m.context;
    const Vp = m.vocab;
    if (batch.B !== B || batch.T !== T) throw new Error(`internal: batch ${batch.B}x${batch.T}, step built for ${B}x${T}`);
    this.xOh.fill(0);
    this.yOh.fill(0);
    this.posOh.fill(0);
    this.amask.fill(-1e9);
    for (let r = 0; r < B; r++) {
      let start = 0;
      for (let i = 0; i < T; i++) {
        const sg = batch.seg[r * (T + 1) + i] ?? oob();
        if (i > 0 && sg !== batch.seg[r * (T + 1) + i - 1]) start = i;
        this.posOh[(r * T + i) * T + (i - start)] = 1;
        this.amask.fill(0, (r * T + i) * T + start, (r * T + i) * T + i + 1);
      }
    }
    for (let r = 0; r < B; r++) {
      for (let i = 0; i < T; i++) {
        const n = r * T + i;
        const x = batch.tokens[r * (T + 1) + i] ?? oob();
        const y = batch.tokens[r * (T + 1) + i + 1] ?? oob();
        this.xOh[n * Vp + x] = 1;
        this.yOh[n * Vp + y] = 1;
        this.weight[n] = denom > 0 ? (batch.mask[r * (T + 1) + i + 1] ?? oob()) / denom : 0;
      }
    }
    const feeds: Record<string, ort.Tensor> = {
      x_onehot: new ort.Tensor('float32', this.xOh, [B * T, Vp]),
      y_onehot: new ort.Tensor('float32', this.yOh, [B * T, Vp]),
      weight: new ort.Tensor('float32', this.weight, [B * T, 1]),
      pos_onehot: new ort.Tensor('float32', this.posOh, [B * T, T]),
      attn_mask: new ort.Tensor('float32', this.amask, [B, 1, T, T]),
    };
    for (const name of this.paramNames) {
      const a = params.get(name);
      if (!a) throw new Error(`internal: missing parameter ${name}`);
      feeds[name] = new ort.Tensor('float32', a, this.shapes.get(name));
    }
    const out = await this.session.run(feeds);
    const loss = out['loss']?.data[0] as number;
    const grads = new Map<string, Float32Array>();
    for (const name of this.paramNames) {
      const g = out[`grad:${name}`];
      if (g) grads.set(name, g.data as Float32Array);
    }
    return { loss, grads };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
