/**
 * `tw bench gym`: the gym server against the raw sandbox, side by side in one run (loopback).
 *   - real: N WebSocket sessions x S steps of the sandbox bench's command mix through the server,
 *     then the same mix and concurrency on raw sandbox sessions: steps/s, p50/p95 step latency,
 *     lost and duplicated steps (counted from the replies and from the trajectory store)
 *     (ratio over all rounds); at N busy sessions the latency gap is queueing (Little's law), so the
 *     per-step overhead is also measured on one session, blocks alternated with a raw session
 *   - reset p50 through the server (pooled sandboxes; client in another process) against the raw pooled acquire
 *   - memory per idle session in the server process, against a raw session's
 *   - learned: N sessions x S steps, steps/s and latency
 *   - leaks: L sessions opened, stepped and dropped without a close; processes and session folders left
 * Full: 64 x 200 (real), 32 x 20 (learned), 1,000 dropped; --quick: 8 x 20, 4 x 5, 50.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { realBackend } from '../backends/real/index.js';
import type { Terminal } from '../core/terminal.js';
import { closePools } from '../backends/real/pool.js';
import { percentile } from '../core/stats.js';
import type { BenchMetric, BenchOptions, BenchResult, BenchSuite } from '../bench/types.js';
import { COMMAND_MIX } from '../bench/sandbox.js';
import { startGymServer, type GymServer } from './server.js';
import { gymMeta, listEpisodes } from './store.js';
import { alive as isAlive, sandboxProcesses, waitFor, WsClient } from './testkit.js';

function cmdAt(i: number): string {
  return COMMAND_MIX[i % COMMAND_MIX.length] ?? 'true';
}

interface LoadResult {
  seconds: number;
  latencies: number[];
  received: number;
  lost: number;
  duplicated: number;
  errors: number;
}

/** N clients, each: reset, S steps (request_id i), close. Counts replies by step number. */
async function gymLoad(server: GymServer, n: number, steps: number): Promise<LoadResult> {
  const url = `ws://127.0.0.1:${server.address.port}/ws`;
  const clients = await Promise.all(Array.from({ length: n }, () => WsClient.open(url)));
  await Promise.all(clients.map((c) => c.call({ type: 'reset', data: {} })));
  const latencies: number[] = [];
  let received = 0;
  let duplicated = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, k) => {
      const seen = new Set<number>();
      for (let i = 0; i < steps; i++) {
        const s0 = performance.now();
        const r = await c.call({ type: 'step', data: { command: cmdAt(i + k), request_id: `${k}-${i}` } });
        latencies.push(performance.now() - s0);
        if (r.type !== 'observation') {
          errors++;
          continue;
        }
        const step = (r.data['observation'] as { step: number }).step;
        if (seen.has(step)) duplicated++;
        seen.add(step);
        received++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return { seconds, latencies, received, lost: n * steps - received, duplicated, errors };
}

/** The same load from another process (as a trainer would be), plain JS with the `ws` package:
 *  the server's event loop is not shared with the clients'. */
const CLIENT_JS = `
import WebSocket from 'ws';
const [url, n, steps, mixJson] = process.argv.slice(1);
const mix = JSON.parse(mixJson);
function open() { return new Promise((res, rej) => { const ws = new WebSocket(url); const q = []; const w = [];
  ws.on('message', (d) => { const r = JSON.parse(String(d)); const f = w.shift(); f ? f(r) : q.push(r); });
  ws.on('close', () => { for (const f of w.splice(0)) f(null); });
  ws.once('open', () => res({ ws, call: (m) => { ws.send(JSON.stringify(m)); const r = q.shift(); return r ? Promise.resolve(r) : new Promise((f) => w.push(f)); } }));
  ws.once('error', rej); }); }
const clients = await Promise.all(Array.from({ length: +n }, open));
await Promise.all(clients.map((c) => c.call({ type: 'reset', data: {} })));
const lat = []; let received = 0, duplicated = 0, errors = 0;
const t0 = performance.now();
await Promise.all(clients.map(async (c, k) => { const seen = new Set();
  for (let i = 0; i < +steps; i++) { const s0 = performance.now();
    const r = await c.call({ type: 'step', data: { command: mix[(i + k) % mix.length], request_id: k + '-' + i } });
    lat.push(performance.now() - s0);
    if (!r || r.type !== 'observation') { errors++; continue; }
    const st = r.data.observation.step; if (seen.has(st)) duplicated++; seen.add(st); received++; } }));
const seconds = (performance.now() - t0) / 1000;
for (const c of clients) c.ws.close();
process.stdout.write(JSON.stringify({ seconds, latencies: lat, received, lost: +n * +steps - received, duplicated, errors }));
`;

/** Sequential resets from another process: R x (reset, timed; step "true"), as a trainer's client
 *  would see them (a client in the server's process reads its reply only when the server's event
 *  loop is free again, after the sandbox work queued behind the reply). */
const RESET_CLIENT_JS = `
import WebSocket from 'ws';
const [url, n] = process.argv.slice(1);
const ws = new WebSocket(url); const q = []; const w = [];
ws.on('message', (d) => { const r = JSON.parse(String(d)); const f = w.shift(); f ? f(r) : q.push(r); });
await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
const call = (m) => { ws.send(JSON.stringify(m)); const r = q.shift(); return r ? Promise.resolve(r) : new Promise((f) => w.push(f)); };
const resets = []; let errors = 0; let error = null;
for (let i = 0; i < +n; i++) { const t0 = performance.now(); const r = await call({ type: 'reset', data: {} });
  if (r.type !== 'observation') { errors++; error = r.data; continue; }
  resets.push(performance.now() - t0); await call({ type: 'step', data: { command: 'true' } }); }
ws.close();
process.stdout.write(JSON.stringify({ resets, errors, error }));
`;

async function runScript<T>(js: string, args: string[]): Promise<T> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', js, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (err += String(d)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`bench client failed (${String(code)}): ${err.slice(-500)}`);
  return JSON.parse(out) as T;
}

/** Per-step overhead without queueing: one session, steps one after another, alternating blocks
 *  of the mix on a raw session and through the server (same process, WebSocket). */
async function sequentialOverhead(server: GymServer, steps: number): Promise<{ raw: number[]; gym: number[] }> {
  const term = await startRetrying();
  const c = await WsClient.open(`ws://127.0.0.1:${server.address.port}/ws`);
  const raw: number[] = [];
  const gym: number[] = [];
  try {
    await c.call({ type: 'reset', data: {} });
    for (let i = 0; i < 10; i++) {
      await term.run(cmdAt(i));
      await c.call({ type: 'step', data: { command: cmdAt(i) } });
    }
    const BLOCK = 20;
    for (let b = 0; b * BLOCK < steps; b++) {
      for (let i = b * BLOCK; i < Math.min(steps, (b + 1) * BLOCK); i++) {
        const t0 = performance.now();
        await term.run(cmdAt(i));
        raw.push(performance.now() - t0);
      }
      for (let i = b * BLOCK; i < Math.min(steps, (b + 1) * BLOCK); i++) {
        const t0 = performance.now();
        const r = await c.call({ type: 'step', data: { command: cmdAt(i) } });
        if (r.type === 'observation') gym.push(performance.now() - t0);
      }
    }
  } finally {
    await c.close();
    await term.close();
  }
  return { raw, gym };
}

function gymLoadExternal(server: GymServer, n: number, steps: number): Promise<LoadResult> {
  return runScript<LoadResult>(CLIENT_JS, [`ws://127.0.0.1:${server.address.port}/ws`, String(n), String(steps), JSON.stringify(COMMAND_MIX)]);
}

/** A sandbox start, retried: starting 64 at once on a loaded 2-core machine can pass the start timeout. */
let startRetries = 0;
async function startRetrying(): Promise<Terminal> {
  for (let a = 1; ; a++) {
    try {
      return await realBackend.start({});
    } catch (e) {
      if (a >= 3) throw e;
      startRetries++;
    }
  }
}

async function rawLoad(n: number, steps: number): Promise<{ seconds: number; latencies: number[] }> {
  const terms = await Promise.all(Array.from({ length: n }, () => startRetrying()));
  const latencies: number[] = [];
  const t0 = performance.now();
  try {
    await Promise.all(
      terms.map(async (t, k) => {
        for (let i = 0; i < steps; i++) {
          const s0 = performance.now();
          await t.run(cmdAt(i + k));
          latencies.push(performance.now() - s0);
        }
      }),
    );
    return { seconds: (performance.now() - t0) / 1000, latencies };
  } finally {
    await Promise.all(terms.map((t) => t.close()));
  }
}

function log(s: string): void {
  process.stderr.write(`bench gym: ${s}\n`);
}

function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

async function settle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 200));
}

function sessionDirs(): number {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`tw-sbx-${process.pid}-`)).length;
}

export const gymBench: BenchSuite = {
  name: 'gym',
  description: 'gym server over WebSocket vs the raw sandbox: steps/s, step and reset latency, lost/duplicated steps, memory per session, leaks',
  async run(opts: BenchOptions): Promise<BenchResult> {
    const q = opts.quick;
    const N = q ? 8 : 64;
    const S = q ? 20 : 200;
    const metrics: BenchMetric[] = [];
    const details: Record<string, unknown> = { sessions: N, steps: S, mix: COMMAND_MIX };
    const store = mkdtempSync(join(tmpdir(), 'tw-gym-bench-'));
    const server = await startGymServer({
      backend: 'real',
      port: 0,
      storeDir: store,
      observation: 'structured',
      maxSteps: S + 10,
      pool: 8,
      maxSessions: Math.max(N, 64) + 16,
      idleTimeoutS: 0,
    });
    try {
      // Warm-up (page cache, first sandbox) not counted.
      await gymLoad(server, 2, 5);
      await rawLoad(2, 5);
      // Alternated rounds (the machine's load drifts): clients in another process, then raw.
      const rounds = q ? 1 : 2;
      const gs: LoadResult[] = [];
      const raws: { seconds: number; latencies: number[] }[] = [];
      for (let k = 0; k < rounds; k++) {
        log(`real, round ${k + 1}/${rounds}: ${N} sessions x ${S} steps through the server (clients in another process)`);
        gs.push(await gymLoadExternal(server, N, S));
        log(`real, round ${k + 1}/${rounds}: the same on raw sandbox sessions`);
        raws.push(await rawLoad(N, S));
      }
      const ratios = gs.map((x, k) => x.received / x.seconds / ((N * S) / (raws[k] as { seconds: number }).seconds));
      const gQuiet = await sequentialOverhead(server, q ? 40 : 200);
      const g: LoadResult = {
        seconds: gs.reduce((a, x) => a + x.seconds, 0),
        latencies: gs.flatMap((x) => x.latencies),
        received: gs.reduce((a, x) => a + x.received, 0),
        lost: gs.reduce((a, x) => a + x.lost, 0),
        duplicated: gs.reduce((a, x) => a + x.duplicated, 0),
        errors: gs.reduce((a, x) => a + x.errors, 0),
      };
      const raw = { seconds: raws.reduce((a, x) => a + x.seconds, 0), latencies: raws.flatMap((x) => x.latencies) };
      const gSps = g.received / g.seconds;
      const rCps = (rounds * N * S) / raw.seconds;
      const gp50 = percentile(g.latencies, 50);
      const rp50 = percentile(raw.latencies, 50);
      details['rawStartRetries'] = startRetries;
      details['rounds'] = gs.map((x, k) => ({
        gymStepsPerS: x.received / x.seconds,
        rawCmdPerS: (N * S) / (raws[k] as { seconds: number }).seconds,
        ratio: ratios[k],
      }));
      metrics.push(
        { name: `real, ${N} sessions: gym steps/s`, value: gSps, unit: 'steps/s' },
        { name: `real, ${N} sessions: raw sandbox commands/s`, value: rCps, unit: 'cmd/s' },
        // All rounds together (percentile(ratios, 50) of two rounds was the lower one).
        { name: 'gym / raw throughput (all rounds)', value: gSps / rCps, unit: 'ratio', target: { op: '>=', value: 0.85 } },
        { name: 'gym / raw throughput, lowest round', value: Math.min(...ratios), unit: 'ratio' },
        { name: 'gym step latency p50', value: gp50, unit: 'ms' },
        { name: 'gym step latency p95', value: percentile(g.latencies, 95), unit: 'ms' },
        { name: 'raw command latency p50', value: rp50, unit: 'ms' },
        { name: 'raw command latency p95', value: percentile(raw.latencies, 95), unit: 'ms' },
        // At N busy sessions on a saturated machine a step's latency is mostly its wait for the
        // CPU (Little's law: latency = N / throughput), so this gap follows from the throughput
        // ratio: N/gym - N/raw (next line); at the 0.85 throughput target it is ~N/raw x 0.18.
        { name: `step overhead p50 (gym - raw), ${N} sessions`, value: gp50 - rp50, unit: 'ms', target: { op: '<=', value: 1 } },
        { name: `step latency gap implied by throughput alone (N/gym - N/raw), ${N} sessions`, value: (1000 * N) / gSps - (1000 * N) / rCps, unit: 'ms' },
        { name: 'step latency p50, one session (raw)', value: percentile(gQuiet.raw, 50), unit: 'ms' },
        { name: 'step latency p50, one session (gym, WebSocket)', value: percentile(gQuiet.gym, 50), unit: 'ms' },
        {
          name: 'step overhead p50 (gym - raw), one session',
          value: percentile(gQuiet.gym, 50) - percentile(gQuiet.raw, 50),
          unit: 'ms',
          target: { op: '<=', value: 1 },
        },
        { name: 'steps lost', value: g.lost, unit: 'steps', target: { op: '<=', value: 0 } },
        { name: 'steps duplicated', value: g.duplicated, unit: 'steps', target: { op: '<=', value: 0 } },
      );
      const eps = listEpisodes(store).episodes.filter((e) => gymMeta(e)?.steps === S);
      const storedTurns = eps.reduce((s, e) => s + e.turns.length, 0);
      metrics.push({ name: 'steps missing from the store', value: rounds * N * S - storedTurns, unit: 'steps', target: { op: '<=', value: 0 } });
      details['load'] = { gym: { seconds: g.seconds, errors: g.errors, received: g.received }, raw: { seconds: raw.seconds } };

      // Reset (pooled) through the server vs raw pooled acquire, sequential.
      log('reset vs raw pooled acquire');
      const R = q ? 20 : 100;
      // A start that fails (the sandbox's own error) is counted, not timed. The client is in
      // another process, as a trainer's (see RESET_CLIENT_JS).
      const rc = await runScript<{ resets: number[]; errors: number; error: unknown }>(RESET_CLIENT_JS, [
        `ws://127.0.0.1:${server.address.port}/ws`,
        String(R),
      ]);
      const resets = rc.resets;
      const resetErrors = rc.errors;
      if (rc.error !== null) details['resetError'] = rc.error;
      let rawErrors = 0;
      const acquires: number[] = [];
      for (let i = 0; i < R; i++) {
        const t0 = performance.now();
        try {
          const t = await realBackend.start({ options: { pool: 8 } });
          acquires.push(performance.now() - t0);
          await t.run('true');
          void t.close();
        } catch (e) {
          rawErrors++;
          details['rawStartError'] = (e as Error).message;
        }
      }
      metrics.push(
        { name: `resets failed (of ${R})`, value: resetErrors, unit: 'resets' },
        { name: `raw pooled starts failed (of ${R})`, value: rawErrors, unit: 'starts' },
      );
      const resetP50 = percentile(resets, 50);
      const acqP50 = percentile(acquires, 50);
      metrics.push(
        { name: 'gym reset p50 (pooled)', value: resetP50, unit: 'ms' },
        { name: 'gym reset p95 (pooled)', value: percentile(resets, 95), unit: 'ms' },
        { name: 'raw pooled acquire p50', value: acqP50, unit: 'ms' },
        { name: 'raw pooled acquire p95', value: percentile(acquires, 95), unit: 'ms' },
        { name: 'reset p50 - raw acquire p50', value: resetP50 - acqP50, unit: 'ms', target: { op: '<=', value: 2 } },
      );

      // Memory per idle session in this process: gym sessions vs raw sessions.
      log('memory per idle session');
      const K = q ? 16 : 64;
      await settle();
      const m0 = rssMiB();
      const idle = await Promise.all(Array.from({ length: K }, () => WsClient.open(`ws://127.0.0.1:${server.address.port}/ws`)));
      await Promise.all(idle.map((x) => x.call({ type: 'reset', data: { seed: 1 } })));
      await settle();
      const gymPer = (rssMiB() - m0) / K;
      await Promise.all(idle.map((x) => x.close()));
      await waitFor(() => server.activeSessions === 0, 10_000);
      await settle();
      const m1 = rssMiB();
      const rawTerms = await Promise.all(Array.from({ length: K }, () => realBackend.start({ seed: 1 })));
      await settle();
      const rawPer = (rssMiB() - m1) / K;
      await Promise.all(rawTerms.map((t) => t.close()));
      metrics.push(
        { name: 'server memory per idle session (RSS)', value: gymPer, unit: 'MiB' },
        { name: 'raw session memory in the host process (RSS)', value: rawPer, unit: 'MiB' },
        { name: 'memory per idle session beyond the raw session', value: gymPer - rawPer, unit: 'MiB', target: { op: '<=', value: 3 } },
      );
    } finally {
      await server.close();
    }

    // Learned: sessions decode in one batch.
    const NL = q ? 4 : 32;
    const SL = q ? 5 : 20;
    log(`learned: ${NL} sessions x ${SL} steps`);
    const ls = await startGymServer({ backend: 'learned', port: 0, storeDir: null, observation: 'structured' });
    try {
      await gymLoad(ls, 1, 2);
      const l = await gymLoad(ls, NL, SL);
      metrics.push(
        { name: `learned, ${NL} sessions: gym steps/s`, value: l.received / l.seconds, unit: 'steps/s' },
        { name: 'learned step latency p50', value: percentile(l.latencies, 50), unit: 'ms' },
        { name: 'learned step latency p95', value: percentile(l.latencies, 95), unit: 'ms' },
        { name: 'learned steps lost + duplicated', value: l.lost + l.duplicated, unit: 'steps', target: { op: '<=', value: 0 } },
      );
    } finally {
      await ls.close();
    }

    // Leaks: sessions opened, stepped and dropped without a close.
    const L = q ? 50 : 1000;
    log(`leaks: ${L} sessions opened, stepped and dropped`);
    const ks = await startGymServer({ backend: 'real', port: 0, storeDir: null, observation: 'structured', pool: 0, maxSessions: 64 });
    try {
      const url = `ws://127.0.0.1:${ks.address.port}/ws`;
      let opened = 0;
      const t0 = performance.now();
      const worker = async (): Promise<void> => {
        while (opened < L) {
          opened++;
          const c = await WsClient.open(url);
          await c.call({ type: 'reset', data: {} });
          await c.call({ type: 'step', data: { command: 'echo hi' } });
          c.ws.terminate();
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      await waitFor(() => ks.activeSessions === 0, 30_000);
      await waitFor(() => sandboxProcesses(process.pid).length === 0 && sessionDirs() === 0, 10_000, 50);
      const procs = sandboxProcesses(process.pid).length;
      metrics.push(
        { name: `sessions dropped (${L}): processes left`, value: procs, unit: 'processes', target: { op: '<=', value: 0 } },
        { name: `sessions dropped (${L}): session folders left`, value: sessionDirs(), unit: 'folders', target: { op: '<=', value: 0 } },
        { name: `sessions dropped (${L}): sessions still open`, value: ks.activeSessions, unit: 'sessions', target: { op: '<=', value: 0 } },
      );
      details['dropRunSeconds'] = (performance.now() - t0) / 1000;
    } finally {
      await ks.close();
      await closePools();
      rmSync(store, { recursive: true, force: true });
    }
    log(`faults: kill sandboxes mid-step, then kill -9 the server mid-load and restart it`);
    const f = await faultRun(q);
    metrics.push(
      { name: 'fault: sandboxes killed mid-step', value: f.sandboxesKilled, unit: 'processes' },
      { name: 'fault: retryable EXECUTION_ERRORs answered', value: f.retryable, unit: 'replies' },
      { name: 'fault: finished episodes (client saw done)', value: f.clientDone, unit: 'episodes' },
      { name: 'fault: finished episodes lost after kill -9', value: f.lostFinished, unit: 'episodes', target: { op: '<=', value: 0 } },
      { name: 'fault: processes left after kill -9', value: f.leftProcesses, unit: 'processes', target: { op: '<=', value: 0 } },
      { name: 'fault: restart lists the stored episodes', value: f.restartListed === f.stored ? 1 : 0, unit: 'bool', target: { op: '>=', value: 1 } },
      { name: 'fault: crashed run folders left after restart', value: f.foldersLeft, unit: 'folders', target: { op: '<=', value: 0 } },
    );
    details['fault'] = f;
    return { suite: 'gym', metrics, details };
  },
};

const ROOT = join(import.meta.dirname, '..', '..');

interface FaultResult {
  clients: number;
  seconds: number;
  sandboxesKilled: number;
  retryable: number;
  clientDone: number;
  stored: number;
  lostFinished: number;
  leftProcesses: number;
  restartListed: number;
  foldersLeft: number;
}

/** `tw gym serve` as a child process; its port once it listens. */
async function serveChild(store: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'tw.js'), 'gym', 'serve', '--backend', 'real', '--port', '0', '--store', store, '--pool', '0', '--observation', 'structured'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  await waitFor(() => /127\.0\.0\.1:(\d+)/.test(out) || child.exitCode !== null, 60_000, 50);
  const m = /127\.0\.0\.1:(\d+)/.exec(out);
  if (!m) {
    child.kill('SIGKILL');
    throw new Error(`tw gym serve did not start: ${out}`);
  }
  return { child, port: Number(m[1]) };
}

async function faultRun(quick: boolean): Promise<FaultResult> {
  const store = mkdtempSync(join(tmpdir(), 'tw-gym-fault-'));
  const clients = quick ? 8 : 32;
  const seconds = quick ? 4 : 15;
  const a = await serveChild(store);
  const pid = a.child.pid as number;
  let clientDone = 0;
  let retryable = 0;
  let stop = false;
  const url = `ws://127.0.0.1:${a.port}/ws`;
  const loops = Array.from({ length: clients }, async (_, k) => {
    const c = await WsClient.open(url);
    try {
      while (!stop) {
        if ((await c.call({ type: 'reset', data: {} })).type !== 'observation') continue;
        let ok = true;
        for (let i = 0; i < 5 && ok; i++) {
          const r = await c.call({ type: 'step', data: { command: cmdAt(i + k) } });
          if (r.type === 'error') {
            ok = false;
            if (r.data['retryable'] === true) retryable++;
          }
        }
        if (!ok) continue;
        const end = await c.call({ type: 'step', data: { submit: true } });
        if (end.type === 'observation' && end.data['done'] === true) clientDone++;
      }
    } catch {
      // the server was killed
    }
  });
  // Kill a few sandboxes mid-step, then the server itself.
  let sandboxesKilled = 0;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
  for (const p of sandboxProcesses(pid)
    .filter((x) => readComm(x) === 'bwrap')
    .slice(0, 3)) {
    try {
      process.kill(p, 'SIGKILL');
      sandboxesKilled++;
    } catch {
      // gone already
    }
  }
  await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
  const tree = sandboxProcesses(pid);
  process.kill(pid, 'SIGKILL');
  stop = true;
  await Promise.all(loops);
  await waitFor(() => tree.every((p) => !isAlive(p)), 5000, 50);
  const leftProcesses = tree.filter(isAlive).length;
  const stored = listEpisodes(store).episodes.filter((e) => gymMeta(e)?.done === true).length;
  // Restart on the same store: one session, then the crashed run's folders must be gone.
  const b = await serveChild(store);
  let restartListed = 0;
  try {
    const c = await WsClient.open(`ws://127.0.0.1:${b.port}/ws`);
    await c.call({ type: 'reset', data: {} });
    await c.close();
    restartListed = listEpisodes(store).episodes.filter((e) => gymMeta(e)?.done === true).length;
  } finally {
    b.child.kill('SIGTERM');
    await waitFor(() => b.child.exitCode !== null, 10_000, 50);
  }
  const foldersLeft = readdirSync(tmpdir()).filter((n) => n.startsWith(`tw-sbx-${pid}-`)).length;
  rmSync(store, { recursive: true, force: true });
  return {
    clients,
    seconds: (performance.now() - t0) / 1000,
    sandboxesKilled,
    retryable,
    clientDone,
    stored,
    lostFinished: Math.max(0, clientDone - stored),
    leftProcesses,
    restartListed,
    foldersLeft,
  };
}

function readComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
