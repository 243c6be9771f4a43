/**
 * A small client for OpenAI-compatible servers: JSON and server-sent-event requests with a
 * per-attempt timeout, retries with exponential backoff (and jitter, and the server's Retry-After)
 * on 429, 5xx, network errors, timeouts and cut streams, and a concurrency limit shared by every
 * session that talks to the same server. Every failure ends as an EndpointError that says what
 * happened and what to do; nothing waits forever.
 */
import { TwError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  /** name of the env variable the key came from (for messages; the key itself is never printed) */
  apiKeyEnv?: string;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  concurrency: number;
}

export class EndpointError extends TwError {
  constructor(
    message: string,
    hint: string,
    readonly status: number | null = null,
    readonly code: string | null = null,
    readonly retryable = false,
  ) {
    super(message, hint);
    this.name = 'EndpointError';
  }
}

/** A FIFO counting semaphore. */
export class Semaphore {
  private waiting: (() => void)[] = [];
  private used = 0;
  constructor(readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.used < this.limit) {
      this.used++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
  get inUse(): number {
    return this.used;
  }
}

const semaphores = new Map<string, Semaphore>();
function semaphoreFor(url: string, limit: number): Semaphore {
  const key = `${url}#${limit}`;
  let s = semaphores.get(key);
  if (!s) {
    s = new Semaphore(limit);
    semaphores.set(key, s);
  }
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ClientStats {
  requests: number;
  retries: number;
}

export class EndpointClient {
  readonly stats: ClientStats = { requests: 0, retries: 0 };
  private readonly sem: Semaphore;
  /** backoff jitter from the project's seeded RNG, so that a run's retry timing is reproducible */
  private readonly jitter: Rng;

  constructor(readonly o: ClientOptions) {
    this.jitter = new Rng(0).fork(`endpoint-backoff:${o.baseUrl}`);
    this.sem = semaphoreFor(o.baseUrl, o.concurrency);
  }

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: json ? 'application/json' : 'text/event-stream' };
    if (this.o.apiKey) h.authorization = `Bearer ${this.o.apiKey}`;
    return h;
  }

  async get<T>(path: string): Promise<T> {
    return this.withRetries(path, async (signal) => {
      const res = await fetch(this.o.baseUrl + path, { headers: this.headers(true), signal });
      return (await this.readJson(res, path)) as T;
    });
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.withRetries(path, async (signal) => {
      const res = await fetch(this.o.baseUrl + path, {
        method: 'POST',
        headers: { ...this.headers(true), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
      return (await this.readJson(res, path)) as T;
    });
  }

  /** POST with stream: true; every `data:` payload (parsed JSON) until `[DONE]`, which must come. */
  async postStream(path: string, body: unknown): Promise<unknown[]> {
    return this.withRetries(path, async (signal) => {
      const res = await fetch(this.o.baseUrl + path, {
        method: 'POST',
        headers: { ...this.headers(false), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
      if (!res.ok) await this.readJson(res, path); // throws the server's error
      if (!res.body)
        throw new EndpointError(
          `${path}: a streaming reply with no body`,
          'check that the server supports stream: true, or set options.stream false',
          res.status,
          'malformed_reply',
          true,
        );
      const events: unknown[] = [];
      const dec = new TextDecoder();
      let buf = '';
      let done = false;
      for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(piece, { stream: true });
        let nl: number;
        while ((nl = buf.search(/\r?\n\r?\n/)) >= 0) {
          const block = buf.slice(0, nl);
          buf = buf.slice(nl).replace(/^\r?\n\r?\n/, '');
          const data = block
            .split(/\r?\n/)
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).replace(/^ /, ''))
            .join('\n');
          if (data === '') continue;
          if (data === '[DONE]') {
            done = true;
            break;
          }
          let ev: unknown;
          try {
            ev = JSON.parse(data);
          } catch {
            throw new EndpointError(
              `${path}: a stream event is not JSON: ${data.slice(0, 120)}`,
              'the server does not speak the OpenAI streaming format; set options.stream false',
              res.status,
              'malformed_reply',
              false,
            );
          }
          const err = errorOf(ev);
          if (err) throw this.errorFromBody(res.status >= 400 ? res.status : 500, err, path);
          events.push(ev);
        }
        if (done) break;
      }
      if (!done)
        throw new EndpointError(
          `${path}: the stream was cut before [DONE] (${events.length} events arrived)`,
          'the server or the network dropped the connection; it is retried, and if it keeps happening check the server log',
          res.status,
          'stream_cut',
          true,
        );
      return events;
    });
  }

  private async readJson(res: Response, path: string): Promise<unknown> {
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const retryable = res.status === 429 || res.status >= 500;
      throw new EndpointError(
        `${path}: HTTP ${res.status}, and the body is not JSON: ${JSON.stringify(text.slice(0, 160))}`,
        res.ok ? 'the URL may not be an OpenAI-compatible API: it should end in /v1 (e.g. http://127.0.0.1:8000/v1)' : 'check the server log',
        res.status,
        res.ok ? 'malformed_reply' : 'http_error',
        retryable,
      );
    }
    if (!res.ok) {
      const err = errorOf(body) ?? { message: text.slice(0, 200) };
      throw this.errorFromBody(res.status, err, path, res.headers.get('retry-after'));
    }
    return body;
  }

  private errorFromBody(
    status: number,
    err: { message: string; code?: string | null; type?: string | null },
    path: string,
    retryAfter?: string | null,
  ): EndpointError {
    const code = err.code ?? err.type ?? null;
    const msg = `${path}: HTTP ${status}: ${err.message}`;
    if (status === 401 || status === 403)
      return new EndpointError(
        msg,
        this.o.apiKeyEnv
          ? `the server refused the API key from $${this.o.apiKeyEnv}: set it to a valid key`
          : 'the server wants an API key: put it in an environment variable and name it with options.apiKeyEnv (tw: --endpoint-key-env NAME, or TW_ENDPOINT_KEY_ENV)',
        status,
        code,
      );
    if (status === 404 && /model/i.test(err.message))
      return new EndpointError(
        msg,
        'name a model the server serves (GET /v1/models lists them): options.model, --endpoint-model or TW_ENDPOINT_MODEL',
        status,
        'model_not_found',
      );
    if (status === 429 || status >= 500) {
      const e = new EndpointError(
        msg,
        status === 429 ? 'the server is rate-limiting: lower options.concurrency, or raise options.retries' : 'the server failed; check its log',
        status,
        code,
        true,
      );
      const s = Number(retryAfter);
      if (Number.isFinite(s) && s > 0) (e as EndpointError & { retryAfterMs?: number }).retryAfterMs = Math.min(30_000, s * 1000);
      return e;
    }
    return new EndpointError(msg, 'the server rejected the request', status, code);
  }

  /** Run `attempt` under the concurrency limit, with a timeout per attempt and retries. */
  private async withRetries<T>(path: string, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    await this.sem.acquire();
    try {
      for (let i = 0; ; i++) {
        this.stats.requests++;
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(), this.o.timeoutMs);
        let err: EndpointError;
        try {
          return await attempt(ac.signal);
        } catch (e) {
          err = this.classify(e, path, ac.signal.aborted);
        } finally {
          clearTimeout(timer);
        }
        if (!err.retryable || i >= this.o.retries) {
          if (i > 0) err.message += ` (after ${i + 1} attempts)`;
          throw err;
        }
        this.stats.retries++;
        const hinted = (err as EndpointError & { retryAfterMs?: number }).retryAfterMs;
        const backoff = hinted ?? this.o.backoffMs * 2 ** i * (0.5 + this.jitter.float());
        await sleep(backoff);
      }
    } finally {
      this.sem.release();
    }
  }

  private classify(e: unknown, path: string, timedOut: boolean): EndpointError {
    if (e instanceof EndpointError) return e;
    if (timedOut)
      return new EndpointError(
        `${path}: no complete reply within ${this.o.timeoutMs} ms`,
        'the server is slow or stuck: raise options.timeoutMs (--endpoint-timeout), or check the server',
        null,
        'timeout',
        true,
      );
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : null;
    const code = cause && 'code' in cause ? String((cause as Error & { code: unknown }).code) : null;
    const what = cause?.message ?? (e instanceof Error ? e.message : String(e));
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new EndpointError(
        `cannot resolve the endpoint's host in ${this.o.baseUrl}: ${what}`,
        'check the URL (options.url, --endpoint-url or TW_ENDPOINT_URL)',
        null,
        'unreachable',
        false,
      );
    if (code === 'ECONNREFUSED')
      return new EndpointError(
        `nothing is listening at ${this.o.baseUrl} (connection refused)`,
        'start the server (tw serve --model DIR, vllm serve, llama-server), or fix the URL (--endpoint-url / TW_ENDPOINT_URL)',
        null,
        'unreachable',
        true,
      );
    return new EndpointError(
      `${path}: the request to ${this.o.baseUrl} failed: ${what}`,
      'check that the server is up and the URL is right',
      null,
      code ?? 'network',
      true,
    );
  }
}

function errorOf(body: unknown): { message: string; code?: string | null; type?: string | null } | null {
  if (typeof body !== 'object' || body === null || !('error' in body)) return null;
  const e = (body as { error: unknown }).error;
  if (typeof e === 'string') return { message: e };
  if (typeof e === 'object' && e !== null) {
    const o = e as Record<string, unknown>;
    return {
      message: typeof o.message === 'string' ? o.message : JSON.stringify(e),
      code: typeof o.code === 'string' ? o.code : null,
      type: typeof o.type === 'string' ? o.type : null,
    };
  }
  return null;
}
