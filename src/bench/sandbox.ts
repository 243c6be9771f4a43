/**
 * `tw bench sandbox`: the real sandbox's speed.
 *   - session start (start() until the first prompt), p50/p95, sequential
 *   - warm-pool acquire (options.pool = 2), each session used for 5 commands before the next
 *   - memory of an idle session (PSS of its processes, median of 8)
 *   - per-command latency in one session: a builtin, coreutils, `python3 -c`
 *   - aggregate commands/s with 1/4/8/16 sessions running a fixed command mix concurrently
 * Targets (issue 2): start <= 20 ms p50; >= 1000 commands/s at 16 sessions.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { realBackend } from '../backends/real/index.js';
import { closePools } from '../backends/real/pool.js';
import { RealSession } from '../backends/real/session.js';
import type { Terminal } from '../core/terminal.js';
import { percentile } from '../core/stats.js';
import type { BenchMetric, BenchOptions, BenchResult, BenchSuite } from './types.js';

/** A mix of navigation, builtins and coreutils, as agents type them. */
export const COMMAND_MIX = [
  'pwd',
  'echo hello',
  'ls',
  'cd /tmp',
  'touch a b c',
  'ls -la',
  'cat /etc/hostname',
  'x=$((1+2)); echo $x',
  'mkdir -p d/e',
  'cd d',
  'cd ..',
  'echo data > f.txt',
  'wc -c f.txt',
  'grep -c root /etc/passwd',
  'head -3 /etc/passwd',
  'true',
  'false',
  'export V=1',
  'echo $V',
  'sort /etc/hostname',
  'rm -f a',
  'test -d d && echo yes',
  'cd ~',
];

/** Proportional set size of a process in KiB (0 if it is gone). */
function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function timeStart(): Promise<{ ms: number; term: Terminal }> {
  const t0 = performance.now();
  const term = await realBackend.start({});
  return { ms: performance.now() - t0, term };
}

async function latency(term: Terminal, cmd: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await term.run(cmd);
    out.push(performance.now() - t0);
  }
  return out;
}

async function throughput(sessions: number, perSession: number): Promise<{ cps: number; commands: number; seconds: number }> {
  const terms = await Promise.all(Array.from({ length: sessions }, () => realBackend.start({})));
  try {
    const t0 = performance.now();
    await Promise.all(
      terms.map(async (term) => {
        for (let i = 0; i < perSession; i++) await term.run(COMMAND_MIX[i % COMMAND_MIX.length] ?? 'true');
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    return { cps: (sessions * perSession) / seconds, commands: sessions * perSession, seconds };
  } finally {
    await Promise.all(terms.map((t) => t.close()));
  }
}

export const sandboxBench: BenchSuite = {
  name: 'sandbox',
  description: 'real sandbox: session start, per-command latency, commands/s at 1-16 sessions',
  async run(opts: BenchOptions): Promise<BenchResult> {
    const nStart = opts.quick ? 8 : 40;
    const starts: number[] = [];
    // One warm-up start (page cache, cgroup directory) not counted.
    await (await timeStart()).term.close();
    for (let i = 0; i < nStart; i++) {
      const { ms, term } = await timeStart();
      starts.push(ms);
      await term.close();
    }
    // Warm pool (options.pool): acquire time when each session is used for a few commands first.
    const acquires: number[] = [];
    for (let i = 0; i < nStart; i++) {
      const t0 = performance.now();
      const t = await realBackend.start({ options: { pool: 2 } });
      acquires.push(performance.now() - t0);
      for (const c of ['ls', 'cd /tmp', 'echo hi > f', 'cat f', 'pwd']) await t.run(c);
      await t.close();
    }
    await closePools();
    // Memory of an idle session: proportional set size (shared pages split between sharers).
    const idle = await Promise.all(Array.from({ length: 8 }, () => realBackend.start({})));
    const pssKiB = idle.map((t) => (t instanceof RealSession ? t.hostPids().reduce((sum, pid) => sum + pss(pid), 0) : Number.NaN));
    await Promise.all(idle.map((t) => t.close()));
    const term = await realBackend.start({});
    let lat: Record<string, number[]>;
    try {
      const k = opts.quick ? 0.25 : 1;
      lat = {
        'builtin (:)': await latency(term, ':', Math.ceil(300 * k)),
        'coreutils (ls /)': await latency(term, 'ls /', Math.ceil(150 * k)),
        'python3 -c pass': await latency(term, 'python3 -c pass', Math.ceil(30 * k)),
      };
    } finally {
      await term.close();
    }
    const conc: Record<string, { cps: number; commands: number; seconds: number }> = {};
    for (const s of [1, 4, 8, 16]) conc[String(s)] = await throughput(s, opts.quick ? 46 : 230);
    const metrics: BenchMetric[] = [
      { name: 'session start p50', value: percentile(starts, 50), unit: 'ms', target: { op: '<=', value: 20 } },
      { name: 'session start p95', value: percentile(starts, 95), unit: 'ms' },
      { name: 'pooled session acquire p50', value: percentile(acquires, 50), unit: 'ms' },
      { name: 'pooled session acquire p95', value: percentile(acquires, 95), unit: 'ms' },
    ];
    metrics.push({ name: 'idle session memory (PSS)', value: percentile(pssKiB, 50) / 1024, unit: 'MiB' });
    for (const [name, xs] of Object.entries(lat)) {
      metrics.push({ name: `${name} p50`, value: percentile(xs, 50), unit: 'ms' });
      metrics.push({ name: `${name} p95`, value: percentile(xs, 95), unit: 'ms' });
    }
    for (const [s, r] of Object.entries(conc)) {
      metrics.push({
        name: `commands/s, ${s} session${s === '1' ? '' : 's'}`,
        value: r.cps,
        unit: 'cmd/s',
        ...(s === '16' ? { target: { op: '>=' as const, value: 1000 } } : {}),
      });
    }
    return { suite: 'sandbox', metrics, details: { starts, acquires, commandMix: COMMAND_MIX, concurrency: conc, quick: opts.quick } };
  },
};
