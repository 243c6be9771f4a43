/**
 * `tw train`: the training loop and its run folder.
 *
 *   OUT/meta.json        commit, config, seed, data hash, data files (written once; checked on --resume)
 *   OUT/metrics.jsonl    {"kind":"train","step",..,"loss","lr","gradNorm","tokPerSec","fill"} / {"kind":"eval","step","validLoss"}
 *                        (fill = share of batch positions holding real tokens, after packing)
 *   OUT/checkpoints/step-0000200/  config.json + model.safetensors (a model checkpoint, see model/checkpoint.ts)
 *                                  + optimizer.safetensors (AdamW m, v) + state.json (step, data cursor, Adam t)
 *   OUT/latest.json      {"step":200,"dir":"checkpoints/step-0000200"}, replaced atomically after a checkpoint is complete
 *
 * Resume (--resume, also after kill -9) restarts from latest.json and reproduces the uninterrupted run bit for bit:
 * parameters, Adam state, the step and the data cursor are all restored; metrics lines past the checkpoint are dropped
 * (they are recomputed identically). A NaN/inf loss stops the run naming the step; the last checkpoint stays.
 *
 * Warm start (--init DIR): the weights come from a model checkpoint of the same shape instead of the seeded init;
 * the optimizer, schedule and data cursor start fresh. The framing and the positions may differ: from learned to
 * rotary positions wpe is dropped (every other tensor copied), from rotary to learned wpe keeps its seeded init.
 * A byte model may warm-start a BPE model of the same shape: the embedding grows to the BPE vocabulary (transferVocab).
 * A run with more layers than its source grows: the new blocks go on top as identities (growLayers); a run with a
 * longer context (learned positions) tiles the source's position table (growContext).
 * meta.json records the source (path, step, weights sha256, any positions change), and a resume before the first
 * checkpoint re-applies it from there.
 *
 * Tokenizer (model.tokenizer "bpe", src/model/bpe.ts): the run's merges are OUT/tokenizer.json, learned on the
 * training sessions at the start of the run (or taken from --tokenizer FILE), written before the first step, kept
 * on resume (its sha256 is in meta.json) and copied into every checkpoint. Windows, T and tokens/s then count BPE
 * ids; meta.json's data.bytes counts the same windows in byte-level positions (what a bytes model would see).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TwError, oob } from '../core/errors.js';
import { runMeta, sha256 } from '../core/meta.js';
import { z } from 'zod';
import { readJsonFile, readJsonlEntries } from '../core/jsonfile.js';
import { type Config, configSchema, modelSchema, paramCount } from '../model/config.js';
import { loadModel, readCheckpointInfo, resolveModelDir, saveModel } from '../model/checkpoint.js';
import { writeFileAtomic } from '../core/fsutil.js';
import { type Params, initParams } from '../model/params.js';
import { AdamW, lrAt } from './adamw.js';
import { STATE_FORMAT, STATE_VERSION, readOptimizer, writeOptimizer } from './optstate.js';
import { BatchStream, type Cursor, evalBatches, loadDataset, trainTokenizer } from './data.js';
import { BYTES, type BpeTokenizer, TOKENIZER_FILE, type Tokenizer, describeTokenizer, readTokenizer } from '../model/bpe.js';
import { ProgressBar } from '../core/progress.js';
import { type Batch, TrainStep, maskSum } from './step.js';
import { VOCAB } from '../model/framing.js';

const KEEP_CHECKPOINTS = 3;

export interface TrainOptions {
  data: string;
  config: Config;
  out: string;
  steps?: number;
  resume?: boolean;
  /** warm start: a model checkpoint (or run folder) of the same shape whose weights replace the seeded init */
  init?: string;
  /** stop after this many minutes of training steps in this invocation (a checkpoint is written at the stop; --resume goes on) */
  maxMinutes?: number;
  /** model.tokenizer "bpe": a tokenizer.json to use instead of learning one on --data */
  tokenizer?: string;
  /** progress output; default: stderr */
  progress?: boolean;
  log?: (line: string) => void;
}

export interface TrainResult {
  step: number;
  lastLoss: number;
  validLoss: number | null;
  checkpoint: string;
}

interface State {
  format: string;
  version: number;
  step: number;
  cursor: Cursor;
  adamT: number;
}

// The run's files, validated when read back (a resume after kill -9 reads what the killed run left).
const count = z.number().int().nonnegative();
const stateSchema: z.ZodType<State> = z.looseObject({
  format: z.string(),
  version: z.number(),
  step: count,
  cursor: z.looseObject({ epoch: count, index: count }),
  adamT: count,
});
const latestSchema = z.looseObject({ step: count, dir: z.string().min(1) });
const metricLineSchema = z.looseObject({ step: count });
/** What a resume reads of meta.json. */
const runMetaSchema = z.looseObject({
  config: configSchema,
  init: z
    .object({
      path: z.string(),
      step: count.nullable(),
      sha256: z.string(),
      positions: z.string().optional(),
      tokenizer: z.string().optional(),
      layers: z.string().optional(),
    })
    .optional(),
  data: z.looseObject({ hash: z.string().optional() }).optional(),
  tokenizer: z.looseObject({ sha256: z.string() }).optional(),
});

const ckptName = (step: number): string => `checkpoints/step-${String(step).padStart(7, '0')}`;

function writeCheckpoint(out: string, cfg: Config, step: number, params: Params, opt: AdamW, cursor: Cursor, tok: Tokenizer): string {
  const rel = ckptName(step);
  const final = join(out, rel);
  const tmp = `${final}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  saveModel(tmp, cfg.model, params, { step, configName: cfg.name }, tok);
  writeOptimizer(tmp, opt);
  const state: State = { format: STATE_FORMAT, version: STATE_VERSION, step, cursor, adamT: opt.t };
  writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  writeFileAtomic(join(out, 'latest.json'), JSON.stringify({ format: 'terminalworld.run-latest', version: 1, step, dir: rel }) + '\n');
  const all = readdirSync(join(out, 'checkpoints'))
    .filter((d) => /^step-\d+$/.test(d))
    .sort();
  for (const d of all.slice(0, Math.max(0, all.length - KEEP_CHECKPOINTS))) rmSync(join(out, 'checkpoints', d), { recursive: true, force: true });
  return final;
}

function readLatest(out: string): { step: number; dir: string } | null {
  const f = join(out, 'latest.json');
  if (!existsSync(f)) return null;
  const l = readJsonFile(f, latestSchema, `point it at the newest complete folder under ${join(out, 'checkpoints')} ({"step":N,"dir":"checkpoints/step-…"})`);
  return { step: l.step, dir: join(out, l.dir) };
}

function restore(dir: string, params: Params, opt: AdamW): State {
  const { params: loaded } = loadModel(dir);
  for (const [k, a] of loaded) (params.get(k) as Float32Array).set(a);
  const stFile = join(dir, 'state.json');
  if (!existsSync(stFile)) throw new TwError(`checkpoint ${dir} has no state.json`, 'it is a model-only checkpoint; start a new run or resume from a full one');
  const st = readJsonFile(
    stFile,
    stateSchema,
    `resume from an earlier checkpoint: point ${join(dirname(dirname(dir)), 'latest.json')} at another folder under checkpoints/, or start a new run (no --resume)`,
  );
  if (st.format !== STATE_FORMAT || st.version !== STATE_VERSION)
    throw new TwError(`${stFile}: train state ${st.format} v${st.version}, this build reads v${STATE_VERSION}`, 'start a new run (no --resume)');
  readOptimizer(dir, opt);
  opt.t = st.adamT;
  return st;
}

function readRunMeta(file: string): z.output<typeof runMetaSchema> {
  return readJsonFile(file, runMetaSchema, 'restore meta.json from a copy of the run folder, or start a new --out');
}

/** Where a warm-started run took its weights from. */
export interface InitSource {
  path: string;
  step: number | null;
  /** sha256 of the source's model.safetensors */
  sha256: string;
  /** when the source's positions differ from the run's: e.g. "learned -> rotary: wpe dropped" */
  positions?: string;
  /** when a byte model warm-starts a BPE one: how the embedding was carried over (transferVocab) */
  tokenizer?: string;
  /** when the run is deeper than the source: how the layers were grown (growLayers) */
  layers?: string;
  /** when the run's context is longer than the source's: how the position table was grown (growContext) */
  context?: string;
}

/**
 * Load a warm start's weights for a run of `cfg`'s shape (checked against `expectSha`, the hash
 * meta.json recorded, when resuming); returns them with the source record that meta.json keeps.
 */
function loadInit(path: string, cfg: Config, tok: Tokenizer, log: (line: string) => void, expectSha?: string): { source: InitSource; weights: Params } {
  const { dir, info, params, tokenizer } = loadModel(path);
  // the shape must match; the framing and the positions may differ (a warm start can learn a new framing,
  // or move between learned and rotary positions: see below)
  // bytes -> bpe: the vocabulary grows (see transferVocab), so the vocab is not part of the shape then
  const crossing = info.model.tokenizer === 'bytes' && cfg.model.tokenizer === 'bpe';
  if (info.model.tokenizer !== cfg.model.tokenizer && !crossing) {
    throw new TwError(
      `--init ${path} was trained with tokenizer "${info.model.tokenizer}", --config ${cfg.name} asks for "${cfg.model.tokenizer}"`,
      'warm-start from a checkpoint with the same tokenizer (or a byte model into a BPE one), or train from scratch without --init',
    );
  }
  // deeper: the run may have more layers than the source (growLayers); longer: a longer context with learned
  // positions (growContext; rotary positions have no table, so any context loads); other dimensions must match
  const growing = cfg.model.layers > info.model.layers;
  const longer = cfg.model.context > info.model.context && cfg.model.positions === 'learned' && info.model.positions === 'learned';
  const shape = (m: Config['model']): string => JSON.stringify([m.d, growing ? 0 : m.layers, m.heads, longer ? 0 : m.context, crossing ? 0 : m.vocab]);
  if (shape(info.model) !== shape(cfg.model)) {
    throw new TwError(
      `--init ${path} is a ${info.model.d}-wide, ${info.model.layers}-layer, ${info.model.heads}-head model with context ${info.model.context}; --config ${cfg.name} asks for d=${cfg.model.d}, ${cfg.model.layers} layers, ${cfg.model.heads} heads, context ${cfg.model.context}`,
      'warm-start from a checkpoint of the same shape (same config, or the same with more layers), or train from scratch without --init',
    );
  }
  if (info.model.tokenizer === 'bpe' && cfg.model.tokenizer === 'bpe') {
    const theirs = tokenizer as BpeTokenizer; // loadModel read it and checked it against config.json
    const ours = tok as BpeTokenizer;
    if (theirs.hash !== ours.hash) {
      throw new TwError(
        `--init ${path} was trained with BPE merges of sha256 ${theirs.hash.slice(0, 12)}…, this run's tokenizer is ${ours.hash.slice(0, 12)}…`,
        `leave --tokenizer out (a BPE warm start then keeps its own tokenizer), or pass --tokenizer ${join(dir, TOKENIZER_FILE)}`,
      );
    }
  }
  const hash = sha256(readFileSync(join(dir, 'model.safetensors')));
  if (expectSha !== undefined && hash !== expectSha)
    throw new TwError(`the warm-start weights in ${path} changed since this run began (sha256)`, 'restore them, or start a new --out');
  const source: InitSource = { path, step: typeof info.step === 'number' ? info.step : null, sha256: hash };
  const from = info.model.positions;
  const to = cfg.model.positions;
  if (from !== to) {
    // learned -> rotary: the run has no wpe, drop it; rotary -> learned: the run's wpe keeps its seeded init
    const what =
      from === 'learned'
        ? `wpe dropped (${cfg.model.context}x${cfg.model.d}), every other tensor copied`
        : `wpe initialised fresh (seeded init), every other tensor copied`;
    if (from === 'learned') params.delete('wpe');
    source.positions = `${from} -> ${to}: ${what}`;
    log(`warm start: --init ${path} has positions "${from}", --config ${cfg.name} "${to}": ${what}`);
  }
  if (crossing) {
    const wte = params.get('wte');
    if (!wte) throw new Error(`internal: ${path} has no wte`);
    params.set('wte', transferVocab(wte, info.model.vocab, cfg.model.vocab, cfg.model.d, tok));
    source.tokenizer = `bytes -> bpe (vocab ${info.model.vocab} -> ${cfg.model.vocab}): wte rows of the ${VOCAB} bytes and specials copied, each of the ${cfg.model.vocab - VOCAB} merged ids the mean of its bytes' rows`;
    log(`warm start: --init ${path} is a byte model, --config ${cfg.name} BPE: ${source.tokenizer}`);
  }
  if (longer) {
    const wpe = params.get('wpe');
    if (!wpe) throw new Error(`internal: ${path} has no wpe`);
    params.set('wpe', growContext(wpe, info.model.context, cfg.model.context, cfg.model.d));
    source.context = `${info.model.context} -> ${cfg.model.context}: wpe rows 0..${info.model.context - 1} copied, row t past them = row t mod ${info.model.context} (tiled, as Longformer extended RoBERTa's positions)`;
    log(`warm start: --init ${path}: context ${source.context}`);
  }
  if (growing) {
    growLayers(params, info.model.layers, cfg.model.layers, cfg.model.d);
    source.layers = `${info.model.layers} -> ${cfg.model.layers}: layers 0..${info.model.layers - 1} copied, ${cfg.model.layers - info.model.layers} added on top with their output projections (proj, out) at 0, so the grown model computes what the source did at step 0`;
    log(`warm start: --init ${path}: ${source.layers}`);
  }
  return { source, weights: params };
}

/**
 * Context growth for learned positions: the source's T0 position rows are copied, and every row t >= T0 starts
 * as row t mod T0 (Longformer, Beltagy et al. 2020, extended RoBERTa's 512 positions to 4,096 by copying them,
 * and found it trained on far faster than a fresh table). Windows up to T0 tokens are computed exactly as by
 * the source; attention by content carries over to the new positions, and training tells them apart.
 */
export function growContext(wpe: Float32Array, from: number, to: number, C: number): Float32Array {
  if (wpe.length !== from * C) throw new Error(`internal: wpe holds ${wpe.length} values, not ${from} x ${C}`);
  const out = new Float32Array(to * C);
  for (let t = 0; t < to; t++) out.set(wpe.subarray((t % from) * C, ((t % from) + 1) * C), t * C);
  return out;
}

/**
 * Depth growth: the source's `from` blocks keep their places; blocks from..to-1 are added on top with their
 * residual output projections (attn proj, MLP out, weights and biases) at 0, so each new block adds nothing to
 * the residual stream and the grown model's logits equal the source's at step 0 (zero-initialised residual
 * branches, as in ReZero / Fixup). Their other tensors (ln gains 1, qkv and fc weights) keep the run's seeded
 * init: the gradient reaches proj/out at the first step (its input activations are not 0) and the rest after.
 * Adds the zero tensors to `params`; the caller's seeded init fills the tensors it does not name.
 */
export function growLayers(params: Params, from: number, to: number, C: number): void {
  for (let l = from; l < to; l++) {
    params.set(`h${l}.proj.w`, new Float32Array(C * C));
    params.set(`h${l}.proj.b`, new Float32Array(C));
    params.set(`h${l}.out.w`, new Float32Array(4 * C * C));
    params.set(`h${l}.out.b`, new Float32Array(C));
  }
}

/**
 * A byte model's token embedding (vocab `from` x C) as a BPE model's (vocab `to` x C): ids 0..262 (bytes and
 * specials) mean the same in both and keep their rows; a merged id starts at the mean of its bytes' rows
 * (as vocabulary-transfer methods such as FVT initialise new subwords). The embedding is tied, so this is
 * also the output layer's warm start. Rows past the tokenizer's ids (padding) stay 0.
 */
export function transferVocab(wte: Float32Array, from: number, to: number, C: number, tok: Tokenizer): Float32Array {
  if (wte.length !== from * C) throw new Error(`internal: wte holds ${wte.length} values, not ${from} x ${C}`);
  const out = new Float32Array(to * C);
  out.set(wte.subarray(0, VOCAB * C));
  for (let id = VOCAB; id < Math.min(to, tok.size); id++) {
    const bytes = tok.bytesOf(id);
    const row = out.subarray(id * C, (id + 1) * C);
    for (const b of bytes) {
      const src = wte.subarray(b * C, (b + 1) * C);
      for (let c = 0; c < C; c++) row[c] = (row[c] ?? 0) + (src[c] ?? 0) / bytes.length;
    }
  }
  return out;
}

/**
 * The run's tokenizer: bytes, or BPE from OUT/tokenizer.json (a resume), --tokenizer FILE, or learned
 * on the training sessions of --data (then written to OUT/tokenizer.json before training starts).
 */
async function runTokenizer(o: TrainOptions, cfg: Config, log: (line: string) => void): Promise<Tokenizer> {
  if (cfg.model.tokenizer !== 'bpe') {
    if (o.tokenizer !== undefined)
      throw new TwError(
        `--tokenizer ${o.tokenizer} given, but --config ${cfg.name} trains on bytes`,
        'set model.tokenizer "bpe" (and model.vocab) in the config, or leave --tokenizer out',
      );
    return BYTES;
  }
  const own = join(o.out, TOKENIZER_FILE);
  let tok: BpeTokenizer;
  if (existsSync(own)) {
    if (!o.resume) throw new TwError(`${o.out} already holds a tokenizer`, 'pass --resume to continue the run, or choose another --out');
    tok = readTokenizer(own, cfg.model.vocab);
  } else {
    // a warm start from a BPE model keeps its tokenizer (its embedding rows mean those merges)
    const initTok = o.tokenizer === undefined && o.init !== undefined ? initTokenizerFile(o.init) : null;
    if (initTok) log(`tokenizer: the warm start's (${initTok})`);
    const file = o.tokenizer ?? initTok;
    tok =
      file !== null
        ? readTokenizer(file, cfg.model.vocab)
        : await trainTokenizer(o.data, cfg.model.vocab, cfg.model.framing, cfg.train.seed, cfg.train.validFraction, log);
    mkdirSync(o.out, { recursive: true });
    writeFileAtomic(own, tok.serialize());
  }
  log(`tokenizer: ${describeTokenizer(tok)}`);
  return tok;
}

/** The tokenizer.json of a BPE warm start (a checkpoint or run folder), or null for a byte model. */
function initTokenizerFile(init: string): string | null {
  const dir = resolveModelDir(init);
  const file = join(dir, TOKENIZER_FILE);
  return readCheckpointInfo(dir).model.tokenizer === 'bpe' && existsSync(file) ? file : null;
}

/** Mean loss over fixed validation batches (forward only). */
async function evaluate(step: TrainStep, params: Params, batches: Batch[]): Promise<number | null> {
  let total = 0;
  let weight = 0;
  for (const b of batches) {
    const d = maskSum(b);
    if (d === 0) continue;
    const { loss } = await step.run(params, b, d);
    total += loss * d;
    weight += d;
  }
  return weight > 0 ? total / weight : null;
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const metaFile = join(o.out, 'meta.json');
  const metricsFile = join(o.out, 'metrics.jsonl');
  let cfg = o.config;
  let init: InitSource | null = null;
  if (existsSync(metaFile)) {
    if (!o.resume) throw new TwError(`${o.out} already holds a run`, 'pass --resume to continue it, or choose another --out');
    const saved = readRunMeta(metaFile);
    init = saved.init ?? null;
    if (o.init !== undefined && init?.path !== o.init)
      throw new TwError(
        `--init ${o.init} differs from the warm start this run began with (${init?.path ?? 'none'})`,
        'resume without --init, or start a new --out',
      );
    const savedModel = modelSchema.parse(saved.config.model);
    if (JSON.stringify(savedModel) !== JSON.stringify(cfg.model)) {
      const pos = savedModel.positions !== cfg.model.positions ? ` (positions "${cfg.model.positions}"; the run's are "${savedModel.positions}")` : '';
      throw new TwError(`--config ${cfg.name} has another model shape than the run in ${o.out}${pos}`, 'resume with the same config, or start a new --out');
    }
    cfg = { ...saved.config, model: modelSchema.parse(saved.config.model) };
  }
  if (o.steps !== undefined) cfg = { ...cfg, train: { ...cfg.train, steps: o.steps } };
  const tc = cfg.train;
  const T = cfg.model.context;
  const latest = o.resume ? readLatest(o.out) : null;
  // the warm start's weights: from --init on a new run, from the source meta.json names on a resume
  // that has no checkpoint yet; a resume from a checkpoint restores its own weights instead
  const tok = await runTokenizer(o, cfg, log);
  const warm = latest ? null : init ? loadInit(init.path, cfg, tok, log, init.sha256) : o.init !== undefined ? loadInit(o.init, cfg, tok, log) : null;
  if (warm) init = warm.source;
  const data = await loadDataset(o.data, T, tc.seed, tc.validFraction, cfg.model.framing, tok);

  mkdirSync(join(o.out, 'checkpoints'), { recursive: true });
  if (!existsSync(metaFile)) {
    const meta = runMeta('tw train', 1, tc.seed, cfg, {
      data: {
        path: o.data,
        files: data.files,
        hash: data.hash,
        sessions: data.sessions,
        tokens: data.tokens,
        bytes: data.bytes,
        windows: { train: data.train.length, valid: data.valid.length },
      },
      ...(tok.kind === 'bpe'
        ? {
            tokenizer: {
              kind: tok.kind,
              sha256: (tok as BpeTokenizer).hash,
              merges: (tok as BpeTokenizer).merges.length,
              vocab: tok.size,
              bytesPerToken: data.bytes.train / data.tokens.train,
            },
          }
        : {}),
      params: paramCount(cfg.model),
      ...(init ? { init } : {}),
    });
    writeFileAtomic(metaFile, JSON.stringify(meta, null, 2) + '\n');
  } else {
    const saved = readRunMeta(metaFile);
    if (saved.data?.hash !== data.hash)
      throw new TwError(`the data in ${o.data} differs from the data this run started with (hash)`, 'resume with the same --data, or start a new --out');
    if (tok.kind === 'bpe' && saved.tokenizer?.sha256 !== (tok as BpeTokenizer).hash)
      throw new TwError(
        `${join(o.out, TOKENIZER_FILE)} differs from the tokenizer this run started with (sha256 in meta.json)`,
        'restore it from a checkpoint folder of the run (each holds a copy), or start a new --out',
      );
  }

  const params = initParams(cfg.model, tc.seed);
  for (const [k, a] of warm?.weights ?? []) {
    const dst = params.get(k);
    if (!dst) throw new Error(`internal: warm-start tensor ${k} has no place in the model`);
    dst.set(a);
  }
  const opt = new AdamW(params, tc);
  const stream = new BatchStream(data.train, tc.batch, T, tc.mask, tc.seed, { epoch: 0, index: 0 }, tc.pack);
  let start = 0;
  if (latest) {
    const st = restore(latest.dir, params, opt);
    start = st.step;
    stream.cursor = st.cursor;
    // lines past the checkpoint are written again; a last line cut by the kill is dropped
    const kept = existsSync(metricsFile)
      ? readJsonlEntries(metricsFile, metricLineSchema, `delete that line (and those after it), then resume`, { dropCutLastLine: true }).filter(
          (l) => l.value.step <= start,
        )
      : [];
    writeFileAtomic(metricsFile, kept.map((l) => l.text + '\n').join(''));
    log(`resuming ${o.out} from step ${start}`);
  } else if (existsSync(metricsFile)) {
    writeFileAtomic(metricsFile, '');
  }

  const step = await TrainStep.create(cfg.model, tc.batch, tc.threads);
  const evalStep = data.valid.length > 0 ? await TrainStep.create(cfg.model, tc.batch, tc.threads, false) : null;
  const valid = evalBatches(data.valid, tc.batch, T, tc.mask, tc.evalBatches, tc.pack);
  const progress = new ProgressBar({ label: 'step', start, enabled: o.progress ?? true, plainEveryMs: 10_000 });
  let tokPerSec = 0; // smoothed for the bar
  const tokensPerStep = tc.batch * T * tc.accum;
  let lastLoss = NaN;
  let validLoss: number | null = null;
  let checkpoint = latest?.dir ?? '';
  const emit = (rec: Record<string, unknown>): void => appendFileSync(metricsFile, JSON.stringify(rec) + '\n');

  const loopStart = performance.now();
  let stoppedAt: number | null = null;
  for (let s = start + 1; s <= tc.steps; s++) {
    const t0 = performance.now();
    const batches = Array.from({ length: tc.accum }, () => stream.next());
    const denom = batches.reduce((a, b) => a + maskSum(b), 0);
    let loss = 0;
    let grads: Map<string, Float32Array> | null = null;
    for (const b of batches) {
      const r = await step.run(params, b, denom);
      loss += r.loss;
      if (!grads) grads = new Map([...r.grads].map(([k, g]) => [k, Float32Array.from(g)]));
      else
        for (const [k, g] of r.grads) {
          const acc = grads.get(k) as Float32Array;
          for (let i = 0; i < g.length; i++) acc[i] = (acc[i] ?? oob()) + (g[i] ?? oob());
        }
    }
    if (!Number.isFinite(loss) || !grads) {
      progress.done();
      throw new TwError(
        `training loss is ${loss} at step ${s}; stopped`,
        `the last good checkpoint is kept (${checkpoint || 'none yet'}); lower train.lr or check the data, then run again with --resume`,
      );
    }
    const lr = lrAt(s, tc);
    const gradNorm = opt.step(params, grads, lr);
    lastLoss = loss;
    const dt = (performance.now() - t0) / 1000;
    const fill =
      batches.reduce((a, b) => a + b.tokens.reduce((n, t, i) => n + (t !== 0 || b.mask[i] !== 0 ? 1 : 0), 0), 0) / (tokensPerStep + tc.batch * tc.accum);
    emit({
      kind: 'train',
      step: s,
      loss,
      lr,
      gradNorm,
      tokens: tokensPerStep * s,
      tokPerSec: Math.round(tokensPerStep / dt),
      fill: Math.round(fill * 1000) / 1000,
    });
    tokPerSec = tokPerSec === 0 ? tokensPerStep / dt : 0.9 * tokPerSec + 0.1 * (tokensPerStep / dt);
    progress.update(
      s,
      tc.steps,
      `loss ${loss.toFixed(3)}${validLoss === null ? '' : ` valid ${validLoss.toFixed(3)}`} ${Math.round(tokPerSec).toLocaleString('en-US')} tok/s`,
    );
    if (evalStep && (s % tc.evalEvery === 0 || s === tc.steps)) {
      validLoss = await evaluate(evalStep, params, valid);
      emit({ kind: 'eval', step: s, validLoss, validBitsPerToken: validLoss === null ? null : validLoss / Math.LN2 });
    }
    const timeUp = o.maxMinutes !== undefined && performance.now() - loopStart >= o.maxMinutes * 60_000;
    if (s % tc.checkpointEvery === 0 || s === tc.steps || timeUp) checkpoint = writeCheckpoint(o.out, cfg, s, params, opt, stream.cursor, tok);
    if (timeUp && s < tc.steps) {
      stoppedAt = s;
      break;
    }
  }
  progress.done();
  await step.release();
  await evalStep?.release();
  const last = stoppedAt ?? tc.steps;
  log(
    `${stoppedAt === null ? 'done' : `stopped after ${o.maxMinutes} min (--max-minutes)`}: step ${last}, loss ${lastLoss.toFixed(4)}${validLoss === null ? '' : `, valid ${validLoss.toFixed(4)}`}; model: ${checkpoint}`,
  );
  return { step: last, lastLoss, validLoss, checkpoint };
}
