/**
 * An endpoint session: the history lives here, and each command is one request carrying the whole
 * conversation (the API is stateless). Styles: `worldmodel` (the rows `tw corpus export --format
 * worldmodel` writes: system, user = command, assistant = output + `[exit N]`) and `prompted`
 * (src/backends/endpoint/prompted.ts). The reply is parsed into output, exit and cwd:
 *   - worldmodel: output and exit from `[exit N]`; the cwd from tw serve's `tw.cwd` where the
 *     server is tw serve, else inferred from the command's `cd`s (src/serve/worldmodel.ts inferCwd);
 *   - prompted: all three from the `[exit N cwd DIR]` trailer.
 * A reply that does not parse, or a body that is not a completion, is malformed: the turn exits 1
 * with what was printed, and `info.malformed` counts it; it is never a silent success. Network
 * failures that outlast the retries throw (EndpointError names the problem and the fix).
 * A context overflow (HTTP 400 naming the context length) drops the oldest history turns from the
 * request and tries again, as the learned backend drops them from its context.
 */
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  deliverWhole,
  type RunOptions,
  type SessionSpec,
  type Terminal,
  type TerminalInfo,
  type TokenScores,
  type Turn,
} from '../../core/terminal.js';
import { DEFAULT_CWD, inferCwd, parseReply, renderChatML, replyText, toMessages, WORLDMODEL_SYSTEM, type ChatMessage } from '../../serve/worldmodel.js';
import { EndpointError, type EndpointClient } from './client.js';
import type { EndpointSettings } from './options.js';
import { parsePrompted, PROMPTED_SYSTEM, promptedReply } from './prompted.js';

export interface ServerFacts {
  model: string;
  /** the server is `tw serve` (owned_by terminalworld): the `tw` extensions are understood */
  twServe: boolean;
  /** request per-token log-probabilities */
  logprobs: boolean;
  /** how score() asks: tw serve's scoring, any server's echo, or not at all */
  scoring: 'tw' | 'echo' | 'none';
  scoringWhyNot?: string;
}

interface Hist {
  cmd: string;
  reply: string;
  cwd: string;
}

interface Reply {
  text: string;
  logprobs: number[] | null;
  finish: string | null;
  tw: { exit?: number; cwd?: string; stderr?: string; truncated?: boolean; timed_out?: boolean } | null;
}

const CONTEXT_OVERFLOW = /context(_length)?|too long|maximum.*length|max.*tokens|exceed/i;

export class EndpointTerminal implements Terminal {
  readonly info: TerminalInfo;
  private history: Hist[] = [];
  private cwd = DEFAULT_CWD;
  private closed = false;
  malformed = 0;
  trimmedTurns = 0;
  readonly score?: (cmd: string, truth: Pick<Turn, 'output' | 'exit' | 'cwd'>) => Promise<TokenScores>;

  constructor(
    private readonly client: EndpointClient,
    readonly s: EndpointSettings,
    readonly facts: ServerFacts,
    private readonly spec: SessionSpec,
  ) {
    const self = this;
    this.info = {
      backend: 'endpoint',
      mode: spec.mode ?? 'pty',
      model: facts.model,
      endpoint: {
        url: s.url,
        model: facts.model,
        style: s.style,
        api: s.api,
        server: facts.twServe ? 'tw serve' : 'openai-compatible',
        logprobs: facts.logprobs,
        scoring: facts.scoring === 'none' ? `none (${facts.scoringWhyNot ?? ''})` : facts.scoring,
      },
      decoding: s.temperature > 0 ? { temperature: s.temperature } : 'greedy',
      get malformed(): number {
        return self.malformed;
      },
    };
    if (facts.scoring !== 'none') this.score = (cmd, truth) => this.scoreTurn(cmd, truth);
  }

  get dead(): boolean {
    return this.closed;
  }
  get deadReason(): string | undefined {
    return this.closed ? 'closed' : undefined;
  }

  private get pty(): boolean {
    return (this.spec.mode ?? 'pty') === 'pty';
  }

  private systemPrompt(): string {
    return this.s.style === 'worldmodel' ? WORLDMODEL_SYSTEM : PROMPTED_SYSTEM;
  }

  private replyFor(output: Buffer, exit: number, cwd: string): string {
    return this.s.style === 'worldmodel' ? replyText(output, exit) : promptedReply(output.toString('utf8'), exit, cwd);
  }

  private twExt(history: readonly Hist[], extraCwd?: string): Record<string, unknown> | undefined {
    if (!this.facts.twServe) return undefined;
    const t: Record<string, unknown> = { cwds: [...history.map((h) => h.cwd), ...(extraCwd !== undefined ? [extraCwd] : [])], mode: this.spec.mode ?? 'pty' };
    if (this.spec.timeoutMs !== undefined) t.timeout_ms = this.spec.timeoutMs;
    if (this.spec.maxOutputBytes !== undefined) t.max_output_bytes = this.spec.maxOutputBytes;
    return t;
  }

  async runSetup(cmds: readonly string[]): Promise<void> {
    for (const c of cmds) await this.run(c);
  }

  async run(cmd: string, opts?: RunOptions): Promise<Turn> {
    if (this.closed) throw new Error('endpoint session is closed');
    const t0 = performance.now();
    const temperature = this.s.temperature > 0 ? this.s.temperature : opts?.sample ? 1 : 0;
    let skip = 0;
    let r: Reply | { malformed: string };
    for (;;) {
      try {
        r = await this.ask(this.history.slice(skip), cmd, temperature);
        break;
      } catch (e) {
        if (e instanceof EndpointError && e.status === 400 && CONTEXT_OVERFLOW.test(e.message) && e.code !== 'invalid_conversation') {
          const left = this.history.length - skip;
          if (left === 0)
            throw new EndpointError(
              `the command alone does not fit the model's context: ${e.message}`,
              'use a model with a longer context (or a shorter command)',
              400,
              'context_length_exceeded',
            );
          const drop = Math.max(1, Math.floor(left / 2));
          skip += drop;
          this.trimmedTurns += drop;
          continue;
        }
        throw e;
      }
    }
    const maxOut = this.spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    let output: Buffer;
    let exit: number;
    let cwd = this.cwd;
    let stderr: Buffer | undefined;
    let truncated = false;
    let timedOut = false;
    let reply: string;
    let logprobs: number[] | undefined;
    if ('malformed' in r) {
      this.malformed++;
      output = Buffer.from(r.malformed, 'utf8');
      exit = 1;
      reply = r.malformed;
    } else {
      reply = r.text;
      if (r.logprobs) logprobs = r.logprobs;
      truncated = r.finish === 'length' || r.tw?.truncated === true;
      timedOut = r.tw?.timed_out === true;
      const parsed = this.s.style === 'worldmodel' ? parseReply(r.text) : parsePrompted(r.text, this.pty);
      if (parsed === null || parsed.exit < 0) {
        this.malformed++;
        output = Buffer.from(parsed?.output ?? r.text, 'utf8');
        exit = 1;
      } else {
        output = Buffer.from(parsed.output, 'utf8');
        exit = parsed.exit;
        if ('cwd' in parsed && typeof parsed.cwd === 'string') cwd = parsed.cwd;
        else cwd = typeof r.tw?.cwd === 'string' && r.tw.cwd !== '' ? r.tw.cwd : inferCwd(this.cwd, cmd, exit);
      }
      if (typeof r.tw?.stderr === 'string') stderr = Buffer.from(r.tw.stderr, 'utf8');
    }
    if (output.length > maxOut) {
      output = output.subarray(0, maxOut);
      truncated = true;
    }
    this.cwd = cwd;
    this.history.push({ cmd, reply, cwd });
    const turn: Turn = { cmd, output, exit, cwd, ms: performance.now() - t0, timedOut, truncated };
    if (stderr !== undefined) turn.stderr = stderr;
    else if (!this.pty) turn.stderr = Buffer.alloc(0);
    if (logprobs) turn.logprobs = logprobs;
    return deliverWhole(opts, turn);
  }

  private messages(history: readonly Hist[], cmd: string): ChatMessage[] {
    return toMessages(this.systemPrompt(), history, cmd);
  }

  /** One request; a body that is not a completion comes back as {malformed: what it held}. */
  private async ask(history: readonly Hist[], cmd: string, temperature: number): Promise<Reply | { malformed: string }> {
    const msgs = this.messages(history, cmd);
    const common: Record<string, unknown> = { model: this.facts.model, temperature, max_tokens: this.s.maxTokens };
    if (this.s.seed !== null) common.seed = this.s.seed;
    const tw = this.twExt(history);
    if (tw) common.tw = tw;
    try {
      if (this.s.api === 'chat') {
        const body: Record<string, unknown> = { ...common, messages: msgs };
        if (this.facts.logprobs) body.logprobs = true;
        if (this.s.stream)
          return chatFromStream(await this.client.postStream('/chat/completions', { ...body, stream: true, stream_options: { include_usage: true } }));
        return chatFromBody(await this.client.post('/chat/completions', body));
      }
      const body: Record<string, unknown> = { ...common, prompt: renderChatML(msgs), stop: ['<|im_end|>'] };
      if (this.facts.logprobs) body.logprobs = 1;
      if (this.s.stream) return completionFromStream(await this.client.postStream('/completions', { ...body, stream: true }));
      return completionFromBody(await this.client.post('/completions', body));
    } catch (e) {
      if (e instanceof EndpointError && e.code === 'malformed_reply') return { malformed: '' };
      throw e;
    }
  }

  async setHistory(turns: readonly Turn[]): Promise<void> {
    this.history = turns.map((t) => ({ cmd: t.cmd, reply: this.replyFor(t.output, t.exit, t.cwd), cwd: t.cwd }));
    const last = turns[turns.length - 1];
    this.cwd = last ? last.cwd : DEFAULT_CWD;
  }

  /** Teacher-forced scores of the true reply (see ServerFacts.scoring). */
  private async scoreTurn(cmd: string, truth: Pick<Turn, 'output' | 'exit' | 'cwd'>): Promise<TokenScores> {
    const open = this.replyFor(truth.output, truth.exit, truth.cwd);
    const prompt = renderChatML(this.messages(this.history, cmd), open);
    const outText = truth.output.toString('utf8');
    const body: Record<string, unknown> = {
      model: this.facts.model,
      prompt,
      echo: true,
      logprobs: 1,
      max_tokens: this.facts.scoring === 'tw' ? 0 : 1,
      temperature: 0,
    };
    const tw = this.twExt(this.history, truth.cwd);
    if (tw) body.tw = tw;
    const res = await this.client.post<unknown>('/completions', body);
    const choice = firstChoice(res);
    const lp = choice && typeof choice.logprobs === 'object' && choice.logprobs !== null ? (choice.logprobs as Record<string, unknown>) : null;
    const tokens = Array.isArray(lp?.tokens) ? (lp.tokens as unknown[]) : null;
    const tlp = Array.isArray(lp?.token_logprobs) ? (lp.token_logprobs as unknown[]) : null;
    if (!tokens || !tlp)
      throw new EndpointError(
        '/completions with echo: the reply has no logprobs.tokens / token_logprobs',
        'this server cannot score given text; Tier 1 then skips cross-entropy and calibration (TW_ENDPOINT_SCORING=none says so up front)',
        null,
        'logprobs_unsupported',
      );
    const ext = typeof res === 'object' && res !== null && 'tw_scores' in res ? (res as { tw_scores: Record<string, unknown> }).tw_scores : null;
    if (this.facts.scoring === 'tw' && ext) {
      const n = tlp.length - 1;
      const arr = (k: string): number[] => {
        const v = ext[k];
        return Array.isArray(v) ? v : [];
      };
      return {
        logp: Float64Array.from(tlp.slice(1).map((x) => (typeof x === 'number' ? x : -Infinity))),
        pMax: Float64Array.from(arr('p_max').slice(0, n)),
        argmaxCorrect: Uint8Array.from(arr('argmax_correct').slice(0, n)),
        sumSq: Float64Array.from(arr('sum_sq').slice(0, n)),
        outputTokens: typeof ext.output_tokens === 'number' ? ext.output_tokens : 0,
        ...(typeof ext.output_bytes === 'number' ? { outputBytes: ext.output_bytes, outputTokenBytes: arr('output_token_bytes') } : {}),
      };
    }
    // Any server: the tokens whose text lies in the open reply; probabilities from top_logprobs
    // (sum of squares over the listed alternatives: a lower bound, so the Brier score is an upper one).
    const offsets = Array.isArray(lp?.text_offset) ? (lp.text_offset as number[]) : null;
    const top = Array.isArray(lp?.top_logprobs) ? (lp.top_logprobs as unknown[]) : [];
    if (!offsets)
      throw new EndpointError('/completions with echo: no text_offset in the logprobs', 'this server cannot score given text', null, 'logprobs_unsupported');
    const start = prompt.length - open.length;
    const logp: number[] = [];
    const pMax: number[] = [];
    const arg: number[] = [];
    const sq: number[] = [];
    let outputTokens = 0;
    for (let i = 0; i < tokens.length; i++) {
      const off = offsets[i] ?? -1;
      if (off < start || off >= prompt.length) continue;
      const li = tlp[i];
      const l = typeof li === 'number' ? li : -Infinity;
      const alts = top[i] && typeof top[i] === 'object' ? Object.entries(top[i] as Record<string, number>) : [];
      const best = alts.reduce<[string, number] | null>((a, e) => (a === null || e[1] > a[1] ? e : a), null);
      logp.push(l);
      pMax.push(Math.max(Math.exp(l), best ? Math.exp(best[1]) : 0));
      arg.push(best === null || best[0] === tokens[i] || best[1] <= l ? 1 : 0);
      const seen = new Set(alts.map((e) => e[0]));
      sq.push(alts.reduce((a, e) => a + Math.exp(2 * e[1]), 0) + (seen.has(String(tokens[i])) ? 0 : Math.exp(2 * l)));
      if (off < start + outText.length) outputTokens++;
    }
    return { logp: Float64Array.from(logp), pMax: Float64Array.from(pMax), argmaxCorrect: Uint8Array.from(arg), sumSq: Float64Array.from(sq), outputTokens };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function firstChoice(body: unknown): Record<string, unknown> | null {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { choices?: unknown }).choices)) return null;
  const c = (body as { choices: unknown[] }).choices[0];
  return typeof c === 'object' && c !== null ? (c as Record<string, unknown>) : null;
}

function twOf(body: unknown): Reply['tw'] {
  const t = typeof body === 'object' && body !== null ? (body as { tw?: unknown }).tw : undefined;
  return typeof t === 'object' && t !== null ? (t as Reply['tw']) : null;
}

function chatLogprobs(lp: unknown): number[] | null {
  if (typeof lp !== 'object' || lp === null) return null;
  const c = (lp as { content?: unknown }).content;
  if (!Array.isArray(c)) return null;
  return c.map((e) =>
    typeof e === 'object' && e !== null && typeof (e as { logprob?: unknown }).logprob === 'number' ? (e as { logprob: number }).logprob : Number.NaN,
  );
}

function malformedBody(body: unknown): { malformed: string } {
  return { malformed: typeof body === 'string' ? body : '' };
}

function chatFromBody(body: unknown): Reply | { malformed: string } {
  const c = firstChoice(body);
  const m = c?.message;
  const text = typeof m === 'object' && m !== null ? (m as { content?: unknown }).content : undefined;
  if (typeof text !== 'string') return malformedBody(body);
  return { text, logprobs: chatLogprobs(c?.logprobs), finish: typeof c?.finish_reason === 'string' ? c.finish_reason : null, tw: twOf(body) };
}

/** One streamed event's part of a reply, or null when the event holds no choice. */
type Piece = { text: string; logprobs: number[] | null; finish: string | null };

/** Join the pieces of a stream (chat deltas or completion chunks) into one reply. */
function joinStream(events: unknown[], piece: (ev: unknown) => Piece | null): Reply | { malformed: string } {
  let text = '';
  const lps: number[] = [];
  let anyLp = false;
  let finish: string | null = null;
  let tw: Reply['tw'] = null;
  let choices = 0;
  for (const ev of events) {
    tw = twOf(ev) ?? tw;
    const p = piece(ev);
    if (!p) continue;
    choices++;
    text += p.text;
    if (p.logprobs) {
      anyLp = true;
      lps.push(...p.logprobs);
    }
    if (p.finish) finish = p.finish;
  }
  if (choices === 0) return { malformed: '' };
  return { text, logprobs: anyLp ? lps : null, finish, tw };
}

function chatFromStream(events: unknown[]): Reply | { malformed: string } {
  return joinStream(events, (ev) => {
    const c = firstChoice(ev);
    if (!c) return null;
    const d = c.delta;
    const piece = typeof d === 'object' && d !== null ? (d as { content?: unknown }).content : undefined;
    return {
      text: typeof piece === 'string' ? piece : '',
      logprobs: chatLogprobs(c.logprobs),
      finish: typeof c.finish_reason === 'string' ? c.finish_reason : null,
    };
  });
}

function completionFromBody(body: unknown): Reply | { malformed: string } {
  const c = firstChoice(body);
  if (typeof c?.text !== 'string') return malformedBody(body);
  const lp = c.logprobs;
  const t = typeof lp === 'object' && lp !== null ? (lp as { token_logprobs?: unknown }).token_logprobs : undefined;
  return {
    text: c.text,
    logprobs: Array.isArray(t) ? t.map((x) => (typeof x === 'number' ? x : Number.NaN)) : null,
    finish: typeof c.finish_reason === 'string' ? c.finish_reason : null,
    tw: twOf(body),
  };
}

function completionFromStream(events: unknown[]): Reply | { malformed: string } {
  return joinStream(events, (ev) => {
    const r = completionFromBody(ev);
    return 'malformed' in r ? null : r;
  });
}
