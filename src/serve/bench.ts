/**
 * `tw bench serve`: what `tw serve` costs on top of the learned backend it serves.
 *
 * Many clients at once, each replaying the commands of one held-out corpus session
 * (data/corpus/valid.jsonl) on the shipped model, greedy, in two arms alternated in one run:
 *   - direct:  learned sessions in this process (the learned bench's setting);
 *   - served:  endpoint sessions in this process -> HTTP on loopback -> tw serve (started here) ->
 *              the same learned backend (its sessions kept between turns by the session pool).
 * turns/s is over the whole run, best round of each arm (the machine is shared). The overhead
 * target (issue 12): served turns/s >= 0.9 x direct at 32 clients.
 *
 * Streaming, one client (issue 12's target: within 2x): time from the request to the first content
 * chunk of an SSE reply, against the learned backend's own first output (RunOptions.onOutput, from
 * the run() call) for the same command; where a command prints nothing, both are the whole turn.
 */
import { join } from 'node:path';
import { endpointBackend, forgetServers } from '../backends/endpoint/index.js';
import { DEFAULT_MODEL_DIR, learnedBackend, schedulerFor, unloadAll } from '../backends/learned/index.js';
import type { BenchSuite } from '../bench/types.js';
import type { Backend, SessionSpec } from '../core/terminal.js';
import { readAllSessions } from '../session/io.js';
import { startServe } from './server.js';
import { toMessages, WORLDMODEL_SYSTEM } from './worldmodel.js';

const CORPUS = join(DEFAULT_MODEL_DIR, '..', '..', 'data', 'corpus', 'valid.jsonl');

interface Arm {
  arm: 'direct' | 'served';
  seconds: number;
  turns: number;
  /** sequences per decode batch of the learned scheduler during the arm */
  meanBatch: number;
  /** CPU seconds of this process (client, server and model) during the arm: less disturbed by other load than wall time */
  cpuSeconds: number;
  /** served arm: the batch window's rounds, the time the first waiter of each waited (summed), rounds started by timeout */
  gate?: { rounds: number; waitMs: number; timeouts: number };
}

async function play(
  backend: Backend,
  spec: SessionSpec,
  scripts: string[][],
  arm: Arm['arm'],
  model: string,
  gate?: { rounds: number; waitMs: number; timeouts: number },
): Promise<Arm> {
  const g0 = gate ? { ...gate } : null;
  const sched = await schedulerFor({ options: { model } });
  const before = { ...sched.stats };
  const cpu0 = process.cpuUsage();
  const terms = await Promise.all(scripts.map(() => backend.start(spec)));
  const t0 = performance.now();
  await Promise.all(
    terms.map(async (t, i) => {
      for (const cmd of scripts[i] ?? []) await t.run(cmd);
      await t.close();
    }),
  );
  const batches = sched.stats.batches - before.batches;
  const cpu = process.cpuUsage(cpu0);
  return {
    ...(gate && g0 ? { gate: { rounds: gate.rounds - g0.rounds, waitMs: Math.round(gate.waitMs - g0.waitMs), timeouts: gate.timeouts - g0.timeouts } } : {}),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    arm,
    seconds: (performance.now() - t0) / 1000,
    turns: scripts.reduce((n, s) => n + s.length, 0),
    meanBatch: (sched.stats.sequences - before.sequences) / Math.max(1, batches),
  };
}

export interface ServeBenchResult {
  clients: number;
  turnsPerClient: number;
  arms: Arm[];
  direct: number;
  served: number;
  /** served / direct turns/s (wall time) */
  ratio: number;
  /** direct / served CPU time per turn (1 = no overhead): the same comparison, less disturbed by other load */
  cpuRatio: number;
  firstChunkMs: number[];
  /** the learned backend's first output chunk (or its whole turn, when the output is empty) */
  directFirstMs: number[];
  directTurnMs: number[];
}

export async function runServeBench(o: {
  clients: number;
  turns: number;
  rounds: number;
  model?: string;
  batchWindowMs?: number;
  log?: (s: string) => void;
}): Promise<ServeBenchResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const model = o.model ?? DEFAULT_MODEL_DIR;
  const all = await readAllSessions(CORPUS);
  const scripts = all.slice(0, o.clients).map((s) => s.turns.slice(0, o.turns).map((t) => t.cmd));
  forgetServers();
  const srv = await startServe({
    backend: learnedBackend,
    backendName: 'learned',
    modelId: 'bench',
    baseOptions: { model },
    port: 0,
    ...(o.batchWindowMs !== undefined ? { batchWindowMs: o.batchWindowMs } : {}),
  });
  const arms: Arm[] = [];
  const firstChunkMs: number[] = [];
  const directFirstMs: number[] = [];
  const directTurnMs: number[] = [];
  try {
    const direct = { options: { model } };
    const served = { options: { url: srv.url, timeoutMs: 600_000, concurrency: Math.max(16, o.clients) } };
    await play(learnedBackend, direct, scripts.slice(0, 1), 'direct', model); // load the model once, outside the timings
    for (let r = 0; r < o.rounds; r++) {
      for (const [arm, backend, spec] of [
        ['direct', learnedBackend, direct],
        ['served', endpointBackend, served],
      ] as const) {
        const a = await play(backend, spec, scripts, arm, model, arm === 'served' ? srv.server.gateStats : undefined);
        log(
          `serve bench: ${arm}: ${a.turns} turns in ${a.seconds.toFixed(1)} s = ${(a.turns / a.seconds).toFixed(2)} turns/s (${scripts.length} clients), ${a.meanBatch.toFixed(1)} sequences per decode batch, ${((a.cpuSeconds / a.turns) * 1000).toFixed(0)} CPU ms per turn${a.gate ? `; batch window: ${a.gate.rounds} rounds, ${(a.gate.waitMs / 1000).toFixed(1)} s waited, ${a.gate.timeouts} by timeout` : ''}`,
        );
        arms.push(a);
      }
    }
    // Streaming, one client: first content chunk vs the learned backend's own first output, same command.
    const cmds = scripts.map((sc) => sc[0] ?? 'ls').slice(0, 9);
    for (const cmd of cmds) {
      const t = await learnedBackend.start(direct);
      const t0 = performance.now();
      let firstOut = -1;
      await t.run(cmd, { onOutput: () => void (firstOut < 0 && (firstOut = performance.now() - t0)) });
      directTurnMs.push(performance.now() - t0);
      directFirstMs.push(firstOut >= 0 ? firstOut : performance.now() - t0);
      await t.close();
      const body = { model: 'bench', stream: true, messages: toMessages(WORLDMODEL_SYSTEM, [], cmd) };
      const s0 = performance.now();
      const res = await fetch(`${srv.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      let first = -1;
      const dec = new TextDecoder();
      for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (first < 0 && /"content":"[^"]/.test(dec.decode(piece))) first = performance.now() - s0;
      }
      firstChunkMs.push(first >= 0 ? first : performance.now() - s0);
    }
  } finally {
    await srv.close();
    await unloadAll();
  }
  const bestOf = (arm: Arm['arm']): number => Math.max(...arms.filter((a) => a.arm === arm).map((a) => a.turns / a.seconds));
  const d = bestOf('direct');
  const s = bestOf('served');
  const cpuPerTurn = (arm: Arm['arm']): number => Math.min(...arms.filter((a) => a.arm === arm).map((a) => a.cpuSeconds / a.turns));
  return {
    clients: scripts.length,
    turnsPerClient: o.turns,
    arms,
    direct: d,
    served: s,
    ratio: s / d,
    cpuRatio: cpuPerTurn('direct') / cpuPerTurn('served'),
    firstChunkMs,
    directFirstMs,
    directTurnMs,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] ?? NaN) : NaN;
};

export const serveBench: BenchSuite = {
  name: 'serve',
  description: 'tw serve: turns/s of 32 OpenAI-API clients through tw serve vs the learned backend directly; streaming first-chunk time',
  async run(opts) {
    const r = await runServeBench(opts.quick ? { clients: 8, turns: 4, rounds: 1 } : { clients: 32, turns: 8, rounds: 2 });
    return {
      suite: 'serve',
      metrics: [
        { name: `turns/s, ${r.clients} clients, learned directly`, value: r.direct, unit: 'turns/s' },
        { name: `turns/s, ${r.clients} clients, through tw serve (endpoint backend, loopback)`, value: r.served, unit: 'turns/s' },
        { name: 'served / direct, turns/s (wall time)', value: r.ratio, unit: 'x', target: { op: '>=', value: 0.9 } },
        { name: 'direct / served, CPU time per turn', value: r.cpuRatio, unit: 'x', target: { op: '>=', value: 0.9 } },
        { name: 'streaming: first content chunk through tw serve, median of 9 commands (1 client)', value: median(r.firstChunkMs), unit: 'ms' },
        { name: 'learned backend: first output chunk, same commands, median of 9', value: median(r.directFirstMs), unit: 'ms' },
        { name: 'learned backend: whole turn, same commands, median of 9', value: median(r.directTurnMs), unit: 'ms' },
        {
          name: 'first chunk: served / learned backend, median of the 9 ratios',
          value: median(r.firstChunkMs.map((f, i) => f / (r.directFirstMs[i] ?? NaN))),
          unit: 'x',
          target: { op: '<=', value: 2 },
        },
      ],
      details: { ...r },
    };
  },
};
