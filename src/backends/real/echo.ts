/**
 * Echo repair. The session's terminal has tty echo off, so what is typed never shows; a command
 * that turns echo back on (`stty echo`, `stty sane`, `reset`) makes the next typed line come back
 * first. That line is not output: the turn drops it, and echo is turned off again (a hidden
 * command, also taken out of the history) before the next turn.
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { TIMING } from './timing.js';

/** Typed (hidden) before the next turn once a turn came back with its command line echoed. */
export const ECHO_OFF_COMMAND = 'stty -echo; history -d -1';

/**
 * A pty-mode turn's output without its echoed command line, or null when it does not start with
 * that line or the terminal does not echo (a command may print its own command line itself).
 */
export function withoutEcho(output: Buffer, cmd: string, bashPid: number): Buffer | null {
  const echo = Buffer.from(cmd.replace(/\n/g, '\r\n') + '\r\n');
  if (!output.subarray(0, echo.length).equals(echo) || !ttyEchoes(bashPid)) return null;
  return output.subarray(echo.length);
}

/** Whether the terminal echoes what is typed (asked with stty on the host; only called when a
 *  turn's output starts with its own command line, which a command may also print itself). */
function ttyEchoes(bashPid: number): boolean {
  try {
    const tty = readlinkSync(`/proc/${bashPid}/fd/0`);
    const flags = execFileSync('stty', ['-F', tty, '-a'], { encoding: 'utf8', timeout: TIMING.sttyTimeoutMs });
    return /(^|\s)echo(\s|$)/.test(flags);
  } catch {
    return true;
  }
}
