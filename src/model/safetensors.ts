/**
 * safetensors read/write (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..strings..}},
 * then the raw little-endian tensor bytes. Hand-written (about 80 lines) because the format is this small
 * and the npm packages for it are either unmaintained or pull in large ML stacks; float32 only, which is
 * all the engine stores.
 */
import { readFileSync } from 'node:fs';
import { TwError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fsutil.js';

export interface TensorEntry {
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(tensors: Map<string, TensorEntry>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`internal: tensor ${name} has ${t.data.length} values, shape ${t.shape.join('x')}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const hbytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + hbytes.length + offset);
  out.writeBigUInt64LE(BigInt(hbytes.length), 0);
  hbytes.copy(out, 8);
  let pos = 8 + hbytes.length;
  for (const t of tensors.values()) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, pos);
    pos += t.data.byteLength;
  }
  return out;
}

export function writeSafetensors(file: string, tensors: Map<string, TensorEntry>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

export interface Safetensors {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Parse a safetensors buffer; any inconsistency is a TwError naming the file. */
export function decodeSafetensors(buf: Buffer, file: string): Safetensors {
  const bad = (why: string): TwError =>
    new TwError(`corrupt weights file ${file}: ${why}`, 'restore it from another checkpoint, or re-run `tw train` to write it again');
  if (buf.length < 8) throw bad('shorter than the 8-byte header length');
  const hlen = Number(buf.readBigUInt64LE(0));
  if (hlen <= 0 || 8 + hlen > buf.length) throw bad(`header length ${hlen} does not fit in ${buf.length} bytes`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw bad('header is not JSON');
  }
  const base = 8 + hlen;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== 'F32') throw bad(`tensor ${name} has dtype ${String(e.dtype)}, only F32 is supported`);
    const shape = e.shape as number[];
    const [b, en] = e.data_offsets as [number, number];
    const n = shape.reduce((a, c) => a * c, 1);
    if (!Array.isArray(shape) || en - b !== 4 * n || base + en > buf.length) throw bad(`tensor ${name} offsets do not match its shape or the file size`);
    const data = new Float32Array(n);
    Buffer.from(data.buffer).set(buf.subarray(base + b, base + en));
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}

export function readSafetensors(file: string): Safetensors {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    throw new TwError(
      `missing weights file ${file}`,
      'point --model at a checkpoint folder written by `tw train` (it holds config.json and model.safetensors)',
    );
  }
  return decodeSafetensors(buf, file);
}
