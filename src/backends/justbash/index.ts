/**
 * The just-bash backend: Vercel's TypeScript bash simulator (npm just-bash) behind the Terminal
 * contract, with cwd, variables (exported or not), functions, aliases, options and $? carried from one
 * command to the next as a terminal does (see state.ts for how, docs/probes.md for what cannot be).
 *
 * Output follows the Mode semantics of src/core/terminal.ts as far as just-bash allows: `pipe` keeps
 * stdout and stderr apart; `pty` merges them (stdout first, then stderr: just-bash does not keep their
 * interleaving) and turns every "\n" into "\r\n", as the real pty's line discipline (onlcr) does.
 */
import { Bash, defineCommand, stdoutAsBytes } from 'just-bash';
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_MS,
  deliverWhole,
  type Backend,
  type Mode,
  type RunOptions,
  type SessionSpec,
  type Terminal,
  type TerminalInfo,
  type Turn,
} from '../../core/terminal.js';
import { SANDBOX_PATH } from '../../sandbox/launch.js';
import { SANDBOX_HOSTNAME } from '../../sandbox/rootfs.js';
import { functionDefs, initialState, parseDump, prelude, type ShellState, sourcedFiles, STATE_COMMAND, TRAILER } from './state.js';

/** The sandbox's fixed identity (the real backend's cleared environment), so both start alike. */
export const HOME = '/root';
const ENV: Record<string, string> = {
  HOME,
  HOSTNAME: SANDBOX_HOSTNAME,
  PATH: SANDBOX_PATH,
  LANG: 'C.UTF-8',
  TERM: 'xterm',
  PAGER: 'cat',
  SHLVL: '1',
};
const DIRS = ['/tmp', '/root', '/home', '/etc', '/var/tmp', '/usr/local/bin'];

/** The pty line discipline's onlcr: every "\n" becomes "\r\n" (so "\r\n" becomes "\r\r\n", as on the real pty). */
function toCrlf(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
}

class JustBashTerminal implements Terminal {
  readonly info: TerminalInfo;
  readonly dead = false;
  private state: ShellState = initialState(HOME);
  private dump: { text: string; status: number } | undefined;
  private readonly bash: Bash;
  private readonly mode: Mode;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(spec: SessionSpec) {
    this.mode = spec.mode ?? 'pty';
    this.timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBytes = spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const env: Record<string, string> = { ...ENV, COLUMNS: String(spec.cols ?? 80), LINES: String(spec.rows ?? 24) };
    const stateCmd = defineCommand(STATE_COMMAND, async (args, ctx) => {
      const status = Number(args[0] ?? 0);
      this.dump = { text: String(ctx.stdin), status };
      return { stdout: '', stderr: '', exitCode: status };
    });
    this.bash = new Bash({
      cwd: HOME,
      env,
      files: Object.fromEntries(DIRS.map((d) => [`${d}/.keep`, ''])),
      customCommands: [stateCmd],
      processInfo: { uid: 0, gid: 0 },
      // just-bash's optional CPython (Emscripten) runtime: the sandbox has python3, so it is on unless
      // options.python is false (each python3 call costs ~1-2 s of CPU).
      python: spec.options?.python !== false,
    });
    this.info = { backend: 'justbash', mode: this.mode, version: '3.4.2' };
  }

  async init(): Promise<void> {
    // Directories exist only through their placeholder files; remove those.
    await this.bash.exec(DIRS.map((d) => `rm -f ${d}/.keep`).join('; '));
  }

  async run(cmd: string, opts: RunOptions = {}): Promise<Turn> {
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let defs: Map<string, string> | undefined;
    try {
      defs = functionDefs(cmd);
    } catch {
      defs = undefined; // a syntax error: run the command alone so just-bash reports it; state is unchanged
    }
    const script = defs ? `${prelude(this.state)}\n${cmd}\n${TRAILER}` : cmd;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    this.dump = undefined;
    const r = await this.bash.exec(script, { cwd: this.state.cwd, signal: ac.signal, rawScript: true }).finally(() => clearTimeout(timer));
    const timedOut = ac.signal.aborted;
    const dump = this.takeDump();
    const cwd = r.env.PWD ?? this.state.cwd;
    // a command stopped by its timeout leaves the session where it was (just-bash's result then
    // carries the environment it started from, not the session's cwd and variables)
    if (!defs || (timedOut && !dump)) this.state = { ...this.state, status: r.exitCode };
    else if (dump) {
      const known = new Map([...this.state.functions, ...defs, ...(await this.sourcedDefs(cmd, [cwd, this.state.cwd]))]);
      this.state = parseDump(dump.text, cwd, dump.status, known);
    } else this.state = { ...this.state, cwd, status: r.exitCode }; // exit / set -e ended the script early

    const stdout = Buffer.from(String(stdoutAsBytes(r)), 'latin1');
    const stderr = Buffer.from(r.stderr, 'utf8');
    let output = this.mode === 'pty' ? toCrlf(Buffer.concat([stdout, stderr])) : stdout;
    const truncated = output.length > this.maxBytes;
    if (truncated) output = output.subarray(0, this.maxBytes);
    const turn: Turn = { cmd, output, exit: r.exitCode, cwd: this.state.cwd, ms: performance.now() - t0, timedOut, truncated };
    if (this.mode === 'pipe') turn.stderr = stderr;
    return deliverWhole(opts, turn);
  }

  /** Functions defined in files the command sourced (read back from just-bash's filesystem). */
  private async sourcedDefs(cmd: string, dirs: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of sourcedFiles(cmd)) {
      // a relative path: the command may have changed directory before sourcing; try after, then before
      for (const file of f.startsWith('/') ? [f] : dirs.map((d) => `${d}/${f}`)) {
        try {
          for (const [k, v] of functionDefs(await this.bash.readFile(file))) out.set(k, v);
          break;
        } catch {
          // not there, or unparsable: try the next; if none works its functions cannot be carried
        }
      }
    }
    return out;
  }

  /** The trailer's dump of the last exec (undefined when the script ended before the trailer). */
  private takeDump(): { text: string; status: number } | undefined {
    const d = this.dump;
    this.dump = undefined;
    return d;
  }

  async close(): Promise<void> {}
}

export const justbashBackend: Backend = {
  name: 'justbash',
  description: 'just-bash 3.4.2 (TypeScript bash simulator), with terminal state carried across commands',
  start: async (spec) => {
    const t = new JustBashTerminal(spec);
    await t.init();
    for (const cmd of spec.setup ?? []) await t.run(cmd);
    return t;
  },
};
