/**
 * The session's plumbing: the pseudo-terminal bubblewrap runs on (and, in pipe mode, the two FIFOs
 * the shell's stdout and stderr go to), as streams of bytes in and one exit out. Knows nothing of
 * turns. Every live session is killed when the host process exits.
 */
import { constants, openSync } from 'node:fs';
import net from 'node:net';
import pty, { type IPty } from '@lydell/node-pty';
import type { Mode } from '../../core/terminal.js';

/** Which stream bytes came on: `main` the terminal (pty mode) or stderr's FIFO (pipe mode),
 *  `out` stdout's FIFO (pipe mode), `tty` the terminal in pipe mode (start-up noise only). */
export type Stream = 'main' | 'out' | 'tty';

export interface PtyOptions {
  file: string;
  args: string[];
  env: Record<string, string>;
  mode: Mode;
  fifos: { out: string; err: string } | null;
  cols: number;
  rows: number;
}

const LIVE = new Set<ShellPty>();
process.once('exit', () => {
  for (const s of LIVE) s.kill();
});

export class ShellPty {
  private readonly pty: IPty;
  private readonly socks: net.Socket[] = [];
  private exitWaiters: (() => void)[] = [];
  /** Set once the process on the terminal (bubblewrap) has exited. */
  exited: { code: number; signal?: number } | null = null;

  constructor(o: PtyOptions, onData: (which: Stream, d: Buffer) => void, onExit: (code: number, signal: number | undefined) => void) {
    this.pty = pty.spawn(o.file, o.args, { name: o.env.TERM ?? 'xterm', cols: o.cols, rows: o.rows, cwd: '/', env: o.env, encoding: null });
    LIVE.add(this);
    this.pty.onData((d: unknown) => onData(o.mode === 'pty' ? 'main' : 'tty', toBuf(d)));
    this.pty.onExit(({ exitCode, signal }) => {
      this.exited = { code: exitCode, ...(signal ? { signal } : {}) };
      LIVE.delete(this);
      onExit(exitCode, signal);
      for (const w of this.exitWaiters) w();
    });
    if (o.fifos) {
      for (const [which, path] of [
        ['out', o.fifos.out],
        ['err', o.fifos.err],
      ] as const) {
        // O_RDWR keeps a writer open so the FIFO never reports EOF before the shell opens it.
        const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
        const sock = new net.Socket({ fd, readable: true, writable: false });
        sock.on('data', (d: Buffer) => onData(which === 'out' ? 'out' : 'main', d));
        sock.on('error', () => undefined);
        this.socks.push(sock);
      }
    }
  }

  /** Host PID of the process on the terminal (bubblewrap). */
  get pid(): number {
    return this.pty.pid;
  }

  /** Type bytes into the terminal. */
  write(s: string): void {
    this.pty.write(s);
  }

  /** Stop reading the terminal (its writers then block, as on a terminal nobody reads). */
  pause(): void {
    this.pty.pause();
  }

  resume(): void {
    this.pty.resume();
  }

  kill(): void {
    try {
      process.kill(this.pty.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }

  /** Resolves when the process has exited, or after `ms`. */
  waitExit(ms: number): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      this.exitWaiters.push(() => {
        clearTimeout(t);
        r();
      });
    });
  }

  /** Close the FIFOs' readers. */
  destroy(): void {
    for (const s of this.socks) s.destroy();
  }
}

function toBuf(d: unknown): Buffer {
  if (Buffer.isBuffer(d)) return d;
  return Buffer.from(String(d), 'utf8');
}
