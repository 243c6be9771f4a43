/** Helpers for the gym's tests: a promise-based WebSocket client, a Terminal over an env (for task experts), process trees. */
import { readdirSync, readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { Terminal, Turn } from '../core/terminal.js';
import type { GymEnv } from './env.js';

export interface Reply {
  type: string;
  data: Record<string, unknown>;
}

/** A WebSocket client that queues replies, so a test can send then await the next one. */
export class WsClient {
  private readonly queue: Reply[] = [];
  private readonly waiters: ((r: Reply | null) => void)[] = [];
  closed = false;
  closeCode: number | null = null;
  error: Error | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const r = JSON.parse(String(d)) as Reply;
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
    ws.on('error', (e) => {
      this.error = e;
    });
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      for (const w of this.waiters.splice(0)) w(null);
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const c = new WsClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  next(): Promise<Reply | null> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  async call(msg: unknown): Promise<Reply> {
    this.ws.send(JSON.stringify(msg));
    const r = await this.next();
    if (!r) throw new Error(`connection closed (code ${this.closeCode}${this.error ? `, ${this.error.message}` : ''})`);
    return r;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** A Terminal whose commands go through env.step: lets a task family's expert play an episode. */
export function envTerminal(env: GymEnv): Terminal {
  return {
    info: { backend: 'gym', mode: 'pty' },
    dead: false,
    async run(cmd: string): Promise<Turn> {
      const o = (await env.step({ command: cmd })).observation;
      return { cmd, output: Buffer.from(o.output), exit: o.exit ?? 0, cwd: o.cwd, ms: 0, timedOut: o.timedOut, truncated: o.truncated };
    },
    async close() {},
  };
}

/** Pids of every live descendant of a process (from /proc). */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    for (let hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
      if (p === root) {
        out.push(pid);
        break;
      }
      p = parent.get(p);
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean, ms: number, every = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return cond();
}

/** Descendants of a process that are not tsx's esbuild service: the sandboxes it started. */
export function sandboxProcesses(root: number): number[] {
  return descendants(root).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'esbuild';
    } catch {
      return false;
    }
  });
}
