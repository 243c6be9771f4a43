/**
 * A learned terminal session: the model, given the history and a command, writes the output
 * bytes, the exit code and the cwd (framing in src/model/framing.ts):
 *   prompt  = fitContext(history, cmd)  ... [CMD] cmd [OUT]
 *   result  = output-bytes [EXIT] exit ' ' cwd [EOT]        (generated, stop at [EOT])
 *
 * Malformed results: no [EXIT] before the token budget ran out, or an unparsable status ->
 * the output is what was generated before [EXIT] (`truncated: true` when the budget ran out),
 * exit 1 (the turn is reported as a failure, never as a silent success) and the cwd unchanged.
 * `info.malformed` counts them. Setup commands (SessionSpec.setup) run through the model as
 * hidden turns: they enter the history, as they would leave state in a real shell.
 * The session keeps its KV cache between turns (options.kvCache, default on), so each turn feeds
 * only what is new since the last generation, until fitContext starts dropping old turns.
 *
 * Models trained with the state framing (src/model/stateframing.ts) also predict each command's
 * change of state; the session applies those changes to the state it keeps and shows that state as
 * the header of the context (fitStateContext), so what must be copied sits in a known place.
 * Records it cannot read are dropped and counted in `badRecords`.
 *
 * A model with a BPE tokenizer (src/model/bpe.ts) reads and writes the same framing in its ids: the
 * context is encoded with it, a generated result is expanded to bytes before it is parsed, and the
 * output streams each token's bytes as it is picked.
 */
import { TwError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  SESSION_HOME,
  type RunOptions,
  type SessionSpec,
  type Terminal,
  type TerminalInfo,
  type TokenScores,
  type Turn,
} from '../../core/terminal.js';
import { BYTES, type Tokenizer } from '../../model/bpe.js';
import { CMD, encodePrompt, encodeResult, EOT, EXIT, fitContext, parseResult } from '../../model/framing.js';
import { diffRecords, encodeStateResult, fitStateContext, parseStateResult, recordsToChange, SessionState, type StateTurn } from '../../model/stateframing.js';
import type { SeqCache } from '../../model/sampler.js';
import type { BatchScheduler } from './scheduler.js';

export const DEFAULT_CWD = SESSION_HOME;

export interface LearnedSettings {
  temperature: number;
  topP: number;
  seed: number;
  /** Tokens kept free for the answer when fitting the history (default: a quarter of the context;
   *  longer answers re-fit with fewer history turns, see generateTurn). */
  reserve: number;
  /** Most tokens generated per turn (capped by what fits in the context). */
  maxTokens: number;
  cwd: string;
  /** Output cap in bytes (SessionSpec.maxOutputBytes); longer outputs are cut and flagged truncated. */
  maxOutputBytes: number;
  /**
   * Keep the session's KV cache between turns (default true): the history is then fed once, not
   * every turn, while it still fits the context. Costs layers x 2 x d x 4 bytes per kept token
   * (4 MiB for a full 512-token context of the 4-layer, 256-wide shipped model). Results are the same either way.
   */
  kvCache: boolean;
}

function num(v: unknown, name: string, dflt: number, ok: (x: number) => boolean): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
    throw new TwError(`learned backend: option ${name} must be a valid number, got ${JSON.stringify(v)}`, 'e.g. temperature 0.7, topP 0.95, seed 1');
  return v;
}

function flag(v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TwError(`learned backend: option ${name} must be true or false, got ${JSON.stringify(v)}`, `e.g. ${name}: false`);
  return v;
}

export function settingsFrom(spec: SessionSpec, context: number): LearnedSettings {
  const o = spec.options ?? {};
  return {
    temperature: num(o.temperature, 'temperature', 0, (x) => x >= 0),
    topP: num(o.topP, 'topP', 1, (x) => x > 0 && x <= 1),
    seed: num(o.seed, 'seed', spec.seed ?? 0, Number.isInteger),
    reserve: num(o.reserve, 'reserve', Math.floor(context / 4), (x) => Number.isInteger(x) && x >= 1 && x < context),
    maxTokens: num(o.maxTokens, 'maxTokens', context, (x) => Number.isInteger(x) && x >= 1),
    cwd: typeof o.cwd === 'string' ? o.cwd : DEFAULT_CWD,
    maxOutputBytes: spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    kvCache: flag(o.kvCache, 'kvCache', true),
  };
}

export class LearnedTerminal implements Terminal {
  readonly info: TerminalInfo;
  private history: StateTurn[] = [];
  /** state framing: the first turn the context shows (the header holds the state before it) */
  private windowStart = 0;
  private readonly initialCwd: string;
  /** the KV cache after the last generation (settings.kvCache) */
  private kv: SeqCache | null = null;
  private cwd: string;
  private readonly rng: Rng;
  private closed = false;
  malformed = 0;
  badRecords = 0;

  constructor(
    private readonly sched: BatchScheduler,
    private readonly context: number,
    readonly settings: LearnedSettings,
    info: TerminalInfo,
  ) {
    this.info = info;
    this.cwd = settings.cwd;
    this.initialCwd = settings.cwd;
    this.rng = new Rng(settings.seed).fork('learned-sampling');
  }

  get dead(): boolean {
    return this.closed;
  }
  get deadReason(): string | undefined {
    return this.closed ? 'closed' : undefined;
  }

  async runSetup(cmds: readonly string[]): Promise<void> {
    for (const c of cmds) await this.run(c);
  }

  async run(cmd: string, opts?: RunOptions): Promise<Turn> {
    if (this.closed) throw new Error('learned session is closed');
    const t0 = performance.now();
    const temperature = this.settings.temperature > 0 ? this.settings.temperature : opts?.sample ? 1 : 0;
    const stream = opts?.onOutput ? new OutputStream(opts.onOutput, this.settings.maxOutputBytes, this.tok) : null;
    const r = await this.generateTurn(cmd, temperature, stream);
    const stateful = this.sched.engine.framing === 'state';
    const result = this.tok.expand(r.tokens.filter((t) => t !== CMD));
    const parsed = stateful ? parseStateResult(result) : { ...parseResult(result), diff: [], badRecords: 0 };
    this.badRecords += parsed.badRecords;
    let exit = parsed.exit;
    let cwd = parsed.cwd;
    if (!parsed.complete || exit === null || cwd === null || cwd === '') {
      this.malformed++;
      exit = 1;
      cwd = this.cwd;
    }
    this.cwd = cwd;
    const full = Buffer.from(parsed.output);
    const capped = full.length > this.settings.maxOutputBytes;
    const output = capped ? full.subarray(0, this.settings.maxOutputBytes) : full;
    const diff = parsed.complete ? parsed.diff : [];
    this.history.push({ cmd, output, exit, cwd, diff });
    const truncated = capped || (!r.stopped && !r.tokens.includes(EXIT));
    stream?.finish(output);
    return {
      cmd,
      output,
      exit,
      cwd,
      ms: performance.now() - t0,
      timedOut: false,
      truncated,
      logprobs: r.logprobs,
      ...(this.tok.kind === 'bytes' ? {} : { tokenBytes: r.tokens.map((t) => this.tok.bytesOf(t).length) }),
      ...(stateful ? { state: recordsToChange(diff) } : {}),
    };
  }

  /**
   * Generate one result: history (fitted, `reserve` tokens kept free) + [CMD] cmd [OUT], then
   * decode. When the context fills before [EOT] and older turns can still be dropped, re-fit with
   * fewer history turns, keep what was generated, and go on: short answers see the longest history,
   * long outputs still get (almost) the whole context.
   */
  private async generateTurn(
    cmd: string,
    temperature: number,
    stream: OutputStream | null,
  ): Promise<{ tokens: number[]; logprobs: number[]; stopped: boolean }> {
    const T = this.context;
    const promptOnly = this.tok.framed(encodePrompt(cmd)).length;
    const tokens: number[] = [];
    const logprobs: number[] = [];
    for (;;) {
      const left = this.settings.maxTokens - tokens.length;
      const { tokens: head, start } = this.fit(cmd, Math.min(T - promptOnly, this.settings.reserve + tokens.length));
      this.windowStart = start;
      const prompt = [...head, ...tokens];
      const maxNew = Math.min(left, T - prompt.length);
      if (maxNew <= 0) return { tokens, logprobs, stopped: false };
      const r = await this.sched.generate({
        prompt,
        maxNew,
        temperature,
        topP: this.settings.topP,
        rng: temperature > 0 ? this.rng : null,
        stop: [EOT, CMD],
        cache: this.kv,
        keepCache: this.settings.kvCache,
        ...(stream ? { onToken: (t: number) => stream.token(t) } : {}),
      });
      this.kv = r.cache ?? null;
      tokens.push(...r.tokens);
      logprobs.push(...r.logprobs);
      const last = r.tokens[r.tokens.length - 1];
      if (last === EOT || last === CMD) return { tokens, logprobs, stopped: true };
      // Out of tokens, or nothing left to drop from the history: stop here.
      if (r.tokens.length < maxNew || tokens.length >= this.settings.maxTokens || head.length <= promptOnly) return { tokens, logprobs, stopped: false };
    }
  }

  /** The context before this command's answer, in the model's framing, with `reserve` tokens left free. */
  private fit(cmd: string, reserve: number): { tokens: number[]; start: number } {
    const tok = this.tok.kind === 'bytes' ? undefined : this.tok;
    if (this.sched.engine.framing !== 'state') return { tokens: fitContext(this.history, cmd, this.context, reserve, tok), start: 0 };
    return fitStateContext(this.history, this.initialCwd, this.windowStart, cmd, this.context, reserve, tok);
  }

  /** The model's tokenizer (bytes unless it was trained with BPE). */
  private get tok(): Tokenizer {
    return this.sched.engine.tokenizer ?? BYTES;
  }

  /** The session state built from the turns' predicted changes (state framing; empty records otherwise). */
  state(): { cwd: string; records: string[] } {
    const st = new SessionState(this.initialCwd);
    for (const t of this.history) st.apply(t.diff, t.cwd);
    return { cwd: st.cwd, records: st.records().map((r) => r.text) };
  }

  async setHistory(turns: readonly Turn[]): Promise<void> {
    this.history = turns.map((t) => ({ cmd: t.cmd, output: t.output, exit: t.exit, cwd: t.cwd, diff: diffRecords(t.state) }));
    this.windowStart = 0;
    const last = turns[turns.length - 1];
    this.cwd = last ? last.cwd : this.settings.cwd;
  }

  async score(cmd: string, truth: Pick<Turn, 'output' | 'exit' | 'cwd'>): Promise<TokenScores> {
    const stateful = this.sched.engine.framing === 'state';
    const target = this.tok.framed(
      stateful ? encodeStateResult(truth.output, truth.exit, truth.cwd, []).slice(0, -1) : encodeResult(truth.output, truth.exit, truth.cwd),
    );
    // the output's ids come first (the run ends at [EXIT]); their bytes are what bits per byte divides by
    const outIds = this.tok.encodeBytes(truth.output);
    // Keep at least the prompt of this command; a target longer than the rest is scored in part.
    const prefix = this.fit(cmd, Math.min(target.length, this.context - 2)).tokens;
    const room = Math.max(1, this.context - prefix.length);
    const scored = target.slice(0, room);
    const s = await this.sched.score(prefix, scored);
    const outputTokens = Math.min(outIds.length, scored.length);
    if (this.tok.kind === 'bytes') return { ...s, outputTokens };
    const widths = outIds.slice(0, outputTokens).map((id) => this.tok.bytesOf(id).length);
    return { ...s, outputTokens, outputBytes: widths.reduce((a, b) => a + b, 0), outputTokenBytes: widths };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.kv = null;
  }
}

/**
 * RunOptions.onOutput for a generating session: the output is the bytes of every token before [EXIT]
 * (framing.parseResult, stateframing.parseStateResult, after Tokenizer.expand), so each token's bytes
 * are handed on as it is picked, up to the output cap. A callback that throws does not stop the batch other sessions decode in: the
 * error is kept and thrown from run() once the turn is done.
 */
class OutputStream {
  private sent = 0;
  private ended = false;
  private error: unknown = null;

  constructor(
    private readonly onOutput: (chunk: Buffer) => void,
    private readonly cap: number,
    private readonly tok: Tokenizer,
  ) {}

  token(t: number): void {
    if (this.ended) return;
    if (t === EXIT || t === EOT || t === CMD) {
      this.ended = true;
      return;
    }
    if (this.sent >= this.cap) return;
    const bytes = this.tok.bytesOf(t);
    if (bytes.length === 0) return;
    const n = Math.min(bytes.length, this.cap - this.sent);
    this.sent += n;
    this.emit(Buffer.from(bytes.subarray(0, n)));
  }

  /** The turn is parsed: the bytes sent are its output's start; send the rest (none, unless parsing differs) and rethrow a callback's error. */
  finish(output: Buffer): void {
    if (output.length > this.sent) this.emit(output.subarray(this.sent));
    if (this.error !== null) throw this.error;
  }

  private emit(chunk: Buffer): void {
    if (this.error !== null) return;
    try {
      this.onOutput(chunk);
    } catch (e) {
      this.error = e;
    }
  }
}
