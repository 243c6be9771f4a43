/**
 * The endpoint backend against servers that misbehave (a scripted node:http server on loopback):
 * slow, down, 429, 5xx, malformed JSON, a reply without [exit N], a stream cut mid-way, a context
 * overflow, a refused key, a wrong model. Each gives a clear error or a retry, never a hang, and a
 * malformed reply is counted and exits 1. Every case is bounded by short timeouts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionSpec } from '../../core/terminal.js';
import { endpointBackend, forgetServers } from './index.js';
import { PROMPTED_SYSTEM } from './prompted.js';
import type { EndpointTerminal } from './terminal.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, n: number) => void;

let server: Server;
let url = '';
let handler: Handler = () => undefined;
let calls = 0;
let inflight = 0;
let maxInflight = 0;
const bodies: Record<string, unknown>[] = [];

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const reply = (content: string): unknown => ({
  id: 'x',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
});

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      if (req.url?.endsWith('/models')) {
        if (req.headers.authorization === 'Bearer refused')
          return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
        return json(res, 200, {
          object: 'list',
          data: [
            { id: 'm1', object: 'model', owned_by: 'someone' },
            { id: 'm2', object: 'model' },
          ],
        });
      }
      const body = data ? (JSON.parse(data) as Record<string, unknown>) : {};
      bodies.push(body);
      calls++;
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      res.on('close', () => inflight--);
      handler(req, res, body, calls);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
afterEach(() => {
  calls = 0;
  maxInflight = 0;
  bodies.length = 0;
  forgetServers();
});

// A generous timeout per attempt (a starved CI machine must not time out a good reply); the slow-server case sets its own.
const FAST = { timeoutMs: 15_000, retries: 2, backoffMs: 10 };
const start = (options: Record<string, unknown> = {}, spec: SessionSpec = {}): Promise<EndpointTerminal> =>
  endpointBackend.start({ mode: 'pty', ...spec, options: { url, ...FAST, ...options } }) as Promise<EndpointTerminal>;

describe('endpoint backend: faults', () => {
  it('a good reply: output, exit, cwd inferred from cd (not tw serve)', async () => {
    handler = (_q, res, body) => {
      const msgs = body.messages as { content: string }[];
      json(res, 200, reply(msgs[msgs.length - 1]?.content === 'cd /tmp/x' ? '[exit 0]' : 'hi\r\n[exit 0]'));
    };
    const t = await start();
    expect(t.info.model).toBe('m1');
    const a = await t.run('cd /tmp/x');
    expect(a).toMatchObject({ exit: 0, cwd: '/tmp/x' });
    const b = await t.run('echo hi');
    expect(b.output.toString()).toBe('hi\r\n');
    // the second request carries the first turn, exactly as the worldmodel export writes it
    expect(bodies[1]?.messages).toEqual([
      { role: 'system', content: expect.stringContaining('Linux bash terminal') },
      { role: 'user', content: 'cd /tmp/x' },
      { role: 'assistant', content: '[exit 0]' },
      { role: 'user', content: 'echo hi' },
    ]);
    expect(t.malformed).toBe(0);
  });

  it('slow server: each attempt times out, retried, then a clear error (bounded)', async () => {
    handler = () => undefined; // never answers (GET /models still does)
    await (await start()).close(); // the model list, fetched once per server, with the generous timeout
    const t = await start({ timeoutMs: 400 });
    const t0 = Date.now();
    await expect(t.run('ls')).rejects.toThrow(/no complete reply within 400 ms.*after 3 attempts/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(calls).toBe(3);
  });

  it('server down: connection refused names the fix', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const p = endpointBackend.start({ options: { url: `http://127.0.0.1:${port}/v1`, ...FAST } });
    await expect(p).rejects.toThrow(/nothing is listening/);
    await expect(p).rejects.toMatchObject({ hint: expect.stringContaining('tw serve') });
  });

  it('429 then success: retried, honouring Retry-After', async () => {
    handler = (_q, res, _b, n) =>
      n < 3
        ? json(res, 429, { error: { message: 'Rate limit reached', type: 'rate_limit_error' } }, { 'retry-after': '0.05' })
        : json(res, 200, reply('ok\r\n[exit 0]'));
    const t = await start();
    const r = await t.run('echo ok');
    expect(r.output.toString()).toBe('ok\r\n');
    expect(calls).toBe(3);
  });

  it('5xx every time: an error after the retries, with the server message', async () => {
    handler = (_q, res) => json(res, 503, { error: { message: 'overloaded', type: 'server_error' } });
    const t = await start();
    await expect(t.run('ls')).rejects.toThrow(/HTTP 503: overloaded.*after 3 attempts/);
  });

  it('a 400 is not retried', async () => {
    handler = (_q, res) => json(res, 400, { error: { message: 'temperature out of range', type: 'invalid_request_error' } });
    const t = await start();
    await expect(t.run('ls')).rejects.toThrow(/HTTP 400: temperature out of range/);
    expect(calls).toBe(1);
  });

  it('malformed JSON and a reply without [exit N]: counted as malformed, exit 1, never a silent success', async () => {
    handler = (_q, res, _b, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"choices": [ this is not json');
      } else if (n === 2) json(res, 200, { unexpected: true });
      else json(res, 200, reply('hello there'));
    };
    const t = await start();
    const a = await t.run('ls');
    expect(a.exit).toBe(1);
    const b = await t.run('ls');
    expect(b.exit).toBe(1);
    const c = await t.run('echo hello there');
    expect(c).toMatchObject({ exit: 1, cwd: '/root' });
    expect(c.output.toString()).toBe('hello there');
    expect(t.malformed).toBe(3);
    expect(t.info.malformed).toBe(3);
  });

  it('a stream cut mid-way is retried; cut every time, it is a clear error', async () => {
    const sse = (res: ServerResponse, cut: boolean): void => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: 'par' }, finish_reason: null }] })}\n\n`);
      if (cut) {
        res.socket?.destroy();
        return;
      }
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'tial\r\n[exit 0]' }, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    handler = (_q, res, _b, n) => sse(res, n === 1);
    const t = await start({ stream: true });
    const r = await t.run('echo partial');
    expect(r.output.toString()).toBe('partial\r\n');
    expect(calls).toBe(2);
    handler = (_q, res) => sse(res, true);
    await expect(t.run('echo partial')).rejects.toThrow(/stream was cut|terminated|other side closed|failed/);
  });

  it('a context overflow drops the oldest turns from the request and goes on', async () => {
    handler = (_q, res, body) => {
      const msgs = body.messages as unknown[];
      if (msgs.length > 4)
        return json(res, 400, {
          error: { message: "This model's maximum context length is 64 tokens", type: 'invalid_request_error', code: 'context_length_exceeded' },
        });
      json(res, 200, reply('[exit 0]'));
    };
    const t = await start();
    for (let i = 0; i < 4; i++) expect((await t.run(`true ${i}`)).exit).toBe(0);
    expect(t.trimmedTurns).toBeGreaterThan(0);
  });

  it('a concurrency limit holds across sessions', async () => {
    handler = (_q, res) => setTimeout(() => json(res, 200, reply('[exit 0]')), 30);
    const ts = await Promise.all(Array.from({ length: 6 }, () => start({ concurrency: 2 })));
    await Promise.all(ts.map((t) => t.run('true')));
    expect(maxInflight).toBeLessThanOrEqual(2);
    expect(calls).toBe(6);
  });

  it('bad input names the problem and the fix: wrong model, no URL, key as an option, unset key variable, refused key', async () => {
    await expect(start({ model: 'gpt-9' })).rejects.toMatchObject({
      message: expect.stringContaining('it serves: m1, m2'),
      hint: expect.stringContaining('--endpoint-model m1'),
    });
    await expect(endpointBackend.start({ options: {} })).rejects.toThrow(/no server URL/);
    await expect(start({ apiKey: 'sk-123' })).rejects.toThrow(/never an option/);
    await expect(start({ apiKeyEnv: 'TW_TEST_UNSET_KEY_VARIABLE' })).rejects.toThrow(/\$TW_TEST_UNSET_KEY_VARIABLE is not set/);
    process.env.TW_TEST_REFUSED_KEY = 'refused';
    try {
      await expect(start({ apiKeyEnv: 'TW_TEST_REFUSED_KEY' })).rejects.toMatchObject({ status: 401, hint: expect.stringContaining('$TW_TEST_REFUSED_KEY') });
    } finally {
      delete process.env.TW_TEST_REFUSED_KEY;
    }
  });

  it('a server without scoring: no score(), and the terminal says why', async () => {
    handler = (_q, res) => json(res, 200, reply('[exit 0]'));
    const t = await start();
    expect(t.score).toBeUndefined();
    expect(JSON.stringify(t.info.endpoint)).toMatch(/scoring.*none.*echo/);
  });

  it('scoring by echo on any server (vLLM-style /v1/completions logprobs): only the tokens of the reply, output tokens counted', async () => {
    handler = (_q, res, body) => {
      const prompt = String(body.prompt);
      const reply = 'hi\r\n[exit 0]';
      const start = prompt.length - reply.length;
      // the prompt's tokens: one for everything before the reply, then 'hi', '\r\n', '[exit', ' 0]'
      const toks = [prompt.slice(0, start), 'hi', '\r\n', '[exit', ' 0]'];
      const offs = [0, start, start + 2, start + 4, start + 9];
      json(res, 200, {
        choices: [
          {
            index: 0,
            text: prompt,
            finish_reason: 'length',
            logprobs: {
              tokens: toks,
              token_logprobs: [null, -0.5, -0.1, -0.2, -0.3],
              text_offset: offs,
              top_logprobs: [null, { hi: -0.5 }, { '\n': -0.05, '\r\n': -0.1 }, { '[exit': -0.2 }, { ' 0]': -0.3 }],
            },
          },
        ],
      });
    };
    const t = await start({ scoring: 'echo' });
    expect(t.score).toBeDefined();
    const sc = await t.score?.('echo hi', { output: Buffer.from('hi\r\n'), exit: 0, cwd: '/root' });
    expect([...(sc?.logp ?? [])]).toEqual([-0.5, -0.1, -0.2, -0.3]);
    expect(sc?.outputTokens).toBe(2);
    expect([...(sc?.argmaxCorrect ?? [])]).toEqual([1, 0, 1, 1]);
    expect(sc?.pMax[1]).toBeCloseTo(Math.exp(-0.05), 9);
    expect(bodies[0]).toMatchObject({ echo: true, logprobs: 1 });
    expect(String(bodies[0]?.prompt)).toMatch(/<\|im_start\|>user\necho hi<\|im_end\|>\n<\|im_start\|>assistant\nhi\r\n\[exit 0\]$/);
  });

  it('prompted style: the documented system prompt; output, exit and cwd from the trailer', async () => {
    handler = (_q, res) => json(res, 200, reply('```\na\nb\n```\n[exit 3 cwd /tmp]'));
    const t = await start({ style: 'prompted' });
    const r = await t.run('something');
    expect(r).toMatchObject({ exit: 3, cwd: '/tmp' });
    expect(r.output.toString()).toBe('a\r\nb\r\n');
    expect((bodies[0]?.messages as { content: string }[] | undefined)?.[0]?.content).toBe(PROMPTED_SYSTEM);
    handler = (_q, res) => json(res, 200, reply('I am a language model and cannot run commands.'));
    expect((await t.run('ls')).exit).toBe(1);
    expect(t.malformed).toBe(1);
  });
});
