/**
 * The prompt-marker protocol's decision: a marker only proposes an end of turn. The turn ends when
 * the shell itself waits at its prompt, seen in /proc (blocked in its parser's read of the
 * terminal, no foreground job) and in its memory (PS1 is the prompt it shows), and no later marker
 * came; exit status and cwd are then read from its memory (shellmem.ts). A marker that was not the
 * last is an intermediate prompt of a multi-line command (cut) or bytes a command printed (kept
 * as output, exactly). Timings: timing.ts.
 */
import type { Markers } from './protocol.js';
import { promptNum } from './protocol.js';
import type { Pending } from './pending.js';
import { procStat, procSyscall } from './proc.js';
import type { ShellMemory, ShellState } from './shellmem.js';
import { TIMING } from './timing.js';

/** Where the shell is: at its prompt (PS1), at the continuation prompt (PS2), at a prompt that is
 *  not ours (the shell was replaced), or busy. */
export type ShellPlace = 'prompt' | 'continuation' | 'foreign' | 'busy';

/** Where the shell is, from /proc and its memory, and what was read of its memory (null: it could
 *  not be, or the check did not get that far). */
export function shellAt(bashPid: number, mem: ShellMemory | null, m: Markers): { at: ShellPlace; state: ShellState | null } {
  // The shell itself is the terminal's foreground group and sleeps in its parser's 1 KiB read
  // of stdin (the terminal); three small /proc reads, then its memory.
  const st = procStat(bashPid);
  if (st?.state !== 'S' || st.tpgid !== st.pgrp) return { at: 'busy', state: null };
  const sc = procSyscall(bashPid);
  if (sc?.[0] !== 0n || sc[1] !== 0n || sc[3] !== 0x400n) return { at: 'busy', state: null };
  const s = mem?.read();
  if (!s) return { at: 'busy', state: null };
  const prompt = s.prompt.toString('latin1');
  return { at: prompt === m.ps1 ? 'prompt' : prompt === m.ps2 ? 'continuation' : 'foreign', state: s };
}

/** What confirm() needs of the session. */
export interface ConfirmHost {
  isPending(p: Pending): boolean;
  shellAt(): { at: ShellPlace; state: ShellState | null };
  /** The shell's memory read now (null: unreadable). */
  readShell(): ShellState | null;
  /** Look at the collected output again (a marker was cut or put back). */
  maybeFinish(): void;
  finish(exit: number, cwd?: string | Buffer): void;
  markDead(reason: string): void;
}

/**
 * A prompt marker arrived: it ends the turn only if the shell itself is waiting at its prompt
 * (blocked reading the terminal, no foreground job, PS1 its current prompt) and no later marker
 * came. Exit status and cwd are then read from the shell's memory. A marker that was not the
 * last is an intermediate prompt of a multi-line command (cut, if its \# is the next one and the
 * command has lines left) or bytes a command printed (kept as output, exactly).
 */
export function confirm(p: Pending, host: ConfirmHost): void {
  if (p.confirming) return;
  const main = p.err ?? p.out;
  // Checks are cheap (a few /proc reads): the first ones run on the next pass of the event loop,
  // since bash blocks in its read a few microseconds after it printed the prompt.
  const later = (fn: () => void, ms: number): void => {
    const run = (): void => {
      p.confirming = null;
      if (host.isPending(p)) fn();
    };
    if (ms === 0) {
      const h = setImmediate(run);
      p.confirming = () => clearImmediate(h);
    } else {
      const h = setTimeout(run, ms);
      p.confirming = () => clearTimeout(h);
    }
  };
  const hit = main.hit;
  if (!hit) return;
  if (main.leftoverHasMarker()) {
    const num = promptNum(hit.body);
    const cut = p.maxCuts > 0 && num === p.expectNum;
    if (cut) {
      p.expectNum++;
      p.maxCuts--;
    }
    main.reopen(cut);
    host.maybeFinish();
    return;
  }
  const { at: where, state: seen } = host.shellAt();
  if (where === 'busy' || where === 'continuation') {
    p.checks++;
    later(() => confirm(p, host), where === 'continuation' ? TIMING.continuationRecheckMs : p.checks < TIMING.busyImmediateChecks ? 0 : TIMING.busyRecheckMs);
    return;
  }
  // The shell wrote its prompt before it blocked: two passes of the event loop (the second after
  // a poll phase) read anything still in the terminal, a later marker included.
  later(
    () =>
      later(() => {
        if (main.hit !== hit) return;
        if (main.leftoverHasMarker()) {
          confirm(p, host);
          return;
        }
        // Blocked at its prompt, the shell cannot have changed since `seen` was read.
        const s = seen ?? host.readShell();
        if (!s) {
          later(() => confirm(p, host), TIMING.busyRecheckMs);
          return;
        }
        // Pipe mode: PROMPT_COMMAND wrote the real end-of-stdout marker just before the prompt,
        // so it is the last one; any earlier one was printed by the command (kept as output).
        if (p.err) while (p.out.hit && p.out.leftoverHasMarker()) p.out.reopen(false);
        if (where === 'foreign') host.markDead("the shell was replaced (exec): its prompt is not the recorder's, so later turns cannot be recorded");
        host.finish(s.exit, s.cwd);
      }, 0),
    0,
  );
}
