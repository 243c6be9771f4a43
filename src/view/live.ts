/**
 * Live mode: one session per backend, opened together; each command runs on all of them at once,
 * so that a person can type and watch them diverge. Sessions close after 15 idle minutes, and at
 * most a few groups are open at a time (the oldest is closed first).
 */
import { randomUUID } from 'node:crypto';
import { getBackend, type BackendName } from '../backends/registry.js';
import type { Terminal } from '../core/terminal.js';
import { diffSegments, type Segment } from '../report/bytesDiff.js';
import { visibleText } from './compare.js';

export interface LiveTurn {
  backend: string;
  output?: string;
  exit?: number;
  cwd?: string;
  ms?: number;
  /** Against the first backend's output (the reference, usually real). */
  same?: boolean;
  segments?: Segment[];
  error?: string;
}

interface Group {
  id: string;
  terms: { backend: string; term?: Terminal; error?: string }[];
  lastUsed: number;
  busy: Promise<unknown>;
}

const MAX_GROUPS = 4;
const IDLE_MS = 15 * 60_000;

export class LiveSessions {
  private groups = new Map<string, Group>();
  private timer: NodeJS.Timeout;

  constructor(readonly options: Record<string, Record<string, unknown>> = {}) {
    this.timer = setInterval(() => void this.expire(), 60_000);
    this.timer.unref();
  }

  async start(backends: readonly BackendName[]): Promise<{ id: string; backends: { backend: string; error?: string }[] }> {
    if (backends.length === 0) throw new Error('name at least one backend');
    while (this.groups.size >= MAX_GROUPS) {
      const oldest = [...this.groups.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!oldest) break;
      await this.close(oldest.id);
    }
    const terms = await Promise.all(
      backends.map(async (backend) => {
        try {
          const b = await getBackend(backend);
          const opts = this.options[backend];
          return { backend, term: await b.start({ mode: 'pty', ...(opts ? { options: opts } : {}) }) };
        } catch (e) {
          return { backend, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    const g: Group = { id: randomUUID(), terms, lastUsed: Date.now(), busy: Promise.resolve() };
    this.groups.set(g.id, g);
    return { id: g.id, backends: terms.map((t) => ({ backend: t.backend, ...(t.error ? { error: t.error } : {}) })) };
  }

  /** Run one command on every backend of the group at once. Commands of one group run in order. */
  async run(id: string, cmd: string): Promise<LiveTurn[]> {
    const g = this.groups.get(id);
    if (!g) throw new Error('no such live session (it may have expired): start a new one');
    g.lastUsed = Date.now();
    const run = async (): Promise<LiveTurn[]> => {
      const res = await Promise.all(
        g.terms.map(async (t): Promise<{ backend: string; out?: Buffer; turn?: LiveTurn }> => {
          if (!t.term) return { backend: t.backend, turn: { backend: t.backend, error: t.error ?? 'did not start' } };
          if (t.term.dead) return { backend: t.backend, turn: { backend: t.backend, error: `the session is dead (${t.term.deadReason ?? ''})` } };
          try {
            const r = await t.term.run(cmd);
            return {
              backend: t.backend,
              out: r.output,
              turn: { backend: t.backend, output: visibleText(r.output), exit: r.exit, cwd: r.cwd, ms: Math.round(r.ms * 10) / 10 },
            };
          } catch (e) {
            return { backend: t.backend, turn: { backend: t.backend, error: e instanceof Error ? e.message : String(e) } };
          }
        }),
      );
      const ref = res[0];
      return res.map((r, i) => {
        const turn = r.turn ?? { backend: r.backend };
        if (i > 0 && ref?.out && r.out) {
          const refTurn = ref.turn;
          turn.same = ref.out.equals(r.out) && refTurn?.exit === turn.exit && refTurn?.cwd === turn.cwd;
          turn.segments = diffSegments(ref.out, r.out);
        }
        return turn;
      });
    };
    const p = g.busy.then(run, run);
    g.busy = p.catch(() => undefined);
    return p;
  }

  async close(id: string): Promise<void> {
    const g = this.groups.get(id);
    if (!g) return;
    this.groups.delete(id);
    await Promise.all(g.terms.map((t) => t.term?.close().catch(() => undefined)));
  }

  private async expire(): Promise<void> {
    const now = Date.now();
    for (const g of [...this.groups.values()]) if (now - g.lastUsed > IDLE_MS) await this.close(g.id);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.groups.keys()].map((id) => this.close(id)));
  }
}
