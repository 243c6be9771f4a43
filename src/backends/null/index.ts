/** The null backend: every command prints nothing and exits 0; cwd never changes.
 *  It is the floor of every fidelity score (Terminal-Bench's "null agent", for terminals). */
import type { Backend, SessionSpec, Terminal, TerminalInfo, Turn } from '../../core/terminal.js';

// Its output is always empty, so RunOptions.onOutput is never called (see deliverWhole).

class NullTerminal implements Terminal {
  readonly info: TerminalInfo;
  readonly dead = false;
  constructor(spec: SessionSpec) {
    this.info = { backend: 'null', mode: spec.mode ?? 'pty' };
  }
  async run(cmd: string): Promise<Turn> {
    return { cmd, output: Buffer.alloc(0), exit: 0, cwd: '/root', ms: 0, timedOut: false, truncated: false };
  }
  async close(): Promise<void> {}
}

export const nullBackend: Backend = {
  name: 'null',
  description: 'empty output, exit 0',
  start: async (spec) => new NullTerminal(spec),
};
