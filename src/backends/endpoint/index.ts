/**
 * The `endpoint` backend: any OpenAI-compatible server (tw serve, vLLM, SGLang, llama.cpp's
 * llama-server, a hosted API) behind the Terminal interface.
 *
 *   tw serve --model models/terminal-state --port 8000 &
 *   TW_ENDPOINT_URL=http://127.0.0.1:8000/v1 tw exec --backend endpoint 'ls' 'pwd'
 *   tw exec --backend endpoint --endpoint-url http://127.0.0.1:8000/v1 --endpoint-style prompted ...
 *
 * Options (SessionSpec.options, else TW_ENDPOINT_* variables): src/backends/endpoint/options.ts.
 * start() asks the server for its models once per URL (GET /v1/models): an unreachable server, a
 * wrong model name or a refused key fail here, with the fix, not on every command.
 */
import { TwError } from '../../core/errors.js';
import type { Backend, SessionSpec, Terminal } from '../../core/terminal.js';
import { EndpointClient } from './client.js';
import { apiKeyFrom, endpointSettings, type EndpointSettings } from './options.js';
import { EndpointTerminal, type ServerFacts } from './terminal.js';

interface ModelEntry {
  id: string;
  owned_by?: string;
  tw?: { logprobs?: boolean };
}

const modelLists = new Map<string, Promise<ModelEntry[]>>();

async function models(client: EndpointClient, s: EndpointSettings): Promise<ModelEntry[]> {
  const key = `${s.url}#${s.apiKeyEnv ?? ''}`;
  let p = modelLists.get(key);
  if (!p) {
    p = client.get<unknown>('/models').then((body) => {
      const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
      if (!Array.isArray(data))
        throw new TwError(
          `${s.url}/models: the reply has no "data" list of models`,
          'the URL should be the API root of an OpenAI-compatible server, ending in /v1',
        );
      return data.filter((m): m is ModelEntry => typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string');
    });
    modelLists.set(key, p);
    p.catch(() => modelLists.delete(key));
  }
  return p;
}

/** Forget what servers said about their models (tests start and stop servers on reused ports). */
export function forgetServers(): void {
  modelLists.clear();
}

export async function serverFacts(client: EndpointClient, s: EndpointSettings): Promise<ServerFacts> {
  const list = await models(client, s);
  if (list.length === 0) throw new TwError(`${s.url} serves no models`, 'load a model into the server first');
  const chosen = s.model === null ? list[0] : list.find((m) => m.id === s.model);
  if (!chosen)
    throw new TwError(
      `the model "${s.model ?? ''}" is not served at ${s.url}; it serves: ${list.map((m) => m.id).join(', ')}`,
      `name one of those: --endpoint-model ${list[0]?.id ?? ''} (or TW_ENDPOINT_MODEL)`,
    );
  const twServe = chosen.owned_by === 'terminalworld';
  const twLogprobs = twServe && chosen.tw?.logprobs === true;
  const logprobs = s.logprobs === 'auto' ? twLogprobs : s.logprobs;
  let scoring: ServerFacts['scoring'] = 'none';
  let why: string | undefined;
  if (s.scoring === 'echo') scoring = 'echo';
  else if (s.scoring === 'none') why = 'scoring: none';
  else if (twLogprobs) scoring = 'tw';
  else
    why = twServe
      ? 'the served backend gives no log-probabilities'
      : 'scoring given text needs /v1/completions with echo + logprobs; set TW_ENDPOINT_SCORING=echo if this server has it (vLLM does)';
  return { model: chosen.id, twServe, logprobs, scoring, ...(why ? { scoringWhyNot: why } : {}) };
}

export function clientFor(s: EndpointSettings): EndpointClient {
  const key = apiKeyFrom(s);
  return new EndpointClient({
    baseUrl: s.url,
    ...(key !== undefined ? { apiKey: key } : {}),
    ...(s.apiKeyEnv ? { apiKeyEnv: s.apiKeyEnv } : {}),
    timeoutMs: s.timeoutMs,
    retries: s.retries,
    backoffMs: s.backoffMs,
    concurrency: s.concurrency,
  });
}

export const endpointBackend: Backend = {
  name: 'endpoint',
  description: 'an OpenAI-compatible server (tw serve, vLLM, llama.cpp, ...)',
  async start(spec: SessionSpec): Promise<Terminal> {
    const s = endpointSettings(spec);
    const client = clientFor(s);
    const facts = await serverFacts(client, s);
    const t = new EndpointTerminal(client, s, facts, spec);
    await t.runSetup(spec.setup ?? []);
    return t;
  },
};
