/**
 * tw serve, through a client we did not write: the official `openai` npm package, on loopback,
 * against the tiny seeded learned model (and justbash, for what needs a terminal that knows bash).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { justbashBackend } from '../backends/justbash/index.js';
import { learnedBackend, schedulerFor, unloadAll } from '../backends/learned/index.js';
import { tinyModelDir } from '../backends/learned/testkit.js';
import { startServe, type Started } from './server.js';
import { renderChatML, WORLDMODEL_SYSTEM } from './worldmodel.js';

let learned: Started;
let bash: Started;
let locked: Started;
let ai: OpenAI;
const MODEL = 'tiny';

beforeAll(async () => {
  learned = await startServe({ backend: learnedBackend, backendName: 'learned', modelId: MODEL, baseOptions: { model: tinyModelDir() }, port: 0 });
  bash = await startServe({ backend: justbashBackend, backendName: 'justbash', modelId: 'justbash', port: 0 });
  locked = await startServe({ backend: justbashBackend, backendName: 'justbash', modelId: 'justbash', port: 0, token: 'secret-token', logprobs: false });
  ai = new OpenAI({ baseURL: learned.url, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
});

afterAll(async () => {
  await Promise.all([learned?.close(), bash?.close(), locked?.close()]);
  await unloadAll();
});

const ask = (cmd: string): OpenAI.Chat.Completions.ChatCompletionMessageParam[] => [
  { role: 'system', content: WORLDMODEL_SYSTEM },
  { role: 'user', content: cmd },
];

describe('tw serve with the official openai client', () => {
  it('lists the model', async () => {
    const list = await ai.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL]);
    expect(list.data[0]?.owned_by).toBe('terminalworld');
  });

  it('chat: a reply in the worldmodel form, usage, and per-token logprobs that match the tokens', async () => {
    const r = await ai.chat.completions.create({ model: MODEL, messages: ask('ls'), logprobs: true, top_logprobs: 2 });
    const c = r.choices[0];
    expect(c?.message.role).toBe('assistant');
    expect(typeof c?.message.content).toBe('string');
    expect(['stop', 'length']).toContain(c?.finish_reason);
    expect(r.usage?.prompt_tokens).toBe(Buffer.byteLength(WORLDMODEL_SYSTEM + 'ls'));
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
    const lp = c?.logprobs?.content ?? [];
    expect(lp.length).toBeGreaterThan(0);
    for (const t of lp) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      // greedy: the token produced is the most likely one, listed as the single alternative
      expect(t.top_logprobs).toEqual([{ token: t.token, logprob: t.logprob, bytes: t.bytes }]);
    }
    // the byte tokens spell the output; the sum of all log-probabilities is the reply's
    const bytes = Buffer.from(lp.flatMap((t) => t.bytes ?? []));
    expect(bytes.toString('utf8')).toBe(c?.message.content);
  });

  it('streaming (SSE) gives the same reply and logprobs as the non-streaming call (greedy), then usage', async () => {
    const msgs = ask('pwd');
    const once = await ai.chat.completions.create({ model: MODEL, messages: msgs, logprobs: true });
    const stream = await ai.chat.completions.create({ model: MODEL, messages: msgs, logprobs: true, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const lps: number[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const ch of stream) {
      chunks++;
      const c = ch.choices[0];
      text += c?.delta.content ?? '';
      for (const t of c?.logprobs?.content ?? []) lps.push(t.logprob);
      if (c?.finish_reason) finish = c.finish_reason;
      if (ch.usage) usage = ch.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe(once.choices[0]?.message.content);
    expect(lps).toEqual(once.choices[0]?.logprobs?.content?.map((t) => t.logprob));
    expect(finish).toBe(once.choices[0]?.finish_reason);
    expect(usage?.completion_tokens).toBe(once.usage?.completion_tokens);
  });

  it('streaming without logprobs sends the output as it is generated: many chunks, the same reply (chat and completions)', async () => {
    const msgs = ask('cat notes.txt');
    const once = await ai.chat.completions.create({ model: MODEL, messages: msgs });
    const reply = once.choices[0]?.message.content ?? '';
    let text = '';
    let contentChunks = 0;
    for await (const ch of await ai.chat.completions.create({ model: MODEL, messages: msgs, stream: true })) {
      const piece = ch.choices[0]?.delta.content ?? '';
      if (piece !== '') contentChunks++;
      text += piece;
    }
    expect(text).toBe(reply);
    // one chunk per generated character of the output (the untrained model writes bytes until its budget), then `[exit N]`
    expect(contentChunks).toBeGreaterThan(2);
    const prompt = renderChatML(msgs.map((m) => ({ role: m.role as 'system' | 'user', content: String(m.content) })));
    let ctext = '';
    let cchunks = 0;
    for await (const ch of await ai.completions.create({ model: MODEL, prompt, stream: true })) {
      const piece = ch.choices[0]?.text ?? '';
      if (piece !== '') cchunks++;
      ctext += piece;
    }
    expect(ctext).toBe(reply);
    expect(cchunks).toBe(contentChunks);
  });

  it('completions: a ChatML prompt gives the same reply as chat; echo + max_tokens 0 scores given text', async () => {
    const chat = await ai.chat.completions.create({ model: MODEL, messages: ask('ls') });
    const prompt = renderChatML([
      { role: 'system', content: WORLDMODEL_SYSTEM },
      { role: 'user', content: 'ls' },
    ]);
    const cmpl = await ai.completions.create({ model: MODEL, prompt, logprobs: 1 });
    expect(cmpl.choices[0]?.text).toBe(chat.choices[0]?.message.content);
    expect(cmpl.choices[0]?.logprobs?.token_logprobs?.length).toBeGreaterThan(0);
    const scored = await ai.completions.create({ model: MODEL, prompt: prompt + 'a.txt\r\n[exit 0]', echo: true, max_tokens: 0, logprobs: 1 });
    const lp = scored.choices[0]?.logprobs;
    expect(scored.choices[0]?.text).toBe(prompt + 'a.txt\r\n[exit 0]');
    expect(lp?.token_logprobs?.[0]).toBeNull();
    const scores = (lp?.token_logprobs ?? []).slice(1);
    expect(scores.length).toBeGreaterThanOrEqual(7); // 7 output bytes, then exit, cwd, end tokens
    for (const s of scores) expect(s).toBeLessThan(0);
  });

  it('errors are OpenAI error objects: wrong model (404), bad body (400), bad conversation (400)', async () => {
    await expect(ai.chat.completions.create({ model: 'gpt-nope', messages: ask('ls') })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
      param: 'model',
    });
    await expect(ai.chat.completions.create({ model: MODEL, messages: [] })).rejects.toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param: 'messages',
    });
    await expect(
      ai.chat.completions.create({
        model: MODEL,
        messages: [
          { role: 'user', content: 'ls' },
          { role: 'assistant', content: 'x[exit 0]' },
        ],
      }),
    ).rejects.toMatchObject({ status: 400, code: 'invalid_conversation' });
    await expect(ai.chat.completions.create({ model: MODEL, messages: ask('ls'), n: 2 })).rejects.toMatchObject({ status: 400, param: 'n' });
    const raw = await fetch(`${learned.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
  });

  it('a backend without log-probabilities says so when they are asked for', async () => {
    const b = new OpenAI({ baseURL: bash.url, apiKey: 'unused', maxRetries: 0 });
    await expect(b.chat.completions.create({ model: 'justbash', messages: ask('ls'), logprobs: true })).rejects.toMatchObject({
      status: 400,
      code: 'logprobs_unsupported',
    });
  });

  it('a conversation keeps its session: state carries over, and a continued conversation is a cache hit', async () => {
    const b = new OpenAI({ baseURL: bash.url, apiKey: 'unused', maxRetries: 0 });
    const msgs: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'X=41; mkdir -p /tmp/s && cd /tmp/s' }];
    const r1 = await b.chat.completions.create({ model: 'justbash', messages: msgs });
    expect(r1.choices[0]?.message.content).toBe('[exit 0]');
    msgs.push({ role: 'assistant', content: r1.choices[0]?.message.content ?? '' }, { role: 'user', content: 'echo $((X+1)) $PWD' });
    const r2 = await b.chat.completions.create({ model: 'justbash', messages: msgs });
    expect(r2.choices[0]?.message.content).toBe('42 /tmp/s\r\n[exit 0]');
    expect((r2 as unknown as { tw: { session: string; cwd: string } }).tw).toMatchObject({ session: 'hit', cwd: '/tmp/s' });
    // the same conversation again: the session was taken by r2, so this one replays the history
    const r3 = await b.chat.completions.create({ model: 'justbash', messages: msgs });
    expect(r3.choices[0]?.message.content).toBe('42 /tmp/s\r\n[exit 0]');
    expect((r3 as unknown as { tw: { session: string } }).tw.session).toBe('miss');
  });

  it('concurrent clients decode in one batch (the batch window keeps their rounds together)', async () => {
    // a window wide enough for a loaded 2-core machine (the default, 3 ms, is for the shipped model's longer rounds)
    const wide = await startServe({
      backend: learnedBackend,
      backendName: 'learned',
      modelId: MODEL,
      baseOptions: { model: tinyModelDir() },
      port: 0,
      batchWindowMs: 25,
    });
    const client = new OpenAI({ baseURL: wide.url, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
    const sched = await schedulerFor({ options: { model: tinyModelDir() } });
    const before = { ...sched.stats };
    const clients = 6;
    const turns = 3;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const msgs: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'system', content: WORLDMODEL_SYSTEM }];
        for (let i = 0; i < turns; i++) {
          msgs.push({ role: 'user', content: `echo ${c}-${i}` });
          const r = await client.chat.completions.create({ model: MODEL, messages: msgs, max_tokens: 8 });
          msgs.push({ role: 'assistant', content: r.choices[0]?.message.content ?? '' });
        }
      }),
    );
    const batches = sched.stats.batches - before.batches;
    const sequences = sched.stats.sequences - before.sequences;
    await wide.close();
    expect(sequences).toBe(clients * turns);
    // without the window the clients' requests trickle in and split into many small batches
    expect(batches).toBeLessThanOrEqual(turns + 1);
  });

  it('a bearer token, when set, is required', async () => {
    const no = new OpenAI({ baseURL: locked.url, apiKey: 'wrong', maxRetries: 0 });
    await expect(no.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    const yes = new OpenAI({ baseURL: locked.url, apiKey: 'secret-token', maxRetries: 0 });
    expect((await yes.models.list()).data[0]?.id).toBe('justbash');
  });

  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startServe({ backend: justbashBackend, backendName: 'justbash', modelId: 'j', host: '0.0.0.0', port: 0, logprobs: false })).rejects.toThrow(
      /needs a bearer token/,
    );
  });
});
