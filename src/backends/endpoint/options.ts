/**
 * The endpoint backend's options: SessionSpec.options first, then TW_ENDPOINT_* environment
 * variables (so every command that takes --backend works with it, `tw probe` and the gym included),
 * then defaults. The API key is never an option: options.apiKeyEnv names the variable that holds it.
 *
 *   option         env                       default
 *   url            TW_ENDPOINT_URL           (required) e.g. http://127.0.0.1:8000/v1
 *   model          TW_ENDPOINT_MODEL         the server's first model (GET /v1/models)
 *   apiKeyEnv      TW_ENDPOINT_KEY_ENV       none (no Authorization header)
 *   style          TW_ENDPOINT_STYLE         worldmodel | prompted
 *   api            TW_ENDPOINT_API           chat | completions (a raw ChatML prompt)
 *   temperature    TW_ENDPOINT_TEMPERATURE   0
 *   maxTokens      TW_ENDPOINT_MAX_TOKENS    1024
 *   timeoutMs      TW_ENDPOINT_TIMEOUT_MS    60000 (per attempt)
 *   retries        TW_ENDPOINT_RETRIES       3 (on 429, 5xx, network errors, timeouts, cut streams)
 *   backoffMs      TW_ENDPOINT_BACKOFF_MS    500 (doubled each retry, with jitter; Retry-After wins)
 *   concurrency    TW_ENDPOINT_CONCURRENCY   16 requests at once per server, all sessions together
 *   stream         TW_ENDPOINT_STREAM        false (true: server-sent events)
 *   logprobs       TW_ENDPOINT_LOGPROBS      auto: on for tw serve, off elsewhere (true | false)
 *   scoring        TW_ENDPOINT_SCORING       auto: tw serve scores given text; `echo`: any server's
 *                                            /v1/completions with echo (ChatML prompt); `none`
 *   seed           -                         SessionSpec.seed (sent as `seed`)
 */
import { TwError } from '../../core/errors.js';
import type { SessionSpec } from '../../core/terminal.js';

export const STYLES = ['worldmodel', 'prompted'] as const;
export type Style = (typeof STYLES)[number];
export const APIS = ['chat', 'completions'] as const;
export type Api = (typeof APIS)[number];

export interface EndpointSettings {
  url: string;
  model: string | null;
  apiKeyEnv: string | null;
  style: Style;
  api: Api;
  temperature: number;
  maxTokens: number;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  concurrency: number;
  stream: boolean;
  logprobs: 'auto' | boolean;
  scoring: 'auto' | 'echo' | 'none';
  seed: number | null;
}

const ENV: Record<string, string> = {
  url: 'TW_ENDPOINT_URL',
  model: 'TW_ENDPOINT_MODEL',
  apiKeyEnv: 'TW_ENDPOINT_KEY_ENV',
  style: 'TW_ENDPOINT_STYLE',
  api: 'TW_ENDPOINT_API',
  temperature: 'TW_ENDPOINT_TEMPERATURE',
  maxTokens: 'TW_ENDPOINT_MAX_TOKENS',
  timeoutMs: 'TW_ENDPOINT_TIMEOUT_MS',
  retries: 'TW_ENDPOINT_RETRIES',
  backoffMs: 'TW_ENDPOINT_BACKOFF_MS',
  concurrency: 'TW_ENDPOINT_CONCURRENCY',
  stream: 'TW_ENDPOINT_STREAM',
  logprobs: 'TW_ENDPOINT_LOGPROBS',
  scoring: 'TW_ENDPOINT_SCORING',
};

function raw(o: Record<string, unknown>, name: string): unknown {
  if (o[name] !== undefined) return o[name];
  const env = ENV[name];
  const v = env ? process.env[env] : undefined;
  return v === undefined || v === '' ? undefined : v;
}

function bad(name: string, v: unknown, want: string): TwError {
  return new TwError(
    `endpoint backend: ${name} must be ${want}, got ${JSON.stringify(v)}`,
    `set options.${name}${ENV[name] ? ` or ${ENV[name]}` : ''} (e.g. ${want})`,
  );
}

function numberOf(o: Record<string, unknown>, name: string, dflt: number, ok: (x: number) => boolean, want: string): number {
  const v = raw(o, name);
  if (v === undefined) return dflt;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || !ok(n)) throw bad(name, v, want);
  return n;
}

function oneOf<T extends string>(o: Record<string, unknown>, name: string, values: readonly T[], dflt: T): T {
  const v = raw(o, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw bad(name, v, values.join(' | '));
  return v as T;
}

function boolOf(o: Record<string, unknown>, name: string): boolean | undefined {
  const v = raw(o, name);
  if (v === undefined || v === 'auto') return undefined;
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw bad(name, v, 'true | false');
}

export function endpointSettings(spec: SessionSpec): EndpointSettings {
  const o = spec.options ?? {};
  if (o.apiKey !== undefined)
    throw new TwError(
      'endpoint backend: the API key is never an option (it would end up in shell history and run folders)',
      'put it in an environment variable and name that: options.apiKeyEnv = "OPENAI_API_KEY" (tw: --endpoint-key-env OPENAI_API_KEY)',
    );
  const url = raw(o, 'url');
  if (typeof url !== 'string' || !/^https?:\/\/./.test(url)) {
    throw new TwError(
      url === undefined ? 'endpoint backend: no server URL' : `endpoint backend: the URL ${JSON.stringify(url)} is not an http(s) URL`,
      'point it at an OpenAI-compatible API: --endpoint-url http://127.0.0.1:8000/v1 (or TW_ENDPOINT_URL); to serve one of ours: tw serve --model DIR',
    );
  }
  const model = raw(o, 'model');
  if (model !== undefined && typeof model !== 'string') throw bad('model', model, 'a model name');
  const keyEnv = raw(o, 'apiKeyEnv');
  if (keyEnv !== undefined && (typeof keyEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv)))
    throw bad('apiKeyEnv', keyEnv, 'an environment variable name such as OPENAI_API_KEY');
  const lp = boolOf(o, 'logprobs');
  return {
    url: url.replace(/\/+$/, ''),
    model: model ?? null,
    apiKeyEnv: keyEnv ?? null,
    style: oneOf(o, 'style', STYLES, 'worldmodel'),
    api: oneOf(o, 'api', APIS, 'chat'),
    temperature: numberOf(o, 'temperature', 0, (x) => x >= 0 && x <= 2, 'a number in [0, 2]'),
    maxTokens: numberOf(o, 'maxTokens', 1024, (x) => Number.isInteger(x) && x >= 1, 'a positive integer'),
    timeoutMs: numberOf(o, 'timeoutMs', 60_000, (x) => x > 0, 'milliseconds > 0'),
    retries: numberOf(o, 'retries', 3, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0'),
    backoffMs: numberOf(o, 'backoffMs', 500, (x) => x >= 0, 'milliseconds >= 0'),
    concurrency: numberOf(o, 'concurrency', 16, (x) => Number.isInteger(x) && x >= 1, 'a positive integer'),
    stream: boolOf(o, 'stream') ?? false,
    logprobs: lp ?? 'auto',
    scoring: oneOf(o, 'scoring', ['auto', 'echo', 'none'] as const, 'auto'),
    seed: typeof o.seed === 'number' ? o.seed : (spec.seed ?? null),
  };
}

/** The key from the named variable; a named but empty variable is an error that says so. */
export function apiKeyFrom(s: EndpointSettings): string | undefined {
  if (!s.apiKeyEnv) return undefined;
  const k = process.env[s.apiKeyEnv];
  if (!k)
    throw new TwError(
      `endpoint backend: the API key variable $${s.apiKeyEnv} is not set or empty`,
      `export ${s.apiKeyEnv}=<your key>, or name another variable with --endpoint-key-env / TW_ENDPOINT_KEY_ENV`,
    );
  return k;
}
