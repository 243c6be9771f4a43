/**
 * The server's sessions. The OpenAI API is stateless (each request carries the whole
 * conversation), a terminal is not: a conversation is answered by one Terminal session whose
 * history is that conversation. After each turn the session is kept under a key made of its
 * settings and its conversation so far (reply included); a request that continues it takes it
 * back (a cache hit costs nothing), any other request gets a fresh session brought to the
 * request's history: setHistory() where the backend has it (learned), else by running the history's
 * commands again (real, justbash). A session is taken out of the pool while it runs, so two
 * requests never share one; the pool keeps at most `max` idle sessions, closing the oldest, and
 * closes sessions idle longer than `idleMs`.
 */
import { createHash } from 'node:crypto';
import { canSetHistory, type Backend, type Mode, type SessionSpec, type Terminal, type Turn } from '../core/terminal.js';
import { DEFAULT_CWD, inferCwd, type ConvTurn } from './worldmodel.js';

export interface SessionSettings {
  mode: Mode;
  /** backend options of this request (temperature, topP, seed, maxTokens ...) */
  options: Record<string, unknown>;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/** A history turn as the server knows it: cwd from the request's `tw.cwds` or inferred. */
export interface KnownTurn extends ConvTurn {
  cwd: string;
}

export function keyOf(s: SessionSettings, system: string | null, history: readonly { cmd: string; reply: string }[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([s.mode, s.options, s.timeoutMs ?? null, s.maxOutputBytes ?? null, system]));
  for (const t of history) h.update(JSON.stringify([t.cmd, t.reply]));
  return h.digest('hex');
}

/** Attach cwds to history turns: given ones where present, else inferred from `cd`s. */
export function withCwds(history: readonly ConvTurn[], cwds: readonly string[] | undefined): KnownTurn[] {
  let cwd = DEFAULT_CWD;
  return history.map((t, i) => {
    const given = cwds?.[i];
    cwd = typeof given === 'string' && given !== '' ? given : inferCwd(cwd, t.cmd, Math.max(0, t.exit));
    return { ...t, cwd };
  });
}

export interface PoolStats {
  hits: number;
  misses: number;
  replayedTurns: number;
  evicted: number;
}

export class SessionPool {
  private idle = new Map<string, { term: Terminal; at: number }>();
  readonly stats: PoolStats = { hits: 0, misses: 0, replayedTurns: 0, evicted: 0 };
  private timer: NodeJS.Timeout;

  constructor(
    private readonly backend: Backend,
    private readonly baseOptions: Record<string, unknown>,
    private readonly max = 256,
    private readonly idleMs = 10 * 60_000,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.min(60_000, idleMs)).unref();
  }

  /** A session whose history is `history`: from the pool, or a fresh one brought there. */
  async acquire(s: SessionSettings, system: string | null, history: readonly KnownTurn[]): Promise<{ term: Terminal; hit: boolean }> {
    const key = keyOf(s, system, history);
    const kept = this.idle.get(key);
    if (kept && !kept.term.dead) {
      this.idle.delete(key);
      this.stats.hits++;
      return { term: kept.term, hit: true };
    }
    this.stats.misses++;
    const spec: SessionSpec = { mode: s.mode, options: { ...this.baseOptions, ...s.options } };
    if (s.timeoutMs !== undefined) spec.timeoutMs = s.timeoutMs;
    if (s.maxOutputBytes !== undefined) spec.maxOutputBytes = s.maxOutputBytes;
    const term = await this.backend.start(spec);
    try {
      if (history.length > 0) {
        if (canSetHistory(term)) {
          const turns: Turn[] = history.map((t) => ({
            cmd: t.cmd,
            output: Buffer.from(t.output, 'utf8'),
            exit: Math.max(0, t.exit),
            cwd: t.cwd,
            ms: 0,
            timedOut: false,
            truncated: false,
          }));
          await term.setHistory(turns);
        } else {
          for (const t of history) {
            await term.run(t.cmd);
            this.stats.replayedTurns++;
          }
        }
      }
    } catch (e) {
      await term.close().catch(() => undefined);
      throw e;
    }
    return { term, hit: false };
  }

  /** Keep a session after a turn, under its new conversation. */
  release(term: Terminal, s: SessionSettings, system: string | null, history: readonly { cmd: string; reply: string }[]): void {
    if (term.dead) {
      void term.close().catch(() => undefined);
      return;
    }
    const key = keyOf(s, system, history);
    const old = this.idle.get(key);
    if (old) void old.term.close().catch(() => undefined);
    this.idle.set(key, { term, at: Date.now() });
    while (this.idle.size > this.max) {
      const [k, v] = this.idle.entries().next().value as [string, { term: Terminal; at: number }];
      this.idle.delete(k);
      this.stats.evicted++;
      void v.term.close().catch(() => undefined);
    }
  }

  /** Close a session that will not be kept. */
  discard(term: Terminal): void {
    void term.close().catch(() => undefined);
  }

  get size(): number {
    return this.idle.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, v] of this.idle) {
      if (now - v.at > this.idleMs) {
        this.idle.delete(k);
        this.stats.evicted++;
        void v.term.close().catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.idle.values()];
    this.idle.clear();
    await Promise.all(all.map((v) => v.term.close().catch(() => undefined)));
  }
}
