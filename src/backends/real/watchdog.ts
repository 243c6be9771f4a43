/**
 * The stdin watchdog: while a command runs, poll /proc for who waits on the terminal and do what
 * a person would. A foreground reader of the terminal (seen twice) gets ^D (EOF), but only once
 * it has consumed the previous one (its read count moved); after two it is killed (raw-mode
 * programs). The shell's own parser waiting gets ^C only when it shows PS2 (bash itself said it
 * wants the rest of an incomplete command: open quote, missing `fi`), after a quiet spell. Two
 * more ends of turn are seen here: the shell at PS1 with no marker (its stderr was moved away,
 * `exec 2>/dev/null`) and a new shell at its own prompt (`exec bash`). Timings: timing.ts.
 */
import { performance } from 'node:perf_hooks';
import type { Pending } from './pending.js';
import type { ShellPlace } from './confirm.js';
import { PS2_BODY } from './protocol.js';
import { procStat, readSyscalls, ttyWaiter } from './proc.js';
import type { ShellState } from './shellmem.js';
import { LIMITS, TIMING } from './timing.js';

/** What the watchdog needs of the session. */
export interface WatchdogHost {
  isPending(p: Pending): boolean;
  bashPid(): number;
  ptyRdev(): number;
  /** performance.now() of the latest bytes from the session. */
  lastDataAt(): number;
  /** Where the shell is, from its memory; null where that cannot be read (or a hidden turn). */
  shellAt(p: Pending): ShellPlace | null;
  readShell(): ShellState | null;
  /** The process at the head of the session is a bash showing a prompt that is not ours. */
  replacedShellAtPrompt(): boolean;
  /** The command replaced the shell: set the new one up before the next command. */
  shellReplaced(): void;
  finish(exit: number, cwd?: string | Buffer): void;
  sigint(): void;
  /** Type ^D. */
  typeEof(): void;
  killForeground(pgrp: number): void;
}

export class StdinWatchdog {
  constructor(private readonly host: WatchdogHost) {}

  /** Start watching a command that was just typed. */
  start(p: Pending): void {
    this.watch(p, TIMING.firstPollMs);
  }

  /** Decisions run from setImmediate, after the poll phase has read any pending pty data (a timer
   *  alone can fire before data that is already waiting is read). */
  private watch(p: Pending, delay: number): void {
    p.watch = setTimeout(() => setImmediate(() => this.check(p, delay)), delay);
  }

  private check(p: Pending, delay: number): void {
    const h = this.host;
    const bashPid = h.bashPid();
    if (!h.isPending(p) || bashPid < 0) return;
    const w = ttyWaiter(bashPid, h.ptyRdev());
    const now = performance.now();
    if (w?.kind !== 'parser') p.parserSince = undefined;
    if (w?.kind !== 'reader') p.readerSince = undefined;
    if (w?.kind === 'parser') {
      p.parserSince ??= now;
      const main = p.err ?? p.out;
      // Which prompt the shell shows: from its memory where it can be read (a prompt that went
      // elsewhere, e.g. after `exec 2>/dev/null`, is still known), else from the last marker.
      const where = h.shellAt(p);
      const continuation = where !== null ? where === 'continuation' : main.lastBody === PS2_BODY;
      const quiet = now - p.parserSince >= TIMING.quietMs && now - h.lastDataAt() >= TIMING.quietMs;
      if (continuation && quiet) {
        h.sigint();
        p.parserSince = undefined;
      } else if (where === 'prompt' && !main.hit && quiet && !p.confirming) {
        // At its prompt, yet no prompt marker came: the shell's stderr no longer reaches the
        // terminal (`exec 2>/dev/null`), as a person would see no prompt. The turn ends here.
        const s = h.readShell();
        if (s) {
          h.finish(s.exit, s.cwd);
          return;
        }
      }
      this.watch(p, TIMING.parserPollMs);
    } else if (w?.kind === 'reader' && w.pid === bashPid && h.replacedShellAtPrompt()) {
      // `exec bash` (or another shell) replaced ours: it waits at its own prompt, in line
      // editing. The turn ends here; the new shell is set up like the first before the next.
      const s = h.readShell();
      p.incident = { code: 'shell-replaced', message: 'the command replaced the shell (exec); the new shell was set up again for the next turn' };
      h.shellReplaced();
      h.finish(s?.exit ?? 0, s?.cwd);
    } else if (w?.kind === 'reader') {
      if (p.readerSince === undefined) {
        p.readerSince = now;
        this.watch(p, TIMING.readerRecheckMs);
        return;
      }
      p.readerSince = undefined;
      const last = p.lastEof;
      const reads = readSyscalls(w.pid);
      if (last && last.pid === w.pid && reads !== null && reads <= last.syscr && now - last.at < TIMING.eofInFlightMs) {
        // The previous ^D is still on its way to this reader (a poll-only reader that never
        // reads it is given up on; a ^D left over then meets ignoreeof at the prompt).
        this.watch(p, TIMING.afterEofPollMs);
        return;
      }
      const fg = procStat(w.pid)?.pgrp ?? -1;
      const n = (p.eofs.get(fg) ?? 0) + 1;
      p.eofs.set(fg, n);
      if (n <= LIMITS.eofsPerReader) {
        p.lastEof = reads === null ? undefined : { pid: w.pid, syscr: reads, at: now };
        h.typeEof();
      } else h.killForeground(fg);
      this.watch(p, TIMING.afterEofPollMs);
    } else {
      this.watch(p, Math.min(delay * 2, TIMING.idlePollMaxMs));
    }
  }
}
