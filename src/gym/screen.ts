/**
 * The screen a Terminus-2 agent reads: what a 160x40 terminal shows after the session's prompts,
 * echoed commands and outputs, rendered by a real terminal emulator (@xterm/headless), so that
 * carriage returns, cursor moves, clears and long lines look as they would in tmux.
 */
import xterm from '@xterm/headless';

export const SCREEN_COLS = 160;
export const SCREEN_ROWS = 40;
/** The host name a sandbox session shows (docs/sandbox.md: what a session sees). */
export const PROMPT_HOST = '4b1c0e7d2a9f';

/** Debian's default root prompt for a cwd: `root@host:~# `. */
export function promptFor(cwd: string): string {
  const shown = cwd === '/root' ? '~' : cwd.startsWith('/root/') ? `~${cwd.slice(5)}` : cwd;
  return `root@${PROMPT_HOST}:${shown}# `;
}

export class Screen {
  private readonly term: InstanceType<typeof xterm.Terminal>;
  private disposed = false;

  constructor(
    readonly cols = SCREEN_COLS,
    readonly rows = SCREEN_ROWS,
  ) {
    this.term = new xterm.Terminal({ cols, rows, scrollback: 0, allowProposedApi: true, convertEol: false });
  }

  private pending: Buffer[] = [];

  /** Queue bytes as the terminal would receive them (parsed at the next render, in one write:
   *  each xterm write costs a timer tick). */
  feed(data: string | Uint8Array): void {
    if (this.disposed || data.length === 0) return;
    this.pending.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
  }

  /** Feed and parse now. */
  async write(data: string | Uint8Array): Promise<void> {
    this.feed(data);
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.disposed || this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    await new Promise<void>((resolve) => this.term.write(data, resolve));
  }

  /** The visible screen after everything fed so far. */
  async render(): Promise<string> {
    await this.flush();
    return this.text();
  }

  /** The visible screen as last parsed, trailing blanks of each line and trailing empty lines removed. */
  text(): string {
    const b = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < this.rows; i++) lines.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n');
  }

  /** Clear the screen and put the cursor home (as `clear` / C-l would). */
  clear(): void {
    this.feed('\x1b[H\x1b[2J');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.term.dispose();
  }
}

/** Terminus-2's observation text. */
export function terminusText(screen: string): string {
  return `New Terminal Output:\n\n${screen}`;
}
