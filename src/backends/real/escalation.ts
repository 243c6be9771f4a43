/**
 * Timeout escalation: what the session does to a command that runs too long or writes without
 * end. ^C first (SIGINT to the terminal's foreground group, so `stty -isig` or raw mode cannot stop
 * it), then SIGKILL of every process below the shell, then the session is given up. A runaway
 * writer (`yes`) in the foreground is interrupted the same way; one in the background is left to
 * the output cap. Timings: timing.ts.
 */
import type { Pending } from './pending.js';
import { descendants, procStat, writtenBytes } from './proc.js';
import { LIMITS, TIMING } from './timing.js';

/** What the escalation needs of the session. */
export interface EscalationHost {
  /** Whether `p` is still the turn in flight (timers check it before they act). */
  isPending(p: Pending): boolean;
  bashPid(): number;
  sigint(): void;
  /** The shell did not come back: mark the session dead, resolve the turn (exit -1), kill it. */
  giveUp(reason: string): void;
}

/** ^C, then SIGKILL every process below the shell, then give the session up. */
export function interrupt(p: Pending, isTimeout: boolean, host: EscalationHost): void {
  p.timedOut = p.timedOut || isTimeout;
  if (p.interrupted) return;
  p.interrupted = true;
  host.sigint();
  p.timers.push(
    setTimeout(() => {
      if (!host.isPending(p)) return;
      killChildren(host.bashPid());
      p.timers.push(
        setTimeout(() => {
          if (!host.isPending(p)) return;
          host.giveUp('the shell did not come back after ^C and killing its children (a builtin loop that ignores SIGINT?)');
        }, TIMING.giveUpAfterMs),
      );
    }, TIMING.killChildrenAfterMs),
  );
}

/**
 * Far more output than the cap: a runaway writer (`yes`). If it is the foreground job, interrupt
 * it like a timeout; if only a background job floods the terminal, leave the foreground alone
 * (its exit status is its own) and keep dropping what is beyond the cap. The writers are the
 * processes whose written-byte count runs ahead over TIMING.runawaySampleMs.
 */
export function onRunaway(p: Pending, host: EscalationHost): void {
  p.runaway = true;
  const bashPid = host.bashPid();
  const procs = [bashPid, ...descendants(bashPid)];
  const before = new Map(procs.map((pid) => [pid, writtenBytes(pid) ?? 0]));
  p.timers.push(
    setTimeout(() => {
      if (!host.isPending(p)) return;
      const fg = procStat(bashPid)?.tpgid;
      const writers = procs.filter((pid) => (writtenBytes(pid) ?? 0) - (before.get(pid) ?? 0) > LIMITS.runawayWriterBytes);
      if (writers.length === 0) {
        p.runaway = false; // nobody seen writing (a loaded machine): look again at the next chunk
        return;
      }
      if (writers.some((pid) => procStat(pid)?.pgrp === fg)) interrupt(p, false, host);
    }, TIMING.runawaySampleMs),
  );
}

/** What ^C does, sent as a signal so that `stty -isig` (or raw mode) cannot stop it: SIGINT to
 *  the terminal's foreground process group (the shell itself at its prompt); where that group is
 *  not known, ^C typed into the terminal. */
export function sigint(bashPid: number, typeCtrlC: () => void): void {
  const fg = bashPid > 0 ? procStat(bashPid)?.tpgid : undefined;
  try {
    if (fg === undefined || fg <= 0) throw new Error('no foreground group');
    process.kill(-fg, 'SIGINT');
  } catch {
    typeCtrlC();
  }
}

/** SIGKILL every process of the sandbox except the shell and bwrap's init (orphans are
 *  reparented to that init, so walk from it). */
export function killChildren(bashPid: number): void {
  if (bashPid < 0) return;
  const init = procStat(bashPid)?.ppid ?? bashPid;
  // Stop first (a stopped process cannot fork), then kill; repeat until none is left.
  for (let pass = 0; pass < 200; pass++) {
    const victims = descendants(init).filter((p) => p !== bashPid);
    if (victims.length === 0) return;
    for (const sig of ['SIGSTOP', 'SIGKILL'] as const) {
      for (const pid of victims) {
        try {
          process.kill(pid, sig);
        } catch {
          /* already gone */
        }
      }
    }
  }
}

/** SIGKILL the processes below the shell in process group `pgrp` (a reader that ignored ^D). */
export function killForeground(bashPid: number, pgrp: number): void {
  for (const pid of descendants(bashPid)) {
    if (procStat(pid)?.pgrp !== pgrp) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
