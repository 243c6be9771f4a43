/**
 * The recorder's side of the turn protocol, as text: the markers the shell's prompts print, how
 * their bodies read, what bash prints for a stray ^D, and which commands can be typed at all.
 * The session (session.ts) decides when a marker really ends a turn.
 */
import { TwError } from '../../core/errors.js';

/** Body of the PS2 marker (waiting for the rest of an incomplete command; never final). */
export const PS2_BODY = 'c';

/** What bash (ignoreeof) prints for a ^D at its prompt, before the prompt again. */
export const EOF_MSG = Buffer.from('Use "exit" to leave the shell.\n');
export const EOF_MSG_PTY = Buffer.from('Use "exit" to leave the shell.\r\n');

/** Control characters the terminal's line discipline would act on instead of passing through. */
const FORBIDDEN = /[\x00-\x08\x0b-\x1f\x7f]/;

export function validateCommand(cmd: string): void {
  if (cmd.includes('\0')) throw new TwError('the command contains a NUL byte', 'remove it; to produce NUL bytes use printf \'\\0\' inside the command');
  if (cmd.trim() === '') throw new TwError('empty command', 'pass a non-empty shell command');
  const bad = FORBIDDEN.exec(cmd);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new TwError(`the command contains the control character 0x${code}, which a terminal would interpret (e.g. ^C, ^D, CR)`, `write it as $'\\x${code}' inside the command instead`);
  }
  for (const line of cmd.split('\n')) {
    if (Buffer.byteLength(line) > 4000) {
      throw new TwError('a line of the command is longer than 4000 bytes (a terminal line holds at most 4095)', 'split it over several lines, or write the data to a file in a setup command');
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
