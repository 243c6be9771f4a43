/**
 * A thin writer for ONNX graphs (protobuf via `onnx-proto`) and a session opener for
 * onnxruntime-node. Nothing here knows about gradients or GPTs: see autodiff.ts and gpt.ts.
 *
 * A graph is a list of nodes over named values. Dimensions are numbers (fixed) or strings
 * (symbolic, e.g. 'B' or 'S': onnxruntime then accepts any size at run time).
 */
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

export type DType = 'float32' | 'float64';
export type Dim = number | string;

export const ELEM = { float32: 1, int32: 6, int64: 7, float64: 11 } as const;
export type ElemName = keyof typeof ELEM;

export type AttrValue = number | number[] | string | { float: number } | { tensor: { dims: number[]; dtype: DType; data: number[] } };

interface IO {
  name: string;
  elem: ElemName;
  dims: Dim[];
}

export class OnnxGraph {
  private nodes: P.INodeProto[] = [];
  private inputs: IO[] = [];
  private outputs: IO[] = [];
  private inits: P.ITensorProto[] = [];
  private counter = 0;

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, elem: ElemName, dims: Dim[]): string {
    this.inputs.push({ name, elem, dims });
    return name;
  }

  output(name: string, elem: ElemName, dims: Dim[]): void {
    this.outputs.push({ name, elem, dims });
  }

  /** A constant tensor stored in the graph. */
  constant(prefix: string, elem: ElemName, dims: number[], values: ArrayLike<number>): string {
    const name = this.fresh(prefix);
    const t: P.ITensorProto = { name, dataType: ELEM[elem], dims };
    if (elem === 'int64') t.int64Data = Array.from(values);
    else if (elem === 'int32') t.int32Data = Array.from(values);
    else if (elem === 'float64') t.doubleData = Array.from(values);
    else t.floatData = Array.from(values);
    this.inits.push(t);
    return name;
  }

  /** A named float32 initializer stored as raw little-endian bytes (used for baked-in weights). */
  initializer(name: string, dims: number[], values: Float32Array): string {
    this.inits.push({ name, dataType: ELEM.float32, dims, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
    return name;
  }

  /**
   * Append a node; returns its output names: `nOut` fresh ones, or the given names (e.g. graph
   * outputs written by the node itself, with no Identity in between).
   */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOut: number | string[] = 1, domain = ''): string[] {
    const outs = typeof nOut === 'number' ? Array.from({ length: nOut }, () => this.fresh(op.toLowerCase())) : nOut;
    const attribute: P.IAttributeProto[] = [];
    for (const [name, v] of Object.entries(attrs)) {
      if (typeof v === 'number') attribute.push({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
      else if (typeof v === 'string') attribute.push({ name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(v) });
      else if (Array.isArray(v)) attribute.push({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
      else if ('float' in v) attribute.push({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v.float });
      else {
        const t: P.ITensorProto = { dataType: ELEM[v.tensor.dtype], dims: v.tensor.dims };
        if (v.tensor.dtype === 'float64') t.doubleData = v.tensor.data;
        else t.floatData = v.tensor.data;
        attribute.push({ name, type: onnx.AttributeProto.AttributeType.TENSOR, t });
      }
    }
    this.nodes.push({ opType: op, input: inputs, output: outs, attribute, domain, name: outs[0] });
    return outs;
  }

  /** Rename the single output of the last node that produced `value` to `name` (for graph outputs). */
  alias(value: string, name: string, elem: ElemName, dims: Dim[]): void {
    this.node('Identity', [value]);
    const last = this.nodes[this.nodes.length - 1];
    if (last) last.output = [name];
    this.output(name, elem, dims);
  }

  encode(): Uint8Array {
    const vi = (io: IO): P.IValueInfoProto => ({
      name: io.name,
      type: {
        tensorType: {
          elemType: ELEM[io.elem],
          shape: { dim: io.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const model: P.IModelProto = {
      irVersion: 8,
      producerName: 'terminalworld',
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph: {
        name: 'tw',
        node: this.nodes,
        input: this.inputs.map(vi),
        output: this.outputs.map(vi),
        initializer: this.inits,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}

export interface SessionOpts {
  threads?: number;
  optimize?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Open an onnxruntime session over an encoded graph. */
export async function openSession(bytes: Uint8Array, opts: SessionOpts = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: opts.threads ?? 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimize ?? 'all',
    enableCpuMemArena: process.env['TW_ORT_ARENA'] !== '0',
  });
}

export { ort };
