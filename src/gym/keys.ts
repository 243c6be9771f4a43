/**
 * Terminus-2 keystrokes with tmux-like semantics: text accumulates on the command line; each
 * complete command (a line, or several when a heredoc, a trailing backslash or an open quote
 * continues it) runs when its newline arrives; what follows the last newline stays pending.
 */

/** Heredoc delimiters opened on a line: `<<EOF`, `<<-'EOF'`, `<< "EOF"` (not `<<<`). */
function heredocsOpened(line: string): string[] {
  const out: string[] = [];
  const re = /<<(?!<)-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[2] as string);
  return out;
}

/** Quote state after a line, starting from `q` (null: outside quotes). */
function quoteAfter(line: string, q: "'" | '"' | null): "'" | '"' | null {
  let cur = q;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (cur === "'") {
      if (c === "'") cur = null;
    } else if (cur === '"') {
      if (c === '\\') i++;
      else if (c === '"') cur = null;
    } else if (c === '\\') i++;
    else if (c === "'" || c === '"') cur = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) break; // a comment ends the line
  }
  return cur;
}

/** Split typed text into complete commands and the pending rest. */
export function takeCommands(typed: string): { commands: string[]; rest: string } {
  const text = typed.replace(/\r\n?/g, '\n');
  const last = text.lastIndexOf('\n');
  if (last < 0) return { commands: [], rest: text };
  const lines = text.slice(0, last).split('\n');
  let rest = text.slice(last + 1);
  const commands: string[] = [];
  let cur: string[] = [];
  let heredocs: string[] = [];
  let quote: "'" | '"' | null = null;
  for (const line of lines) {
    cur.push(line);
    if (heredocs.length > 0) {
      const delim = heredocs[0] as string;
      if (line.replace(/^\t+/, '') === delim) heredocs.shift();
    } else {
      quote = quoteAfter(line, quote);
      if (quote === null) heredocs = heredocsOpened(line);
    }
    const continues = heredocs.length > 0 || quote !== null || (/(^|[^\\])(\\\\)*\\$/.test(line) && quote === null);
    if (!continues) {
      const cmd = cur.join('\n');
      if (cmd.trim() !== '') commands.push(cmd);
      cur = [];
    }
  }
  // An unfinished multi-line command stays pending with the rest.
  if (cur.length > 0) rest = `${cur.join('\n')}\n${rest}`;
  return { commands, rest };
}
