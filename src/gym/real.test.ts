/**
 * The gym on the real sandbox: concurrent sessions, dropped clients, a sandbox killed mid-step,
 * and kill -9 of the `tw gym serve` process (finished episodes kept, no process left behind).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { noSandbox, sandboxSkipReason } from '../backends/real/testkit.js';
import { startGymServer, type GymServer } from './server.js';
import { gymMeta, listEpisodes } from './store.js';
import { alive, descendants, waitFor, WsClient } from './testkit.js';

const ROOT = join(import.meta.dirname, '..', '..');
let server: GymServer | null = null;
const children: ChildProcess[] = [];
afterEach(async () => {
  await server?.close();
  server = null;
  for (const c of children.splice(0)) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
});

function bwrapsUnder(pid: number): number[] {
  return descendants(pid).filter((p) => p !== pid);
}

/** `tw gym serve` as a child process; resolves with its port once it listens. */
async function serveProcess(args: string[]): Promise<{ child: ChildProcess; port: number; out: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tw.js'), 'gym', 'serve', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const ok = await waitFor(() => /127\.0\.0\.1:(\d+)/.test(out) || child.exitCode !== null, 60_000, 50);
  const m = /127\.0\.0\.1:(\d+)/.exec(out);
  if (!ok || !m) throw new Error(`tw gym serve did not start: ${out}`);
  return { child, port: Number(m[1]), out: () => out };
}

describe.skipIf(noSandbox)(`gym on the real sandbox ${sandboxSkipReason ?? ''}`, () => {
  it('8 concurrent WebSocket sessions x 10 steps: every step answered once, in order; dropped clients free their sandboxes', async () => {
    server = await startGymServer({ backend: 'real', port: 0, storeDir: null, observation: 'structured', pool: 0 });
    const url = `ws://127.0.0.1:${server.address.port}/ws`;
    const clients = await Promise.all(Array.from({ length: 8 }, () => WsClient.open(url)));
    const seen = await Promise.all(
      clients.map(async (c, i) => {
        await c.call({ type: 'reset', data: {} });
        const outs: string[] = [];
        for (let j = 0; j < 10; j++) {
          const cmd = j % 3 === 0 ? `echo s${i}-${j}` : j % 3 === 1 ? `cd /tmp && printf 's${i}-${j}\\n' > f && cat f` : `ls / >/dev/null && echo s${i}-${j}`;
          const r = await c.call({ type: 'step', data: { command: cmd, request_id: `s${i}-${j}` } });
          outs.push((r.data['observation'] as { output: string }).output.trim());
        }
        return outs;
      }),
    );
    const all = seen.flat();
    expect(all).toHaveLength(80);
    expect(new Set(all).size).toBe(80);
    seen.forEach((outs, i) => expect(outs).toEqual(Array.from({ length: 10 }, (_, j) => `s${i}-${j}`)));
    expect(bwrapsUnder(process.pid).length).toBeGreaterThanOrEqual(8);
    for (const c of clients) c.ws.terminate();
    expect(await waitFor(() => server?.activeSessions === 0, 5000)).toBe(true);
    expect(await waitFor(() => bwrapsUnder(process.pid).length === 0, 5000, 50)).toBe(true);
  });

  it('a sandbox killed mid-step gives a retryable EXECUTION_ERROR, and the session and server go on', async () => {
    server = await startGymServer({ backend: 'real', port: 0, storeDir: null, observation: 'structured', pool: 0 });
    const c = await WsClient.open(`ws://127.0.0.1:${server.address.port}/ws`);
    await c.call({ type: 'reset', data: {} });
    const pending = c.call({ type: 'step', data: { command: 'sleep 20' } });
    expect(await waitFor(() => bwrapsUnder(process.pid).length > 0, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    for (const p of bwrapsUnder(process.pid)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // a child of one killed already
      }
    }
    const r = await pending;
    expect(r).toMatchObject({ type: 'error', data: { code: 'EXECUTION_ERROR', retryable: true } });
    await c.call({ type: 'reset', data: {} });
    expect(await c.call({ type: 'step', data: { command: 'echo alive' } })).toMatchObject({ data: { observation: { output: 'alive\r\n' } } });
    await c.close();
  });

  it('a client dropped mid-step frees its sandbox at once; the episode is stored as disconnected', async () => {
    const store = mkdtempSync(join(tmpdir(), 'tw-gym-drop-'));
    server = await startGymServer({ backend: 'real', port: 0, storeDir: store, observation: 'structured', pool: 0 });
    const c = await WsClient.open(`ws://127.0.0.1:${server.address.port}/ws`);
    await c.call({ type: 'reset', data: { episode_id: 'dropped' } });
    await c.call({ type: 'step', data: { command: 'echo before' } });
    c.sendRaw(JSON.stringify({ type: 'step', data: { command: 'sleep 20' } }));
    expect(await waitFor(() => bwrapsUnder(process.pid).length > 0, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    c.ws.terminate();
    expect(await waitFor(() => bwrapsUnder(process.pid).length === 0 && server?.activeSessions === 0, 5000, 20)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(await waitFor(() => listEpisodes(store).episodes.length === 1, 5000)).toBe(true);
    expect(gymMeta(listEpisodes(store).episodes[0]!)).toMatchObject({ episode_id: 'dropped', done: false, done_reason: 'disconnected' });
  });

  it('kill -9 of `tw gym serve` mid-load: finished episodes are all in the store, no sandbox outlives it; a restart lists them and sweeps the rest', async () => {
    const store = mkdtempSync(join(tmpdir(), 'tw-gym-kill-'));
    const a = await serveProcess(['--backend', 'real', '--store', store, '--observation', 'structured', '--pool', '0']);
    const url = `ws://127.0.0.1:${a.port}/ws`;
    const finished = 3;
    for (let i = 0; i < finished; i++) {
      const c = await WsClient.open(url);
      await c.call({ type: 'reset', data: { episode_id: `done-${i}` } });
      await c.call({ type: 'step', data: { command: `echo ${i}` } });
      expect(await c.call({ type: 'step', data: { submit: true } })).toMatchObject({ data: { done: true } });
      await c.close();
    }
    // Two episodes in flight, one of them mid-step.
    const busy = await Promise.all([WsClient.open(url), WsClient.open(url)]);
    for (const c of busy) await c.call({ type: 'reset', data: {} });
    void busy[0]!.call({ type: 'step', data: { command: 'sleep 30' } }).catch(() => undefined);
    await busy[1]!.call({ type: 'step', data: { command: 'echo half' } });
    const serverPid = a.child.pid as number;
    expect(await waitFor(() => bwrapsUnder(serverPid).length >= 2, 5000)).toBe(true);
    const tree = bwrapsUnder(serverPid);
    process.kill(serverPid, 'SIGKILL');
    expect(await waitFor(() => tree.every((p) => !alive(p)), 5000, 50)).toBe(true);
    const after = listEpisodes(store);
    expect(after.torn).toBe(0);
    expect(after.episodes.map((e) => gymMeta(e)?.episode_id)).toEqual(['done-0', 'done-1', 'done-2']);
    expect(after.episodes.every((e) => gymMeta(e)?.done === true)).toBe(true);
    // Restart on the same store: it serves, and the crashed run's session folders are swept.
    const b = await serveProcess(['--backend', 'real', '--store', store, '--observation', 'structured', '--pool', '0']);
    const c = await WsClient.open(`ws://127.0.0.1:${b.port}/ws`);
    await c.call({ type: 'reset', data: {} });
    await c.call({ type: 'step', data: { command: 'true' } });
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`tw-sbx-${serverPid}-`))).toEqual([]);
    // SIGTERM: a graceful stop stores the open episode as cut off (shutdown).
    b.child.kill('SIGTERM');
    expect(await waitFor(() => b.child.exitCode !== null, 10_000, 50)).toBe(true);
    expect(b.child.exitCode).toBe(0);
    const final = listEpisodes(store).episodes.map((e) => gymMeta(e));
    expect(final).toHaveLength(4);
    expect(final[3]).toMatchObject({ done: false, done_reason: 'shutdown', steps: 1 });
    expect(existsSync(join(store, 'episodes.jsonl'))).toBe(true);
  }, 120_000);
});
