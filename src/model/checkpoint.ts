/**
 * Model checkpoints: a versioned folder
 *   DIR/config.json        {"format":"terminalworld.checkpoint","version":1,"model":{d,layers,heads,context,vocab,framing[,positions]},"step":N,...}
 *   DIR/model.safetensors  every parameter, float32, named as in config.paramShapes
 * "positions" is written only for 'rotary' (no wpe tensor); absent means 'learned' (a wpe tensor), so
 * learned-position checkpoints are written exactly as before the option existed. Likewise "tokenizer"
 * is written only for 'bpe': such a checkpoint also holds
 *   DIR/tokenizer.json     the BPE merges (src/model/bpe.ts, format terminalworld.tokenizer), whose
 *                          sha256 config.json keeps as "tokenizerSha256"
 * and is refused, with the fix, when the file is missing, of another size or another tokenizer.
 * A training run folder (see ../train/run.ts) holds checkpoints/step-XXXXXXX/ folders like this one plus
 * optimizer state; `resolveModelDir` accepts either and picks the run's latest checkpoint.
 * Loading needs nothing from the training code.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TwError } from '../core/errors.js';
import { type ModelConfig, modelSchema, paramShapes } from './config.js';
import { writeFileAtomic } from '../core/fsutil.js';
import type { Params } from './params.js';
import { BYTES, BpeTokenizer, TOKENIZER_FILE, type Tokenizer, readTokenizer } from './bpe.js';
import { type TensorEntry, readSafetensors, writeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'terminalworld.checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointInfo {
  format: string;
  version: number;
  model: ModelConfig;
  step: number;
  [k: string]: unknown;
}

export function saveModel(dir: string, m: ModelConfig, params: Params, extra: Record<string, unknown> = {}, tokenizer?: Tokenizer): void {
  mkdirSync(dir, { recursive: true });
  if (m.tokenizer === 'bpe') {
    if (!(tokenizer instanceof BpeTokenizer)) throw new Error('internal: a bpe model is saved with its BpeTokenizer');
    if (tokenizer.size !== m.vocab) throw new Error(`internal: tokenizer of ${tokenizer.size} ids for a model of vocab ${m.vocab}`);
    writeFileAtomic(join(dir, TOKENIZER_FILE), tokenizer.serialize());
    extra = { ...extra, tokenizerSha256: tokenizer.hash };
  }
  const tensors = new Map<string, TensorEntry>();
  for (const [name, shape] of paramShapes(m)) {
    const data = params.get(name);
    if (!data) throw new Error(`internal: missing parameter ${name}`);
    tensors.set(name, { shape, data });
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION) });
  // learned positions are the default: leave the field out, as checkpoints did before it existed
  const { positions, tokenizer: tk, ...rest } = m;
  const model = { ...rest, ...(positions === 'learned' ? {} : { positions }), ...(tk === 'bytes' ? {} : { tokenizer: tk }) };
  const info = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, model, step: 0, ...extra };
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(info, null, 2) + '\n');
}

/** A checkpoint folder, or a run folder (its latest checkpoint). */
export function resolveModelDir(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TwError(`no model folder at ${dir}`, 'pass a checkpoint folder or a `tw train --out` run folder');
  }
  if (existsSync(join(dir, 'config.json'))) return dir;
  const latest = join(dir, 'latest.json');
  if (existsSync(latest)) {
    const l = JSON.parse(readFileSync(latest, 'utf8')) as { dir?: unknown };
    if (typeof l.dir === 'string') return join(dir, l.dir);
  }
  throw new TwError(
    `${dir} holds no checkpoint (no config.json, no latest.json)`,
    'train one with `tw train --out DIR`, or point at a checkpoints/step-N folder',
  );
}

export function readCheckpointInfo(dir: string): CheckpointInfo {
  const file = join(dir, 'config.json');
  if (!existsSync(file))
    throw new TwError(`missing ${file}`, 'a checkpoint folder holds config.json and model.safetensors; re-run `tw train` or pick another checkpoint');
  let raw: { format?: unknown; version?: unknown; model?: unknown; step?: unknown };
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
  } catch {
    throw new TwError(`corrupt ${file} (not JSON)`, 'restore it from another checkpoint or re-run `tw train`');
  }
  if (raw.format !== CHECKPOINT_FORMAT)
    throw new TwError(`${file} is not a TerminalWorld checkpoint (format ${String(raw.format)})`, 'point --model at a folder written by `tw train`');
  if (raw.version !== CHECKPOINT_VERSION) {
    throw new TwError(
      `${file} is checkpoint version ${String(raw.version)}, this build reads version ${CHECKPOINT_VERSION}`,
      're-train with this version (`tw train`) or use the matching release',
    );
  }
  const m = modelSchema.safeParse(raw.model);
  if (!m.success) throw new TwError(`${file}: invalid model config (${m.error.issues[0]?.message ?? ''})`, 'restore the file from the run folder');
  return { ...(raw as CheckpointInfo), model: m.data };
}

/**
 * The tokenizer a checkpoint was trained with: bytes, or the BPE of its tokenizer.json, checked
 * against config.json (the vocab and the recorded sha256).
 */
export function loadTokenizer(dir: string, info: CheckpointInfo): Tokenizer {
  const file = join(dir, TOKENIZER_FILE);
  if (info.model.tokenizer !== 'bpe') {
    if (existsSync(file)) {
      throw new TwError(
        `tokenizer does not match in ${dir}: config.json says tokenizer "bytes" (the default when the field is absent), but the folder holds ${TOKENIZER_FILE} (a BPE tokenizer)`,
        `remove ${file} if the model was trained on bytes, or restore the config.json saved with these weights (model.tokenizer "bpe")`,
      );
    }
    return BYTES;
  }
  if (!existsSync(file)) {
    throw new TwError(
      `tokenizer does not match in ${dir}: config.json says tokenizer "bpe" (vocab ${info.model.vocab}), but there is no ${TOKENIZER_FILE}`,
      `copy ${TOKENIZER_FILE} from the run folder the model was trained in (tw train writes it there and into every checkpoint)`,
    );
  }
  const tok = readTokenizer(file, info.model.vocab);
  const want = info.tokenizerSha256;
  if (typeof want === 'string' && want !== tok.hash) {
    throw new TwError(
      `tokenizer does not match in ${dir}: ${TOKENIZER_FILE} has merges with sha256 ${tok.hash.slice(0, 12)}…, the model was trained with ${want.slice(0, 12)}…`,
      `copy ${TOKENIZER_FILE} from the run folder the model was trained in; a tokenizer trained again on other data is another tokenizer, and the model must be retrained with it`,
    );
  }
  return tok;
}

/** Load config and weights; any mismatch between them is a clear error. */
export function loadModel(dirOrRun: string): { dir: string; info: CheckpointInfo; params: Params; tokenizer: Tokenizer } {
  const dir = resolveModelDir(dirOrRun);
  const info = readCheckpointInfo(dir);
  const file = join(dir, 'model.safetensors');
  const { tensors } = readSafetensors(file);
  const params: Params = new Map();
  const pos = info.model.positions;
  if (tensors.has('wpe') !== (pos === 'learned')) {
    throw new TwError(
      `config and weights do not match in ${dir}: config.json says positions "${pos}"${pos === 'learned' ? ' (the default when the field is absent)' : ''}, but the weights ${tensors.has('wpe') ? 'hold wpe, i.e. positions "learned"' : 'have no wpe, i.e. positions "rotary"'}`,
      'use the config.json that was saved with these weights (model.positions: "learned" has a wpe tensor, "rotary" has none)',
    );
  }
  const expected = paramShapes(info.model);
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t)
      throw new TwError(
        `config and weights do not match in ${dir}: weights lack ${name} (config says ${info.model.layers} layers, d=${info.model.d})`,
        'use the config.json that was saved with these weights',
      );
    if (t.shape.join('x') !== shape.join('x')) {
      throw new TwError(
        `config and weights do not match in ${dir}: ${name} is ${t.shape.join('x')} in the weights, ${shape.join('x')} by config.json`,
        'use the config.json that was saved with these weights',
      );
    }
    params.set(name, t.data);
  }
  if (tensors.size !== expected.length) {
    const extra = [...tensors.keys()].filter((k) => !expected.some(([n]) => n === k));
    throw new TwError(
      `config and weights do not match in ${dir}: unexpected tensors ${extra.slice(0, 3).join(', ')}`,
      'use the config.json that was saved with these weights',
    );
  }
  const tokenizer = loadTokenizer(dir, info);
  return { dir, info, params, tokenizer };
}
