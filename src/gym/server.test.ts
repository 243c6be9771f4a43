import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../backends/registry.js';
import { GymEnv } from './env.js';
import { GymServer, startGymServer, type GymServerOptions } from './server.js';
import { gymMeta, listEpisodes } from './store.js';
import { waitFor, WsClient } from './testkit.js';

const servers: GymServer[] = [];
// The backend's first (cold) import is not part of any test's time: on a starved machine it took
// minutes. Opening slower than the idle timeout has its own test (openEnv delayed).
beforeAll(async () => {
  await getBackend('justbash');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(o: Partial<GymServerOptions> = {}): Promise<{ s: GymServer; http: string; ws: string }> {
  const s = await startGymServer({ backend: 'justbash', port: 0, storeDir: null, observation: 'structured', ...o });
  servers.push(s);
  const { port } = s.address;
  return { s, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/ws` };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('gym server: OpenEnv WebSocket protocol', () => {
  it('reset, step, state, close over /ws; episodes stored with their request_ids', async () => {
    const store = mkdtempSync(join(tmpdir(), 'tw-gym-ws-'));
    const { s, ws } = await serve({ storeDir: store, task: 'csv-sum' });
    const c = await WsClient.open(ws);
    const r = await c.call({ type: 'reset', data: { seed: 5 } });
    expect(r.type).toBe('observation');
    expect(r.data).toMatchObject({ reward: 0, done: false, observation: { step: 0, cwd: '/root' } });
    expect(String((r.data['observation'] as Record<string, unknown>)['instruction'])).toMatch(/CSV file/);
    const st = await c.call({ type: 'step', data: { command: 'head -n 1 /root/data/*.csv | tr , "\\n" | sort', request_id: 'a1' } });
    expect(st.type).toBe('observation');
    expect((st.data['observation'] as { output: string }).output.split('\r\n').filter(Boolean)).toEqual(['amount', 'day', 'product', 'region']);
    const state = await c.call({ type: 'state' });
    expect(state).toMatchObject({ type: 'state', data: { step_count: 1, backend: 'justbash', task: { family: 'csv-sum' } } });
    const done = await c.call({ type: 'step', data: { submit: true } });
    expect(done.data).toMatchObject({ done: true, reward: 0, observation: { done_reason: 'submit', verifier: { passed: false } } });
    c.sendRaw(JSON.stringify({ type: 'close' }));
    expect(await c.next()).toBeNull();
    expect(c.closeCode).toBe(1000);
    await waitFor(() => s.activeSessions === 0, 2000);
    expect(s.activeSessions).toBe(0);
    const eps = listEpisodes(store).episodes;
    expect(eps).toHaveLength(1);
    expect(gymMeta(eps[0]!)).toMatchObject({ done: true, done_reason: 'submit', reward: 0, request_ids: ['a1', null], steps: 2 });
  });

  it('answers every bad message with OpenEnv error codes and stays usable', async () => {
    const { ws } = await serve();
    const c = await WsClient.open(ws);
    c.sendRaw('{not json');
    expect(await c.next()).toMatchObject({ type: 'error', data: { code: 'INVALID_JSON' } });
    expect(await c.call({ type: 'dance' })).toMatchObject({ type: 'error', data: { code: 'UNKNOWN_TYPE', message: /dance.*reset, step, state or close/ } });
    expect(await c.call([1, 2])).toMatchObject({ type: 'error', data: { code: 'VALIDATION_ERROR' } });
    expect(await c.call({ type: 'step', data: { command: 'ls' }, extra: 1 })).toMatchObject({
      type: 'error',
      data: { code: 'VALIDATION_ERROR', message: /extra/ },
    });
    expect(await c.call({ type: 'step', data: { command: 'ls' } })).toMatchObject({
      type: 'error',
      data: { code: 'EXECUTION_ERROR', message: /send reset first/ },
    });
    await c.call({ type: 'reset', data: {} });
    const bad = await c.call({ type: 'step', data: { cmd: 'ls' } });
    expect(bad).toMatchObject({
      type: 'error',
      data: { code: 'VALIDATION_ERROR', errors: [{ loc: ['action'], type: 'unrecognized_keys' }, expect.anything()] },
    });
    expect(await c.call({ type: 'step', data: { command: 'ls', timeout_s: -1 } })).toMatchObject({ data: { code: 'VALIDATION_ERROR', message: /timeout_s/ } });
    expect(await c.call({ type: 'reset', data: { seed: 'x' } })).toMatchObject({ data: { code: 'VALIDATION_ERROR', message: /seed/ } });
    expect(await c.call({ type: 'step', data: { command: 'echo ok' } })).toMatchObject({ type: 'observation', data: { observation: { output: 'ok\r\n' } } });
    await c.close();
  });

  it('sessions beyond --max-sessions get CAPACITY_REACHED at once (with active and max), and a dropped client frees its slot', async () => {
    const { s, ws, http } = await serve({ maxSessions: 2 });
    const a = await WsClient.open(ws);
    const b = await WsClient.open(ws);
    await a.call({ type: 'reset', data: {} });
    await b.call({ type: 'reset', data: {} });
    const t0 = performance.now();
    const c = await WsClient.open(ws);
    const refused = await c.next();
    const ms = performance.now() - t0;
    expect(refused).toMatchObject({ type: 'error', data: { code: 'CAPACITY_REACHED', active_sessions: 2, max_sessions: 2, retryable: true } });
    expect(ms).toBeLessThan(2000);
    expect(await c.next()).toBeNull();
    expect(await (await fetch(`${http}/health`)).json()).toEqual({ status: 'degraded' });
    const h = await post(`${http}/reset`, {});
    expect(h.status).toBe(503);
    expect(h.json).toMatchObject({ code: 'CAPACITY_REACHED' });
    // Drop a client without a close message: its session is freed.
    a.ws.terminate();
    expect(await waitFor(() => s.activeSessions === 1, 3000)).toBe(true);
    const d = await WsClient.open(ws);
    expect(await d.call({ type: 'reset', data: {} })).toMatchObject({ type: 'observation' });
    expect(await (await fetch(`${http}/metrics`)).text()).toMatch(/gym_errors_total\{code="CAPACITY_REACHED"\} 2/);
    await Promise.all([b.close(), d.close()]);
  });

  it('idle sessions expire (stored as expired), and messages over the size limit close the connection', async () => {
    const store = mkdtempSync(join(tmpdir(), 'tw-gym-idle-'));
    const { s, ws } = await serve({ idleTimeoutS: 0.3, storeDir: store, maxMessageBytes: 4096 });
    const c = await WsClient.open(ws);
    await c.call({ type: 'reset', data: {} });
    const note = await c.next();
    expect(note).toMatchObject({ type: 'error', data: { code: 'SESSION_ERROR', reason: 'expired' } });
    expect(await c.next()).toBeNull();
    expect(s.activeSessions).toBe(0);
    expect(listEpisodes(store).episodes.map((e) => gymMeta(e)?.done_reason)).toEqual(['expired']);
    const big = await WsClient.open(ws);
    big.sendRaw(JSON.stringify({ type: 'step', data: { command: `echo ${'x'.repeat(5000)}` } }));
    expect(await big.next()).toBeNull();
    expect(big.closeCode).toBe(1009);
  });

  // The cause of this file's old flake: a session whose opening took longer than the idle timeout
  // (the backend's first import on a loaded machine) was expired while it opened, then served
  // outside the session table: never expired, never closed, and its client waited forever.
  it('a session that opens slower than the idle timeout is served, then expires; none is orphaned', async () => {
    const store = mkdtempSync(join(tmpdir(), 'tw-gym-slow-'));
    const { s, ws } = await serve({
      idleTimeoutS: 0.3,
      storeDir: store,
      openEnv: async (spec) => {
        await new Promise((r) => setTimeout(r, 1000));
        return GymEnv.open(spec);
      },
    });
    const c = await WsClient.open(ws);
    // Sent at once, so it waits (queued) while the session opens: answered, not expired.
    expect(await c.call({ type: 'reset', data: {} })).toMatchObject({ type: 'observation', data: { observation: { step: 0 } } });
    expect(await c.next()).toMatchObject({ type: 'error', data: { code: 'SESSION_ERROR', reason: 'expired' } });
    expect(await c.next()).toBeNull();
    expect(s.activeSessions).toBe(0);
    // The episode is stored before the socket closes.
    expect(listEpisodes(store).episodes.map((e) => gymMeta(e)?.done_reason)).toEqual(['expired']);
  });

  // A stall of the server's event loop (a loaded machine) used to run the idle check (a timer)
  // before the messages that had arrived meanwhile were read: a live session was expired.
  it('a message that arrives while the event loop stalls counts as activity before the idle check', async () => {
    const { ws } = await serve({ idleTimeoutS: 0.3 });
    const c = await WsClient.open(ws);
    await c.call({ type: 'reset', data: {} });
    c.sendRaw(JSON.stringify({ type: 'step', data: { command: 'echo hi' } }));
    const end = Date.now() + 700;
    while (Date.now() < end) {
      // the event loop stalls past the idle timeout, with the step already sent
    }
    expect(await c.next()).toMatchObject({ type: 'observation', data: { observation: { output: 'hi\r\n' } } });
    await c.close();
  });

  // Loop run 13 of 2026-12-07 (load 20): the process was starved before its client sent the step
  // (a first idle finding), then stalled after (the second): two stalls, no idle client.
  it('a stall before a message is sent and another after it do not expire a live session', async () => {
    const { ws, http } = await serve({ idleTimeoutS: 0.3 });
    const c = await WsClient.open(ws);
    await c.call({ type: 'reset', data: {} });
    const stall = (ms: number): void => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // the event loop stalls
      }
    };
    stall(400);
    await fetch(`${http}/health`); // the loop turns (the idle check runs), then this resumes after a poll
    c.sendRaw(JSON.stringify({ type: 'step', data: { command: 'echo hi' } }));
    stall(700);
    expect(await c.next()).toMatchObject({ type: 'observation', data: { observation: { output: 'hi\r\n' } } });
    await c.close();
  });
});

describe('gym server: HTTP', () => {
  it('stateful HTTP sessions by id; OpenEnv-style stateless /step; health, schema, metadata, metrics', async () => {
    const { http } = await serve();
    expect(await (await fetch(`${http}/health`)).json()).toEqual({ status: 'healthy' });
    const schema = (await (await fetch(`${http}/schema`)).json()) as Record<string, unknown>;
    expect(Object.keys(schema).sort()).toEqual(['action', 'observation', 'state']);
    expect(await (await fetch(`${http}/metadata`)).json()).toMatchObject({ name: 'terminalworld', description: expect.stringMatching(/justbash/) });
    const r = await post(`${http}/reset`, { seed: 1 });
    expect(r.status).toBe(200);
    const sid = (r.json['observation'] as { session_id: string }).session_id;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    await post(`${http}/step`, { action: { command: 'cd /tmp && X=5' }, session_id: sid });
    const s2 = await post(`${http}/step`, { action: { command: 'echo $X $PWD' }, session_id: sid, request_id: 'z' });
    expect(s2.json).toMatchObject({ observation: { output: '5 /tmp\r\n', step: 2, session_id: sid }, done: false, reward: null });
    const s3 = await post(`${http}/step`, { action: { command: 'echo $X $PWD' }, session_id: sid, request_id: 'z' });
    expect(s3.json).toEqual(s2.json);
    const st = (await (await fetch(`${http}/state?session_id=${sid}`)).json()) as Record<string, unknown>;
    expect(st).toMatchObject({ step_count: 2, cwd: '/tmp', session_id: sid });
    // Stateless, as OpenEnv's HTTP /step: a fresh session each time.
    const free = await post(`${http}/step`, { action: { command: 'echo $X' } });
    expect(free.json).toMatchObject({ observation: { output: '\r\n', step: 1 } });
    expect(await post(`${http}/close`, { session_id: sid })).toMatchObject({ status: 200 });
    expect(await post(`${http}/step`, { action: { command: 'ls' }, session_id: sid })).toMatchObject({ status: 404, json: { code: 'SESSION_ERROR' } });
    const m = await (await fetch(`${http}/metrics`)).text();
    expect(m).toMatch(/# TYPE gym_step_latency_seconds histogram/);
    expect(m).toMatch(/gym_steps_total 4/);
    expect(m).toMatch(/gym_sessions_active 0/);
  });

  it('every bad request gets a 4xx with a code and a message that says what to fix', async () => {
    const { http } = await serve({ maxBodyBytes: 2048, perTokenQuota: 1 });
    const nf = await fetch(`${http}/nope`);
    expect([nf.status, ((await nf.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    const mna = await fetch(`${http}/step`);
    expect([mna.status, ((await mna.json()) as { code: string }).code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect(await post(`${http}/step`, '{oops')).toMatchObject({ status: 400, json: { code: 'INVALID_JSON' } });
    expect(await post(`${http}/step`, { command: 'ls' })).toMatchObject({ status: 422, json: { code: 'VALIDATION_ERROR', message: /action/ } });
    expect(await post(`${http}/step`, { action: { cmd: 'ls' } })).toMatchObject({
      status: 422,
      json: { code: 'VALIDATION_ERROR', detail: [{ loc: ['action'] }, expect.anything()] },
    });
    expect(await post(`${http}/step`, { action: { command: 'x'.repeat(4000) } })).toMatchObject({ status: 413, json: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await post(`${http}/reset`, { seed: -4 })).toMatchObject({ status: 422, json: { message: /seed/ } });
    const ok = await post(`${http}/reset`, {});
    expect(ok.status).toBe(200);
    expect(await post(`${http}/reset`, {})).toMatchObject({ status: 429, json: { code: 'QUOTA_EXCEEDED', message: /quota is 1/ } });
    const sid = (ok.json['observation'] as { session_id: string }).session_id;
    await post(`${http}/step`, { action: { submit: true }, session_id: sid });
    expect(await post(`${http}/step`, { action: { command: 'ls' }, session_id: sid })).toMatchObject({
      status: 409,
      json: { code: 'EXECUTION_ERROR', message: /send reset/ },
    });
  });

  it('loopback by default; any other bind needs a token; with tokens, HTTP and WS without one get 401; a quota per token', async () => {
    expect(() => new GymServer({ backend: 'null', host: '0.0.0.0', port: 0 })).toThrow(/without a bearer token/);
    const { http, ws } = await serve({ token: ['sekret-one', 'sekret-two'], perTokenQuota: 1 });
    expect((await fetch(`${http}/health`)).status).toBe(200);
    expect(await post(`${http}/reset`, {})).toMatchObject({ status: 401, json: { code: 'UNAUTHORIZED' } });
    expect(await post(`${http}/reset`, {}, { authorization: 'Bearer wrong' })).toMatchObject({ status: 401 });
    expect(await post(`${http}/reset`, {}, { authorization: 'Bearer sekret-one' })).toMatchObject({ status: 200 });
    await expect(WsClient.open(ws)).rejects.toThrow(/401/);
    // Each token has its own quota (1 here): sekret-one holds its HTTP session, sekret-two may open one.
    const one = await WsClient.open(ws, { authorization: 'Bearer sekret-one' });
    expect(await one.next()).toMatchObject({ type: 'error', data: { code: 'QUOTA_EXCEEDED', quota: 1 } });
    const c = await WsClient.open(`${ws}?token=sekret-two`);
    expect(await c.call({ type: 'reset', data: {} })).toMatchObject({ type: 'observation' });
    await c.close();
    expect(() => new GymServer({ backend: 'null', port: 0, token: 'short' })).toThrow(/at least 8 characters/);
  });

  it('a request body streamed past the limit is refused with 413', async () => {
    const { http } = await serve({ maxBodyBytes: 1024 });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${http}/step`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"action":{"command":"' + 'y'.repeat(3000));
      req.end('"}}');
    });
    expect(status).toBe(413);
  });
});
