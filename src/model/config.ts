/**
 * Model and training configuration. Named configs live in configs/<name>.json:
 *   {"format":"terminalworld.config","version":1,"name":"reference",
 *    "model":{"d":256,"layers":4,"heads":4,"context":256},   (optional: "framing", "positions")
 *    "train":{"batch":8,"steps":2000,"lr":0.001,...}}
 * `tw train --config NAME|FILE` takes a name (looked up in configs/) or a path.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TwError } from '../core/errors.js';
import { TOKENIZERS } from './bpe.js';
import { FRAMINGS, VOCAB } from './framing.js';

export const CONFIG_FORMAT = 'terminalworld.config';
export const CONFIG_VERSION = 1;

/**
 * How the model knows where a token is: 'learned' absolute position embeddings (a wpe (T,C)
 * parameter added to the token embedding), or 'rotary' (RoPE: no wpe; q and k of every attention
 * layer are rotated by an angle proportional to the position, see rope.ts). Configs and
 * checkpoints without the field are 'learned'.
 */
export const POSITIONS = ['learned', 'rotary'] as const;
export type Positions = (typeof POSITIONS)[number];

/**
 * How byte runs become ids (src/model/bpe.ts): 'bytes' (every byte an id; vocab 264) or 'bpe'
 * (byte-level BPE learned on the corpus: vocab = 263 + merges, e.g. 1024; its merges live in
 * tokenizer.json beside the checkpoint). Configs and checkpoints without the field are 'bytes'.
 */
export const modelSchema = z
  .object({
    d: z.number().int().positive(),
    layers: z.number().int().positive(),
    heads: z.number().int().positive(),
    context: z.number().int().min(2),
    vocab: z.number().int().default(264),
    /** how sessions become tokens: 'turns' (src/model/framing.ts) or 'state' (src/model/stateframing.ts) */
    framing: z.enum(FRAMINGS).default('turns'),
    /** position encoding: 'learned' (wpe) or 'rotary' (RoPE on q and k); see POSITIONS */
    positions: z.enum(POSITIONS).default('learned'),
    /** 'bytes' or 'bpe' (a vocab above 263 then sets the merges: vocab - 263); see TOKENIZERS */
    tokenizer: z.enum(TOKENIZERS).default('bytes'),
  })
  .strict()
  .refine((m) => m.d % m.heads === 0, { message: 'd must be a multiple of heads' })
  .refine((m) => m.positions !== 'rotary' || (m.d / m.heads) % 2 === 0, {
    message: 'positions "rotary" rotates pairs of dims: the head size d/heads must be even',
  })
  .refine((m) => m.tokenizer !== 'bpe' || (m.vocab > VOCAB && m.vocab <= 65536), {
    message: `tokenizer "bpe" needs a vocab above ${VOCAB} (bytes and specials) and at most 65536: e.g. "vocab": 1024 gives ${1024 - VOCAB} merges`,
  })
  .refine((m) => m.vocab >= VOCAB, {
    message: `vocab must hold the ${VOCAB} token ids of the framings (framing "turns" uses 260, "state" 263): set vocab to 264`,
  });

export const trainSchema = z
  .object({
    batch: z.number().int().positive().default(8),
    accum: z.number().int().positive().default(1),
    steps: z.number().int().positive().default(1000),
    lr: z.number().positive().default(1e-3),
    minLr: z.number().nonnegative().default(1e-4),
    warmup: z.number().int().nonnegative().default(100),
    weightDecay: z.number().nonnegative().default(0.1),
    beta1: z.number().default(0.9),
    beta2: z.number().default(0.95),
    eps: z.number().default(1e-8),
    clip: z.number().positive().default(1.0),
    mask: z.enum(['world', 'full']).default('world'),
    /** pack several windows per batch row (block-diagonal attention, positions restart) */
    pack: z.boolean().default(true),
    evalEvery: z.number().int().positive().default(200),
    evalBatches: z.number().int().positive().default(8),
    checkpointEvery: z.number().int().positive().default(200),
    seed: z.number().int().default(1),
    validFraction: z.number().min(0).max(0.5).default(0.05),
    threads: z.number().int().positive().default(2),
  })
  .strict();

export const configSchema = z
  .object({
    format: z.literal(CONFIG_FORMAT),
    version: z.literal(CONFIG_VERSION),
    name: z.string(),
    description: z.string().optional(),
    model: modelSchema,
    train: trainSchema.default(trainSchema.parse({})),
  })
  .strict();

export type ModelConfig = z.infer<typeof modelSchema>;
export type TrainConfig = z.infer<typeof trainSchema>;
export type Config = z.infer<typeof configSchema>;

/** The repository's configs/ folder. */
export function configsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'configs');
}

export function namedConfigs(): string[] {
  const dir = configsDir();
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
}

export function parseConfig(raw: unknown, where: string): Config {
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TwError(
      `invalid config ${where}: \`${issue?.path.join('.') || '(root)'}\` ${issue?.message ?? ''}`,
      `compare with configs/reference.json (format "${CONFIG_FORMAT}", version ${CONFIG_VERSION})`,
    );
  }
  return r.data;
}

/** Load a config by name (configs/<name>.json) or by file path. */
export function loadConfig(nameOrFile: string): Config {
  const file = existsSync(nameOrFile) ? nameOrFile : join(configsDir(), `${nameOrFile}.json`);
  if (!existsSync(file)) {
    throw new TwError(`unknown config "${nameOrFile}"`, `use one of: ${namedConfigs().join(', ') || '(none found)'}, or a path to a config .json file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TwError(`config ${file} is not valid JSON (${(e as Error).message})`, 'fix the file');
  }
  return parseConfig(raw, file);
}

/** Ids the model may emit: the framings' 263 with bytes (pad ids never), every id of the vocabulary with BPE. */
export function realVocab(m: Pick<ModelConfig, 'tokenizer' | 'vocab'>): number {
  return m.tokenizer === 'bpe' ? m.vocab : VOCAB;
}

/** Parameter names and shapes, in a fixed order (the order of graph inputs and of the safetensors file). */
export function paramShapes(m: ModelConfig): [string, number[]][] {
  const C = m.d;
  const out: [string, number[]][] = [['wte', [m.vocab, C]]];
  if (m.positions === 'learned') out.push(['wpe', [m.context, C]]); // rotary: no position parameter
  for (let l = 0; l < m.layers; l++) {
    out.push(
      [`h${l}.ln1.g`, [C]],
      [`h${l}.ln1.b`, [C]],
      [`h${l}.attn.w`, [C, 3 * C]],
      [`h${l}.attn.b`, [3 * C]],
      [`h${l}.proj.w`, [C, C]],
      [`h${l}.proj.b`, [C]],
      [`h${l}.ln2.g`, [C]],
      [`h${l}.ln2.b`, [C]],
      [`h${l}.fc.w`, [C, 4 * C]],
      [`h${l}.fc.b`, [4 * C]],
      [`h${l}.out.w`, [4 * C, C]],
      [`h${l}.out.b`, [C]],
    );
  }
  out.push(['lnf.g', [C]], ['lnf.b', [C]]);
  return out;
}

export function paramCount(m: ModelConfig): number {
  return paramShapes(m).reduce((s, [, sh]) => s + sh.reduce((a, b) => a * b, 1), 0);
}
