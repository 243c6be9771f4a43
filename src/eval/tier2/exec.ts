/**
 * Runs one probe session on a backend and collects what it showed. A backend that throws, dies or
 * hangs never stops the run: the session ends with `error` set (the reason) and the probe fails.
 */
import type { Backend, SessionSpec, Terminal } from '../../core/terminal.js';
import type { Probe } from './schema.js';

export interface RawObs {
  output: Buffer;
  stderr?: Buffer;
  exit: number;
  timedOut: boolean;
  state?: RawObs[];
}

export interface SessionResult {
  turns: RawObs[];
  /** The terminal's own description (backend, mode, image...), when it started. */
  info?: Record<string, unknown>;
  /** Set when the session could not be completed: why, and at which command. */
  error?: string;
}

/** Per-command timeout for probes: the Terminal default (probes are short on a real shell; slow simulators such as just-bash's WebAssembly python need the room). */
export const PROBE_TIMEOUT_MS = 10_000;
/** Extra time the runner waits past a backend's own timeout before calling the backend hung. */
export const HANG_GRACE_MS = 5_000;

class Hung extends Error {}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hung(`${what}: no answer after ${ms} ms (backend hung)`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function runProbeSession(backend: Backend, probe: Probe, seed: number, graceMs = HANG_GRACE_MS): Promise<SessionResult> {
  const turns: RawObs[] = [];
  const spec: SessionSpec = {
    mode: probe.mode,
    setup: probe.setup,
    seed,
    deterministic: probe.deterministic,
    timeoutMs: PROBE_TIMEOUT_MS,
  };
  let term: Terminal;
  try {
    term = await withDeadline(backend.start(spec), PROBE_TIMEOUT_MS * (1 + probe.setup.length) + graceMs, 'start');
  } catch (e) {
    return { turns, error: `session start failed: ${reason(e)}` };
  }
  // distribution turns ask a generating backend for a sample, not its single most likely answer
  const one = async (cmd: string, timeoutMs: number, sample = false): Promise<RawObs> => {
    if (term.dead) throw new Error(`session died before \`${cmd}\`: ${term.deadReason ?? 'no reason given'}`);
    const t = await withDeadline(term.run(cmd, sample ? { timeoutMs, sample } : { timeoutMs }), timeoutMs + graceMs, `\`${cmd}\``);
    const obs: RawObs = { output: t.output, exit: t.exit, timedOut: t.timedOut };
    if (probe.mode === 'pipe') obs.stderr = t.stderr ?? Buffer.alloc(0);
    return obs;
  };
  let error: string | undefined;
  try {
    for (const turn of probe.turns) {
      const timeoutMs = turn.timeoutMs ?? PROBE_TIMEOUT_MS;
      const obs = await one(turn.cmd, timeoutMs, turn.grade === 'distribution');
      if (turn.grade === 'state' && turn.state) {
        obs.state = [];
        for (const s of turn.state) obs.state.push(await one(s, PROBE_TIMEOUT_MS));
      }
      turns.push(obs);
    }
  } catch (e) {
    error = reason(e);
  }
  // A hung backend may never finish closing either: bound it, and never let it throw.
  await withDeadline(term.close(), graceMs, 'close').catch(() => undefined);
  const info = { ...term.info };
  return error === undefined ? { turns, info } : { turns, info, error };
}

/** A tiny concurrency limiter (a dependency for eight lines is not worth it). */
export function limiter(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(f: () => Promise<T>): Promise<T> => {
    // A released slot passes straight to the next waiter, so `active` never exceeds n.
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    else active++;
    try {
      return await f();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}
