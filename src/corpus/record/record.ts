/** Run one generated script on a backend and return the recorded session. */
import type { Backend, SessionSpec } from '../../core/terminal.js';
import { newSession, turnToRecord, type Session } from '../../session/format.js';
import type { SessionScript } from '../generate/session.js';

export const GENERATOR = 'terminalworld.corpus.generate';
/** Bump when the generator's output for a given seed changes (a resumed run refuses to mix versions). */
export const GENERATOR_VERSION = 4;

export interface RecordOptions {
  mode?: SessionSpec['mode'];
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** Record each turn's change of state (real backend; src/backends/real/statetracker.ts). */
  recordState?: boolean;
  /** The real backend's image: "workstation", a manifest or an OCI tarball (src/sandbox/image). */
  image?: string;
}

function imageOf(info: Record<string, unknown>): Session['image'] {
  const im = info['image'];
  if (typeof im === 'object' && im !== null && 'id' in im && 'version' in im) {
    const { id, version } = im as { id: unknown; version: unknown };
    return { id: String(id), version: String(version) };
  }
  return null;
}

function determinismOf(info: Record<string, unknown>): Session['determinism'] {
  const d = info['determinism'];
  if (typeof d !== 'object' || d === null) return null;
  const o = d as Record<string, unknown>;
  if (typeof o['enabled'] === 'boolean' && typeof o['clockStart'] === 'string' && typeof o['clockRate'] === 'number' && typeof o['seed'] === 'number') {
    const d: NonNullable<Session['determinism']> = { enabled: o['enabled'], clockStart: o['clockStart'], clockRate: o['clockRate'], seed: o['seed'] };
    if (typeof o['clockStep'] === 'number') d.clockStep = o['clockStep'];
    if (typeof o['turnSeconds'] === 'number') d.turnSeconds = o['turnSeconds'];
    return d;
  }
  return null;
}

export async function recordScript(backend: Backend, script: SessionScript, o: RecordOptions = {}, meta: Record<string, unknown> = {}): Promise<Session> {
  const spec: SessionSpec = { mode: o.mode ?? 'pty', setup: script.setup, seed: script.seed, deterministic: true };
  if (o.timeoutMs !== undefined) spec.timeoutMs = o.timeoutMs;
  if (o.maxOutputBytes !== undefined) spec.maxOutputBytes = o.maxOutputBytes;
  if (o.recordState) spec.options = { ...spec.options, recordState: true };
  if (o.image !== undefined) spec.options = { ...spec.options, image: o.image };
  const term = await backend.start(spec);
  const turns = [];
  let dead: string | undefined;
  try {
    for (const t of script.turns) {
      const turn = await term.run(t.cmd);
      turns.push(turnToRecord(turn, t.family));
      if (term.dead) {
        dead = term.deadReason ?? 'session died';
        break;
      }
    }
  } finally {
    await term.close();
  }
  return newSession({
    id: script.id,
    backend: backend.name,
    mode: term.info.mode,
    seed: script.seed,
    image: imageOf(term.info),
    determinism: determinismOf(term.info),
    setup: script.setup,
    turns,
    meta: { generator: { name: GENERATOR, version: GENERATOR_VERSION }, ...(dead ? { dead } : {}), ...meta },
  });
}

/** Run `fn` over `items` with at most `jobs` in flight; results arrive through `onDone` as they finish. */
export async function runPool<T, R>(items: readonly T[], jobs: number, fn: (x: T) => Promise<R>, onDone: (r: R, x: T) => void): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const x = items[next++] as T;
      onDone(await fn(x), x);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
}
