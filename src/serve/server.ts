/**
 * `tw serve`: a Terminal backend (by default the learned model of `--model DIR`) as an
 * OpenAI-compatible HTTP server (hono on node:http).
 *
 *   GET  /v1/models                 the one model served (owned_by "terminalworld")
 *   POST /v1/chat/completions       worldmodel messages (src/serve/worldmodel.ts) -> the terminal's
 *                                   reply `output[exit N]`; stream (SSE), logprobs/top_logprobs, usage
 *   POST /v1/completions            the same as one ChatML prompt; with `echo: true, max_tokens: 0`
 *                                   and an open assistant turn, scores that text (teacher-forced)
 *   GET  /health
 *
 * Tokens are the model's own: a byte model's one per output byte (non-ASCII bytes as `bytes:\xNN`),
 * a BPE model's each with its bytes (`bytes` lists them; core/logprobs.ts lays log-probabilities over
 * the output), then one token for the `[exit N]` trailer carrying the summed log-probability of the
 * model's exit/cwd/state/end tokens. `usage.prompt_tokens` counts the conversation's bytes (what a byte-level
 * model reads before its context is fitted), `completion_tokens` the tokens generated.
 * top_logprobs: the server sees the log-probability of the tokens it produced (and, scoring, the
 * most likely token's probability), not the whole distribution, so each position lists at most one
 * alternative: the token itself when it was the most likely one (always, greedy); empty otherwise.
 *
 * Extensions (ignored by other clients): a request may carry `tw: {cwds, mode, timeout_ms,
 * max_output_bytes}` (the cwd after each history turn, the session's mode...), and a reply carries
 * `tw: {exit, cwd, truncated, timed_out, stderr?, ms, session: "hit"|"miss"}`; a scoring reply
 * carries `tw_scores: {p_max, argmax_correct, sum_sq, output_tokens}` (a BPE model: also output_bytes and
 * output_token_bytes). The endpoint backend uses them
 * when the server is `tw serve` (owned_by "terminalworld"), and does without them elsewhere.
 *
 * Loopback by default; another host needs a bearer token (`--token-env NAME`), checked on every
 * request when set. Errors are OpenAI error objects: {"error": {message, type, param, code}}.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { describeError, TwError } from '../core/errors.js';
import { canScore, MODES, type Backend, type Terminal, type TokenScores, type Turn } from '../core/terminal.js';
import { SessionPool, withCwds, type KnownTurn, type SessionSettings } from './sessions.js';
import { LiveText, replyTokens, tokenText, usageOf, type TokenEntry } from './reply.js';
import { ConversationError, inferCwd, parseChatML, parseConversation, parseReply, replyText, type ChatMessage, type Conversation } from './worldmodel.js';

export const OWNED_BY = 'terminalworld';
/** the largest request body accepted (a conversation of a few thousand turns) */
export const MAX_BODY_BYTES = 32 << 20;

export interface ServeOptions {
  backend: Backend;
  /** backend name, for /v1/models and replies */
  backendName: string;
  /** the model id clients must name */
  modelId: string;
  /** options every session starts with (e.g. {model: DIR}) */
  baseOptions?: Record<string, unknown>;
  /** bearer token; every request must carry it when set */
  token?: string;
  /** idle sessions kept for conversations that continue (default 64; a learned session keeps up to 4 MiB of KV cache for the shipped terminal-state) */
  maxSessions?: number;
  /** requests answered at once; more get 429 (default 256) */
  maxConcurrent?: number;
  /** does the backend give log-probabilities and score()? (found by startServe when unset) */
  logprobs?: boolean;
  /** informational, for /v1/models */
  info?: Record<string, unknown>;
  /**
   * Requests that arrive within this many milliseconds start their turn together, so
   * that the learned backend's scheduler, which batches what is submitted in one event-loop turn,
   * sees them as one batch instead of one request at a time as they trickle in over HTTP. 0: off.
   * startServe's default: 3 for the learned backend (it batches), 0 for the others.
   */
  batchWindowMs?: number;
}

type ErrType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';
const STATUS_TYPES: Record<number, ErrType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'server_error',
};

class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 429 | 500,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
  body(): { error: { message: string; type: ErrType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: STATUS_TYPES[this.status] ?? 'server_error', param: this.param, code: this.code } };
  }
}

const content = z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() })).transform((parts) => parts.map((p) => p.text).join(''))]);
const twExt = z
  .object({
    cwds: z.array(z.string()).optional(),
    mode: z.enum(MODES as unknown as ['pty', 'pipe']).optional(),
    timeout_ms: z.number().int().positive().optional(),
    max_output_bytes: z.number().int().positive().optional(),
  })
  .optional();
const sampling = {
  model: z.string(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  tw: twExt,
};
const chatBody = z.object({
  ...sampling,
  messages: z.array(z.object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content })).min(1),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});
const completionBody = z.object({
  ...sampling,
  prompt: z.union([
    z.string(),
    z
      .array(z.string())
      .length(1)
      .transform((a) => a[0] ?? ''),
  ]),
  max_tokens: z.number().int().min(0).nullish(),
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.boolean().nullish(),
});
type Sampling = { temperature?: number | null; top_p?: number | null; seed?: number | null; n?: number | null; tw?: z.infer<typeof twExt> };

async function readJson<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError(400, 'the request body is not valid JSON', null, 'invalid_json');
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const param = issue ? issue.path.join('.') : null;
    throw new ApiError(400, `invalid request: ${param ? `${param}: ` : ''}${issue?.message ?? 'bad body'}`, param || null, 'invalid_value');
  }
  return r.data;
}

/** Constant-time comparison (of the digests, so the lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  const d = (x: string): Buffer => createHash('sha256').update(x).digest();
  return timingSafeEqual(d(a), d(b));
}

function textBytes(msgs: readonly ChatMessage[]): number {
  return msgs.reduce((a, m) => a + Buffer.byteLength(m.content, 'utf8'), 0);
}

export class TwServer {
  readonly app: Hono;
  readonly pool: SessionPool;
  private inflight = 0;
  private gateWaiting: (() => void)[] = [];
  private gateTimer: NodeJS.Timeout | null = null;
  private quietTimer: NodeJS.Timeout | null = null;
  /** sessions whose turn finished since the last round started, whose clients have not come back */
  private awaitingReturn = new Set<Terminal>();
  private roundsDone = 0;
  private running = 0;
  private roundStart = 0;
  private lastRoundMs = 0;
  private lastRoundSize = 0;
  private firstWaitAt = 0;
  readonly created = Math.floor(Date.now() / 1000);
  /** batch-window rounds: how many, how long turns waited in all (from the first waiter to the start), how many ended by timeout */
  readonly gateStats = { rounds: 0, waitMs: 0, timeouts: 0, quiet: 0 };
  private waitSince = 0;

  constructor(readonly o: ServeOptions) {
    this.pool = new SessionPool(o.backend, o.baseOptions ?? {}, o.maxSessions ?? 64);
    const app = new Hono();
    app.onError((e, c) => {
      const err = e instanceof ApiError ? e : new ApiError(500, describeError(e).replace(/^error: /, ''), null, 'internal_error');
      return c.json(err.body(), err.status);
    });
    app.notFound((c) =>
      c.json(
        new ApiError(
          404,
          `no route ${c.req.method} ${c.req.path}; this server has /v1/models, /v1/chat/completions, /v1/completions`,
          null,
          'unknown_url',
        ).body(),
        404,
      ),
    );
    app.use('*', async (c, next) => {
      if (o.token !== undefined) {
        const h = c.req.header('authorization') ?? '';
        if (!sameSecret(h, `Bearer ${o.token}`))
          throw new ApiError(401, h === '' ? 'no API key: send Authorization: Bearer <token>' : 'wrong API key', null, 'invalid_api_key');
      }
      await next();
    });
    app.use(
      '/v1/*',
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: (c) => c.json(new ApiError(400, `the request body is over ${MAX_BODY_BYTES} bytes`, null, 'request_too_large').body(), 400),
      }),
    );
    app.get('/health', (c) => c.json({ ok: true, model: o.modelId, sessions: this.pool.size, inflight: this.inflight }));
    app.get('/v1/models', (c) => c.json({ object: 'list', data: [this.modelObject()] }));
    app.get('/v1/models/:id', (c) => {
      if (c.req.param('id') !== o.modelId) throw this.noModel(c.req.param('id'));
      return c.json(this.modelObject());
    });
    app.post('/v1/chat/completions', (c) => this.limited(() => this.chat(c)));
    app.post('/v1/completions', (c) => this.limited(() => this.completions(c)));
    this.app = app;
  }

  private modelObject(): Record<string, unknown> {
    return {
      id: this.o.modelId,
      object: 'model',
      created: this.created,
      owned_by: OWNED_BY,
      tw: { backend: this.o.backendName, logprobs: this.o.logprobs === true, ...(this.o.info ?? {}) },
    };
  }

  private noModel(name: string): ApiError {
    return new ApiError(404, `the model "${name}" does not exist on this server; it serves "${this.o.modelId}" (GET /v1/models)`, 'model', 'model_not_found');
  }

  private async limited(fn: () => Promise<Response>): Promise<Response> {
    if (this.inflight >= (this.o.maxConcurrent ?? 256))
      throw new ApiError(429, `too many requests at once (at most ${this.o.maxConcurrent ?? 256}); retry shortly`, null, 'rate_limit_exceeded');
    this.inflight++;
    try {
      return await fn();
    } finally {
      this.inflight--;
    }
  }

  private settings(b: Sampling, maxTokens: number | null | undefined): SessionSettings {
    if (b.n !== undefined && b.n !== null && b.n !== 1)
      throw new ApiError(400, 'n must be 1: a terminal answers a command once (send n requests for n samples)', 'n', 'unsupported_value');
    const options: Record<string, unknown> = {};
    if (b.temperature !== undefined && b.temperature !== null) options.temperature = b.temperature;
    if (b.top_p !== undefined && b.top_p !== null) options.topP = b.top_p;
    if (b.seed !== undefined && b.seed !== null) options.seed = b.seed;
    if (maxTokens !== undefined && maxTokens !== null) options.maxTokens = maxTokens;
    const s: SessionSettings = { mode: b.tw?.mode ?? 'pty', options };
    if (b.tw?.timeout_ms !== undefined) s.timeoutMs = b.tw.timeout_ms;
    if (b.tw?.max_output_bytes !== undefined) s.maxOutputBytes = b.tw.max_output_bytes;
    return s;
  }

  private conversation(msgs: readonly ChatMessage[]): Conversation {
    try {
      return parseConversation(msgs);
    } catch (e) {
      if (e instanceof ConversationError) throw new ApiError(400, e.message, e.param, 'invalid_conversation');
      throw e;
    }
  }

  /** Run the conversation's command in a session brought to its history; keep the session after. */
  private async turn(
    s: SessionSettings,
    conv: Conversation,
    cwds: readonly string[] | undefined,
    onOutput?: (chunk: Buffer) => void,
  ): Promise<{ turn: Turn; reply: string; hit: boolean }> {
    const history = withCwds(conv.history, cwds);
    let got: { term: Terminal; hit: boolean };
    try {
      got = await this.pool.acquire(s, conv.system, history);
    } catch (e) {
      throw this.backendError(e);
    }
    let turn: Turn;
    try {
      await this.together(got.term);
      try {
        turn = await got.term.run(conv.cmd, onOutput ? { onOutput } : undefined);
      } finally {
        this.turnDone(got.term);
      }
    } catch (e) {
      this.pool.discard(got.term);
      throw this.backendError(e);
    }
    const reply = replyText(turn.output, turn.exit);
    this.pool.release(got.term, s, conv.system, [...history, { cmd: conv.cmd, reply }]);
    return { turn, reply, hit: got.hit };
  }

  /**
   * The batch window (ServeOptions.batchWindowMs). Turns that finished together come back as the
   * next requests of their clients some milliseconds apart (HTTP, JSON, the client's own work);
   * started as they come, they would split into cohorts that each make a batch of their own and
   * stay split. So turns start in rounds: while turns are running new ones wait (the model is busy:
   * they would queue behind the running batch anyway); once none runs, they start when the session
   * of every turn of the last round has its next request waiting (every client is back), else after
   * a quarter of the last round's time, at least 8 x `ms` (a client that did not come back costs
   * that round at most a quarter more; the clients still waiting are then released with the next
   * round); a first round starts once no request arrived for `ms` (at most 8 x `ms` after the first).
   * All of a round go on in one macrotask, into one batch.
   */
  private together(term: Terminal): Promise<void> {
    if ((this.o.batchWindowMs ?? 0) <= 0) {
      this.running++;
      return Promise.resolve();
    }
    this.awaitingReturn.delete(term);
    return new Promise<void>((resolve) => {
      if (this.gateWaiting.length === 0) this.waitSince = performance.now();
      this.gateWaiting.push(resolve);
      this.tryOpen();
    });
  }

  private tryOpen(): void {
    const ms = this.o.batchWindowMs ?? 0;
    if (this.gateWaiting.length === 0 || this.running > 0) return;
    // every client of the last round is back, or that round was one turn alone (nobody to batch with)
    if (this.roundsDone > 0 && (this.awaitingReturn.size === 0 || this.lastRoundSize <= 1)) return this.openGate();
    if (this.awaitingReturn.size > 0) {
      // waiting for clients to come back: a quarter of the last round's time, at least 8 x ms;
      // and no longer than 4 x ms after the last one came back (the rest have likely ended)
      if (!this.gateTimer)
        this.gateTimer = setTimeout(
          () => {
            this.gateStats.timeouts++;
            this.openGate();
          },
          Math.max(8 * ms, this.lastRoundMs / 4),
        );
      if (this.quietTimer) clearTimeout(this.quietTimer);
      this.quietTimer = setTimeout(() => {
        this.gateStats.quiet++;
        this.openGate();
      }, 4 * ms);
      return;
    }
    // a first round: until no request arrived for ms, at most 8 x ms after the first
    const now = performance.now();
    if (this.gateWaiting.length === 1) this.firstWaitAt = now;
    if (this.gateTimer) clearTimeout(this.gateTimer);
    this.gateTimer = setTimeout(() => this.openGate(), Math.max(0, Math.min(ms, this.firstWaitAt + 8 * ms - now)));
  }

  private openGate(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
    if (this.gateTimer) clearTimeout(this.gateTimer);
    this.gateTimer = null;
    const all = this.gateWaiting;
    this.gateWaiting = [];
    this.awaitingReturn.clear();
    this.running += all.length;
    this.lastRoundSize = all.length;
    this.roundStart = performance.now();
    this.gateStats.rounds++;
    this.gateStats.waitMs += this.roundStart - this.waitSince;
    for (const r of all) r();
  }

  private turnDone(term: Terminal): void {
    this.running--;
    if (!term.dead) this.awaitingReturn.add(term);
    if (this.running === 0) {
      this.roundsDone++;
      this.lastRoundMs = performance.now() - this.roundStart;
      this.tryOpen();
    }
  }

  private backendError(e: unknown): ApiError {
    if (e instanceof TwError) return new ApiError(400, e.message + (e.hint ? ` (fix: ${e.hint})` : ''), null, 'backend_error');
    return new ApiError(500, `the ${this.o.backendName} backend failed: ${e instanceof Error ? e.message : String(e)}`, null, 'backend_error');
  }

  private twReply(turn: Turn, hit: boolean): Record<string, unknown> {
    return {
      exit: turn.exit,
      cwd: turn.cwd,
      truncated: turn.truncated,
      timed_out: turn.timedOut,
      ms: Math.round(turn.ms * 10) / 10,
      session: hit ? 'hit' : 'miss',
      ...(turn.stderr !== undefined ? { stderr: turn.stderr.toString('utf8') } : {}),
    };
  }

  private checkModel(name: string): void {
    if (name !== this.o.modelId) throw this.noModel(name);
  }

  private async chat(c: Context): Promise<Response> {
    const b = await readJson(c, chatBody);
    this.checkModel(b.model);
    const wantLogprobs = b.logprobs === true;
    const topK = b.top_logprobs ?? 0;
    if (topK > 0 && !wantLogprobs) throw new ApiError(400, 'top_logprobs needs logprobs: true', 'top_logprobs', 'invalid_value');
    if (wantLogprobs && this.o.logprobs !== true)
      throw new ApiError(400, `this server's backend (${this.o.backendName}) gives no log-probabilities`, 'logprobs', 'logprobs_unsupported');
    const msgs: ChatMessage[] = b.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: m.content }));
    const conv = this.conversation(msgs);
    const s = this.settings(b, b.max_completion_tokens ?? b.max_tokens);
    const greedy = !(b.temperature && b.temperature > 0);
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = textBytes(msgs);
    const lpContent = (tokens: TokenEntry[] | null): TokenEntry[] | null =>
      tokens ? tokens.map((t) => ({ ...t, top_logprobs: topK > 0 && greedy ? [{ token: t.token, logprob: t.logprob, bytes: t.bytes }] : [] })) : null;
    const usage = (turn: Turn, reply: string): Record<string, number> => usageOf(promptTokens, turn, reply);
    if (b.stream === true) {
      const includeUsage = b.stream_options?.include_usage === true;
      return streamSSE(c, async (stream) => {
        const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): Promise<void> =>
          stream.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: this.o.modelId, choices, ...extra }) });
        await chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
        // Without logprobs the output goes out as the backend produces it; with them, each chunk
        // carries its token's log-probability, so they go out once the turn is done.
        const live = wantLogprobs ? null : new LiveText((text) => chunk([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]));
        let r: { turn: Turn; reply: string; hit: boolean };
        try {
          r = await this.turn(s, conv, b.tw?.cwds, live ? (bytes) => live.push(bytes) : undefined);
        } catch (e) {
          await live?.drain();
          const err = e instanceof ApiError ? e : this.backendError(e);
          await stream.writeSSE({ data: JSON.stringify(err.body()) });
          return;
        }
        const tokens = live ? null : replyTokens(r.turn, r.reply);
        if (live) await live.end(r.reply);
        else if (tokens) {
          // Content is text: a non-ASCII character goes out with the token of its last byte.
          const dec = new TextDecoder('utf-8');
          for (const t of lpContent(tokens) ?? []) {
            const text = t.token.startsWith('bytes:') ? dec.decode(Uint8Array.from(t.bytes), { stream: true }) : dec.decode() + t.token;
            await chunk([{ index: 0, delta: { content: text }, logprobs: wantLogprobs ? { content: [t] } : null, finish_reason: null }]);
          }
        } else {
          for (let i = 0; i < r.reply.length; i += 32)
            await chunk([{ index: 0, delta: { content: r.reply.slice(i, i + 32) }, logprobs: null, finish_reason: null }]);
        }
        await chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: r.turn.truncated ? 'length' : 'stop' }], { tw: this.twReply(r.turn, r.hit) });
        if (includeUsage) await chunk([], { usage: usage(r.turn, r.reply) });
        await stream.writeSSE({ data: '[DONE]' });
      });
    }
    const r = await this.turn(s, conv, b.tw?.cwds);
    return c.json({
      id,
      object: 'chat.completion',
      created,
      model: this.o.modelId,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: r.reply, refusal: null },
          logprobs: wantLogprobs ? { content: lpContent(replyTokens(r.turn, r.reply)) } : null,
          finish_reason: r.turn.truncated ? 'length' : 'stop',
        },
      ],
      usage: usage(r.turn, r.reply),
      tw: this.twReply(r.turn, r.hit),
    });
  }

  private async completions(c: Context): Promise<Response> {
    const b = await readJson(c, completionBody);
    this.checkModel(b.model);
    let parsed: { messages: ChatMessage[]; open: string | null };
    try {
      parsed = parseChatML(b.prompt);
    } catch (e) {
      if (e instanceof ConversationError) throw new ApiError(400, e.message, 'prompt', 'invalid_prompt');
      throw e;
    }
    const k = b.logprobs ?? null;
    if (k !== null && this.o.logprobs !== true)
      throw new ApiError(400, `this server's backend (${this.o.backendName}) gives no log-probabilities`, 'logprobs', 'logprobs_unsupported');
    const id = `cmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = Buffer.byteLength(b.prompt, 'utf8');
    if (parsed.open !== null && parsed.open !== '') {
      if (!(b.echo === true && b.max_tokens === 0))
        throw new ApiError(
          400,
          'the prompt ends inside an assistant reply: continuing a partial reply is not supported; to score that text send echo: true, max_tokens: 0, logprobs: 1',
          'prompt',
          'unsupported_value',
        );
      return c.json(await this.score(b, parsed.messages, parsed.open, id, created, promptTokens));
    }
    if (b.max_tokens === 0)
      throw new ApiError(
        400,
        'max_tokens 0 generates nothing; it is for scoring (echo: true and a prompt ending in an open assistant turn)',
        'max_tokens',
        'invalid_value',
      );
    const conv = this.conversation(parsed.messages);
    const s = this.settings(b, b.max_tokens);
    if (b.stream === true && k === null) return this.completionsLive(c, b, s, conv, id, created, promptTokens);
    const r = await this.turn(s, conv, b.tw?.cwds);
    const text = (b.echo === true ? b.prompt : '') + r.reply;
    let logprobs: Record<string, unknown> | null = null;
    if (k !== null) {
      const tokens = replyTokens(r.turn, r.reply) ?? [];
      const greedy = !(b.temperature && b.temperature > 0);
      let off = b.echo === true ? b.prompt.length : 0;
      const offsets = tokens.map((t) => {
        const o = off;
        off += t.token.startsWith('bytes:') ? 0 : t.token.length;
        return o;
      });
      logprobs = {
        tokens: tokens.map((t) => t.token),
        token_logprobs: tokens.map((t) => t.logprob),
        top_logprobs: tokens.map((t) => (k > 0 && greedy ? { [t.token]: t.logprob } : {})),
        text_offset: offsets,
      };
    }
    const body = {
      id,
      object: 'text_completion',
      created,
      model: this.o.modelId,
      choices: [{ index: 0, text, logprobs, finish_reason: r.turn.truncated ? 'length' : 'stop' }],
      usage: usageOf(promptTokens, r.turn, r.reply),
      tw: this.twReply(r.turn, r.hit),
    };
    if (b.stream === true) {
      return streamSSE(c, async (stream) => {
        await stream.writeSSE({ data: JSON.stringify({ ...body, choices: [{ index: 0, text, logprobs, finish_reason: null }] }) });
        await stream.writeSSE({
          data: JSON.stringify({
            id,
            object: 'text_completion',
            created,
            model: this.o.modelId,
            choices: [{ index: 0, text: '', logprobs: null, finish_reason: body.choices[0]?.finish_reason ?? 'stop' }],
            tw: body.tw,
          }),
        });
        if (b.stream_options?.include_usage === true)
          await stream.writeSSE({ data: JSON.stringify({ id, object: 'text_completion', created, model: this.o.modelId, choices: [], usage: body.usage }) });
        await stream.writeSSE({ data: '[DONE]' });
      });
    }
    return c.json(body);
  }

  /** /v1/completions streamed without logprobs: the reply goes out as the backend produces it. */
  private completionsLive(
    c: Context,
    b: z.infer<typeof completionBody>,
    s: SessionSettings,
    conv: Conversation,
    id: string,
    created: number,
    promptTokens: number,
  ): Response {
    return streamSSE(c, async (stream) => {
      const chunk = (text: string, finish: string | null, extra: Record<string, unknown> = {}): Promise<void> =>
        stream.writeSSE({
          data: JSON.stringify({
            id,
            object: 'text_completion',
            created,
            model: this.o.modelId,
            choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
            ...extra,
          }),
        });
      if (b.echo === true) await chunk(b.prompt, null);
      const live = new LiveText((text) => chunk(text, null));
      let r: { turn: Turn; reply: string; hit: boolean };
      try {
        r = await this.turn(s, conv, b.tw?.cwds, (bytes) => live.push(bytes));
      } catch (e) {
        await live.drain();
        const err = e instanceof ApiError ? e : this.backendError(e);
        await stream.writeSSE({ data: JSON.stringify(err.body()) });
        return;
      }
      await live.end(r.reply);
      await chunk('', r.turn.truncated ? 'length' : 'stop', { tw: this.twReply(r.turn, r.hit) });
      if (b.stream_options?.include_usage === true)
        await stream.writeSSE({
          data: JSON.stringify({ id, object: 'text_completion', created, model: this.o.modelId, choices: [], usage: usageOf(promptTokens, r.turn, r.reply) }),
        });
      await stream.writeSSE({ data: '[DONE]' });
    });
  }

  /** Teacher-forced scoring of the open assistant text, given the messages before it. */
  private async score(
    b: z.infer<typeof completionBody>,
    msgs: ChatMessage[],
    open: string,
    id: string,
    created: number,
    promptTokens: number,
  ): Promise<Record<string, unknown>> {
    if (this.o.logprobs !== true)
      throw new ApiError(400, `this server's backend (${this.o.backendName}) cannot score given text`, 'echo', 'logprobs_unsupported');
    const conv = this.conversation(msgs);
    const s = this.settings(b, null);
    const history: KnownTurn[] = withCwds(conv.history, b.tw?.cwds);
    const truth = parseReply(open);
    const before = history[history.length - 1]?.cwd ?? '/root';
    const cwd = b.tw?.cwds?.[history.length] ?? inferCwd(before, conv.cmd, Math.max(0, truth.exit));
    let got: { term: Terminal; hit: boolean };
    try {
      got = await this.pool.acquire(s, conv.system, history);
    } catch (e) {
      throw this.backendError(e);
    }
    let sc: TokenScores;
    try {
      if (!canScore(got.term)) throw new ApiError(400, `this server's backend (${this.o.backendName}) cannot score given text`, 'echo', 'logprobs_unsupported');
      sc = await got.term.score(conv.cmd, { output: Buffer.from(truth.output, 'utf8'), exit: Math.max(0, truth.exit), cwd });
    } catch (e) {
      this.pool.discard(got.term);
      throw e instanceof ApiError ? e : this.backendError(e);
    }
    this.pool.release(got.term, s, conv.system, history);
    const outBytes = Buffer.from(truth.output, 'utf8');
    const prefix = b.prompt.slice(0, b.prompt.length - open.length);
    const tokens: string[] = [prefix];
    const tokenLogprobs: (number | null)[] = [null];
    const top: (Record<string, number> | null)[] = [null];
    const n = sc.logp.length;
    const tail = open.slice(truth.output.length);
    // output tokens as the model reads them: one byte each, or a BPE token's bytes together (outputTokenBytes)
    let pos = 0;
    for (let i = 0; i < n; i++) {
      let tok = i === sc.outputTokens ? tail : '';
      if (i < sc.outputTokens) {
        const w = sc.outputTokenBytes?.[i] ?? 1;
        tok = tokenText([...outBytes.subarray(pos, pos + w)]);
        pos += w;
      }
      tokens.push(tok);
      tokenLogprobs.push(sc.logp[i] ?? null);
      top.push((b.logprobs ?? 0) > 0 && sc.argmaxCorrect[i] === 1 ? { [tok]: sc.logp[i] ?? 0 } : {});
    }
    let off = 0;
    const offsets = tokens.map((t) => {
      const o = off;
      off += t.startsWith('bytes:') ? 0 : t.length;
      return o;
    });
    return {
      id,
      object: 'text_completion',
      created,
      model: this.o.modelId,
      choices: [
        { index: 0, text: b.prompt, logprobs: { tokens, token_logprobs: tokenLogprobs, top_logprobs: top, text_offset: offsets }, finish_reason: 'length' },
      ],
      usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens },
      tw_scores: {
        p_max: [...sc.pMax],
        argmax_correct: [...sc.argmaxCorrect],
        sum_sq: [...sc.sumSq],
        output_tokens: sc.outputTokens,
        // a BPE model: the bytes the output tokens stand for, and each one's count
        ...(sc.outputBytes !== undefined ? { output_bytes: sc.outputBytes, output_token_bytes: sc.outputTokenBytes ?? [] } : {}),
        scored_tokens: n,
        target_tokens: outBytes.length,
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** Does the backend give log-probabilities (it has score())? One throwaway session says. */
export async function probeLogprobs(backend: Backend, baseOptions: Record<string, unknown>): Promise<boolean> {
  const t = await backend.start({ mode: 'pty', options: baseOptions });
  try {
    return canScore(t);
  } finally {
    await t.close();
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface Started {
  url: string;
  port: number;
  server: TwServer;
  close(): Promise<void>;
}

/** Start the server on host:port (port 0: any free port). Refuses a non-loopback host without a token. */
export async function startServe(o: ServeOptions & { host?: string; port?: number }): Promise<Started> {
  const host = o.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !o.token)
    throw new TwError(
      `tw serve on ${host} (not loopback) needs a bearer token`,
      'set one in an environment variable and pass its name: TW_SERVE_TOKEN=... tw serve --host 0.0.0.0 --token-env TW_SERVE_TOKEN',
    );
  const logprobs = o.logprobs ?? (await probeLogprobs(o.backend, o.baseOptions ?? {}));
  const tw = new TwServer({ ...o, logprobs, batchWindowMs: o.batchWindowMs ?? (o.backendName === 'learned' ? 3 : 0) });
  const http: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: tw.app.fetch, port: o.port ?? 8000, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/v1`,
    port,
    server: tw,
    close: async () => {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        const h = http as unknown as { closeAllConnections?: () => void };
        h.closeAllConnections?.();
      });
      await tw.close();
    },
  };
}
