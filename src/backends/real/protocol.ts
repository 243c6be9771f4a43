/**
 * The recorder's side of the turn protocol, as text: the line that sets a shell up, the markers
 * its prompts print, how their bodies read, what bash prints for a stray ^D, and which commands
 * can be typed at all. When a marker really ends a turn is decided in confirm.ts.
 */
import { createHash } from 'node:crypto';
import type { Mode } from '../../core/terminal.js';
import { TwError } from '../../core/errors.js';

/** Body of the PS2 marker (waiting for the rest of an incomplete command; never final). */
export const PS2_BODY = 'c';

/** What bash (ignoreeof) prints for a ^D at its prompt, before the prompt again. */
export const EOF_MSG = Buffer.from('Use "exit" to leave the shell.\n');
export const EOF_MSG_PTY = Buffer.from('Use "exit" to leave the shell.\r\n');

/** Control characters the terminal's line discipline would act on instead of passing through. */
const FORBIDDEN = /[\x00-\x08\x0b-\x1f\x7f]/;

export function validateCommand(cmd: string): void {
  if (cmd.includes('\0')) throw new TwError('the command contains a NUL byte', "remove it; to produce NUL bytes use printf '\\0' inside the command");
  if (cmd.trim() === '') throw new TwError('empty command', 'pass a non-empty shell command');
  const bad = FORBIDDEN.exec(cmd);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new TwError(
      `the command contains the control character 0x${code}, which a terminal would interpret (e.g. ^C, ^D, CR)`,
      `write it as $'\\x${code}' inside the command instead`,
    );
  }
  for (const line of cmd.split('\n')) {
    if (Buffer.byteLength(line) > 4000) {
      throw new TwError(
        'a line of the command is longer than 4000 bytes (a terminal line holds at most 4095)',
        'split it over several lines, or write the data to a file in a setup command',
      );
    }
  }
}

/** PS1's marker body: `\#:$?` (the recorder reads exit and cwd from the shell; the exit here is
 *  the fallback for shells whose memory cannot be read; no $PWD, whose bytes could hold \x1f). */
export const BODY = /^(\d+):(-?\d+)$/;

export function promptNum(body: string | undefined): number | null {
  const m = body === undefined ? null : /^(\d+):/.exec(body);
  return m ? Number(m[1]) : null;
}

/** Every PS1 marker may end the turn (confirm() decides); PS2's never does. */
export function isFinalPrompt(body: string): boolean {
  return body !== PS2_BODY;
}

/** Drop everything up to the end of the last complete marker: prompts in the bytes that came
 *  between turns are stray (a ^D or ^C that reached the prompt), never this turn's end. */
export function dropStrayPrompts(b: Buffer, prefix: Buffer): Buffer {
  const i = b.lastIndexOf(prefix);
  if (i < 0) return b;
  const end = b.indexOf(0x1f, i + prefix.length);
  return end < 0 ? b.subarray(i) : b.subarray(end + 1);
}

/** A session's markers, from its seed: PS1 and PS2 as the shell stores them (compared with its
 *  current prompt string), and the bytes each stream's markers start with. */
export interface Markers {
  nonce: string;
  ps1: string;
  ps2: string;
  /** The terminal's (pty mode) or stderr's (pipe mode) markers: the prompts. */
  prefixErr: Buffer;
  /** stdout's marker in pipe mode (PROMPT_COMMAND's). */
  prefixOut: Buffer;
}

export function markers(seed: number): Markers {
  const nonce = createHash('sha256').update(`terminalworld:${seed}`).digest('hex').slice(0, 12);
  return {
    nonce,
    ps1: `\\036tw${nonce}:\\#:$?\\037`,
    ps2: `\\036tw${nonce}:${PS2_BODY}\\037`,
    prefixErr: Buffer.from(`\x1etw${nonce}:`),
    prefixOut: Buffer.from(`\x1etw${nonce}`),
  };
}

/**
 * The line that sets a fresh shell up for recording (typed first, and again after a command
 * replaced the shell). The prompt's marker carries the command number (\#) and $?, but
 * the recorder takes a turn's end, exit status and cwd from the shell itself (confirm.ts), so a
 * command that prints a look-alike cannot end its turn or change what is recorded. Pipe mode:
 * PROMPT_COMMAND marks the end of stdout (and whether typed input is still pending: `read -t 0`
 * reads nothing). PS2 prints its own marker, so the shell itself says when it waits for the
 * rest of a command (the only case that gets SIGINT). ignoreeof: a stray ^D at the prompt must
 * never end the session (the message and extra prompt it causes are dropped between turns).
 * `set +o emacs`: no line editing (readline would echo what is typed), as --noediting would,
 * without flags on the shell's command line (PID 1's, which `ps` and /proc/1/cmdline show).
 * readonly: a command that sets PS1 would otherwise hide the marker.
 */
export function initLine(m: Markers, mode: Mode, deterministic: boolean, seed: number): string {
  const more = 'read -t 0 && __tw_more=1 || __tw_more=0';
  const pc = `${more}; printf "\\036tw${m.nonce}:%s\\037" $__tw_more`;
  const parts = ['set +o emacs', 'stty -echo', `PS2='${m.ps2}'`, `PS1='${m.ps1}'`, ...(mode === 'pipe' ? [`PROMPT_COMMAND='${pc}'`] : []), 'set -o ignoreeof'];
  parts.push(mode === 'pipe' ? 'readonly PS1 PS2 PROMPT_COMMAND' : 'readonly PS1 PS2');
  parts.push('umask 022');
  if (deterministic) parts.push(`RANDOM=${seed >>> 0}`);
  parts.push('history -c');
  return parts.join('; ');
}
