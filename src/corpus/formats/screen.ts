import { oob } from '../../core/errors.js';
/**
 * Split a terminal screen (Terminus-2 `New Terminal Output:` text) into per-command turns by
 * finding prompts (`root@host:/app# `) and the echoed keystrokes after them.
 *
 *   root@h:/app# ls            <- prompt + echo of keystroke 1
 *   a.txt  b.txt               <- output of 1
 *   root@h:/app# cat > x <<EOF <- prompt + echo of keystroke 2 (multi-line)
 *   > hello                    <- continuation lines ("> ") of 2
 *   > EOF
 *   root@h:/app#               <- the ready prompt: cwd after 2
 *
 * A turn is `uncertain` when the split was a guess: the echo matched no keystroke, no prompt
 * followed (output may be cut or still coming), control keys interrupted it (^C in the output), or the screen was
 * truncated ("output limited").
 */
export interface ScreenTurn {
  cmd: string;
  output: string;
  cwd: string | null;
  uncertain: boolean;
  reasons: string[];
}

export interface ScreenSplit {
  turns: ScreenTurn[];
  /** Text before the first prompt: late output of an earlier command. */
  leading: string;
  /** cwd shown by the last prompt on the screen. */
  lastCwd: string | null;
}

const PROMPT_RE = /^(?:\([^)]*\) )*([A-Za-z0-9_.-]+)@([A-Za-z0-9_.-]+):([^\s#$]*)([#$])(?: (.*))?$/;
const CONTROL_RE = /^(C-[a-z]|M-[a-z]|Enter|Escape|Tab|Up|Down|Left|Right|BSpace|\^[A-Z])$/;

export function promptCwd(user: string, path: string): string {
  const home = user === 'root' ? '/root' : `/home/${user}`;
  return path === '~' ? home : path.startsWith('~/') ? home + path.slice(1) : path;
}

export function parsePrompt(line: string): { cwd: string; echo: string } | null {
  const m = PROMPT_RE.exec(line);
  if (!m) return null;
  return { cwd: promptCwd(m[1] ?? 'root', m[3] ?? '/'), echo: m[5] ?? '' };
}

/** Match one logical line that tmux may have hard-wrapped over several screen lines (it breaks
 *  at the pane width, even mid-word, without a `> ` on the wrapped parts). Returns the index
 *  after the last screen line used, or -1. Trailing blanks do not count. */
export function consumeWrapped(want: string, screen: readonly string[], at: number): number {
  let shown = screen[at];
  if (shown === undefined) return -1;
  let j = at + 1;
  const goal = want.trimEnd();
  while (shown.trimEnd() !== goal && j < screen.length && goal.startsWith(shown + (screen[j] ?? ''))) shown += screen[j++];
  return shown.trimEnd() === goal ? j : -1;
}

interface Key {
  lines: string[];
  used: boolean;
}

export function splitScreen(screen: string, keystrokes: readonly string[]): ScreenSplit {
  const lines = screen.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const control = keystrokes.some((k) => CONTROL_RE.test(k.trim()));
  const keys: Key[] = keystrokes
    .filter((k) => k.endsWith('\n') && k.trim() !== '' && !CONTROL_RE.test(k.trim()))
    .map((k) => ({ lines: k.replace(/\n+$/, '').split('\n'), used: false }));
  const limited = /output limited|bytes omitted|\[\.\.\.\]/i.test(screen);

  const prompts: number[] = [];
  lines.forEach((l, i) => {
    if (parsePrompt(l)) prompts.push(i);
  });
  // Screen diffs can start with the echo itself (no prompt): treat a first line equal to the
  // first keystroke as a prompt-less echo.
  let firstEcho: number | null = null;
  const first = keys[0]?.lines[0];
  if ((prompts[0] ?? lines.length) > 0 && first !== undefined && lines[0]?.trimEnd() === first.trimEnd()) firstEcho = 0;
  const starts = firstEcho === 0 ? [0, ...prompts] : prompts;
  const leadingEnd = starts[0] ?? lines.length;
  const leading = lines.slice(0, leadingEnd).join('\n');

  const turns: ScreenTurn[] = [];
  let lastCwd: string | null = null;
  for (let k = 0; k < starts.length; k++) {
    const at = starts[k] ?? oob();
    const p = firstEcho === 0 && k === 0 ? { cwd: null, echo: lines[0] ?? '' } : parsePrompt(lines[at] ?? '');
    if (!p) continue;
    if (p.cwd !== null) lastCwd = p.cwd;
    const end = starts[k + 1] ?? lines.length;
    const body = lines.slice(at + 1, end);
    if (p.echo.trim() === '') {
      if (body.some((l) => l.trim() !== '') && turns.length > 0) {
        const prev = turns[turns.length - 1] as ScreenTurn;
        prev.uncertain = true;
        prev.reasons.push('output after an empty prompt');
      }
      continue;
    }
    const reasons: string[] = [];
    // match the echo against the next unused keystroke whose first line it is (or, wrapped, begins)
    const key =
      keys.find((x) => !x.used && (x.lines[0] === p.echo || x.lines[0]?.trimEnd() === p.echo.trimEnd())) ??
      keys.find((x) => !x.used && p.echo.length >= 20 && (x.lines[0] ?? '').startsWith(p.echo));
    let cmd = p.echo;
    let consumed = 0;
    if (key) {
      const skipped = keys.slice(0, keys.indexOf(key)).filter((x) => !x.used);
      if (skipped.length) reasons.push('keystrokes with no echo on screen');
      for (const s of skipped) s.used = true;
      key.used = true;
      cmd = key.lines.join('\n');
      // the first line continues the prompt line; wrapped parts follow on the next screen lines
      const first = consumeWrapped(key.lines[0] ?? '', [p.echo, ...body], 0);
      if (first < 0) reasons.push('wrapped echo did not match');
      else consumed = first - 1;
      for (const cont of key.lines.slice(1)) {
        const next = consumeWrapped(`> ${cont}`, body, consumed);
        if (next < 0) {
          reasons.push('continuation lines did not match');
          break;
        }
        consumed = next;
      }
    } else reasons.push('echo matched no keystroke');
    const out = body.slice(consumed);
    const next = starts[k + 1];
    const nextPrompt = next !== undefined ? parsePrompt(lines[next] ?? '') : null;
    if (!nextPrompt) reasons.push('no prompt after the output');
    if (limited && out.join('\n').match(/output limited|bytes omitted|\[\.\.\.\]/i)) reasons.push('screen output limited');
    if (control && out.some((l) => /\^[CDZ]/.test(l))) reasons.push('interrupted by control keys');
    turns.push({ cmd, output: out.length ? out.join('\n') + '\n' : '', cwd: nextPrompt?.cwd ?? null, uncertain: reasons.length > 0, reasons });
  }
  return { turns, leading, lastCwd };
}

/** The screen text of a Terminus observation: after `New Terminal Output:` (a diff) or
 *  `Current Terminal Screen:` (a full redraw); anything before (warnings) is dropped. */
export function screenOf(content: string): { screen: string; redraw: boolean } | null {
  const a = content.indexOf('New Terminal Output:');
  if (a >= 0) return { screen: content.slice(a + 'New Terminal Output:'.length).replace(/^\n/, ''), redraw: false };
  const b = content.indexOf('Current Terminal Screen:');
  if (b >= 0) return { screen: content.slice(b + 'Current Terminal Screen:'.length).replace(/^\n/, ''), redraw: true };
  return null;
}
