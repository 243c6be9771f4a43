/**
 * One sandboxed, persistent, interactive bash (see docs/sandbox.md for the protocol).
 *
 * Commands are typed into a real interactive bash (PID 1 of the sandbox, line editing turned off
 * with `set +o emacs`) on a pseudo-terminal with tty echo off. PS1 prints a marker
 * `\x1e tw<nonce>:<\#>:<$?> \x1f`, but a marker only proposes an end: the turn ends when the shell
 * itself waits at its prompt (/proc: blocked in its parser's read of the terminal, no foreground
 * job; its memory: PS1 is the prompt it shows), and exit status and cwd are read from its memory
 * (shellmem.ts). So a command that prints a look-alike cannot end its turn or change what is
 * recorded; its bytes stay in the output. In pipe mode stdout and stderr go to two FIFOs and
 * PROMPT_COMMAND marks the end of stdout; commands still read the terminal, so stdin readers
 * behave the same in both modes.
 *
 * Stdin readers: when a foreground process blocks reading the terminal, the session does what a
 * person does: it types ^D (EOF). A process that keeps reading after two ^D (raw-mode programs) is
 * killed. An incomplete command (open quote, missing `fi`) leaves the shell at PS2: it gets
 * SIGINT, exit 130. SIGINT is sent as a signal to the terminal's foreground group, so `stty -isig`
 * cannot stop it. What happens to the session itself (it died, its shell was replaced by `exec`,
 * background output between turns was dropped) is reported with the turn as an incident.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { constants, openSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import pty, { type IPty } from '@lydell/node-pty';
import { TwError } from '../../core/errors.js';
import { deliverWhole, type Mode, type RunOptions, type Terminal, type TerminalInfo, type Turn } from '../../core/terminal.js';
import { CLOCK_PATH, SessionClock } from '../../sandbox/clock.js';
import { Collector } from './collector.js';
import { BODY, dropStrayPrompts, EOF_MSG, EOF_MSG_PTY, isFinalPrompt, promptNum, PS2_BODY, validateCommand } from './protocol.js';
import { ShellMemory, type ShellState } from './shellmem.js';
import { StateTracker } from './statetracker.js';
import { descendants, fdRdev, findDescendant, procStat, procSyscall, readSyscalls, ttyWaiter, writtenBytes } from './proc.js';

export interface SessionOptions {
  file: string;
  args: string[];
  env: Record<string, string>;
  mode: Mode;
  fifos: { out: string; err: string } | null;
  cols: number;
  rows: number;
  seed: number;
  /** Determinism mode: seed $RANDOM (the rest is done by the sandbox's environment). */
  deterministic: boolean;
  timeoutMs: number;
  maxOutputBytes: number;
  info: TerminalInfo;
  /** Where the host reaches the session's root directory (its writable overlay), given bwrap's host PID. */
  hostRoot: (bwrapPid: number) => string;
  /** Determinism mode: keep the session clock (src/sandbox/clock.ts) turn by turn. */
  clock: boolean;
  /** Record each turn's change of state (statetracker.ts): the writable layer's host path, given
   *  bwrap's host PID, and the root tree below it; null: off. */
  state: { hostUpper: (bwrapPid: number) => string; lowerDir: string } | null;
  cleanup: () => void;
}

interface Pending {
  cmd: string;
  t0: number;
  out: Collector;
  err: Collector | null;
  hidden: boolean;
  /** The previous turn typed a ^D: a prompt that ends this turn with nothing but bash's
   *  ignoreeof message before it is that ^D arriving late, not this turn's end. */
  strayEof: boolean;
  newCollectors: () => { out: Collector; err: Collector | null };
  timedOut: boolean;
  interrupted: boolean;
  eofs: Map<number, number>;
  /** The reader that got the latest ^D and its completed read count then: no more ^D (or kill)
   *  for it until it has consumed that one (a second ^D queued behind the first would reach
   *  the shell's prompt once the reader exits). */
  lastEof: { pid: number; syscr: number; at: number } | undefined;
  parserSince: number | undefined;
  readerSince: number | undefined;
  resolve: (t: Turn) => void;
  timers: NodeJS.Timeout[];
  watch: NodeJS.Timeout | null;
  /** A prompt marker is being checked against the shell's own state (see confirm()): cancels the
   *  next check. */
  confirming: (() => void) | null;
  /** Checks made of the current marker. */
  checks: number;
  /** \# of the next intermediate prompt of a multi-line command, and how many there can be. */
  expectNum: number;
  maxCuts: number;
  incident: Turn['incident'];
  droppedBefore: number;
  /** Output ran far past the cap (see onRunaway). */
  runaway: boolean;
}

/** Output beyond max(4 x cap, this) means a runaway writer (`yes`): it is interrupted like a timeout. */
const RUNAWAY_BYTES = 4 << 20;

const LIVE = new Set<RealSession>();
process.once('exit', () => {
  for (const s of LIVE) s.killNow();
});

export class RealSession implements Terminal {
  private pty: IPty;
  private socks: net.Socket[] = [];
  private bashPid = -1;
  private ptyRdev = -1;
  private pending: Pending | null = null;
  private nonce: string;
  private prefixErr: Buffer;
  private prefixOut: Buffer;
  private carryOut: Buffer = Buffer.alloc(0);
  private carryErr: Buffer = Buffer.alloc(0);
  private startup: Buffer[] = [];
  private exited: { code: number; signal?: number } | null = null;
  private exitWaiters: (() => void)[] = [];
  private _dead = false;
  private _deadReason: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private clock: SessionClock | null = null;
  private tracker: StateTracker | null = null;
  private mem: ShellMemory | null = null;
  /** PS1 and PS2 as the shell stores them (compared with its current prompt string). */
  private readonly ps1Value: string;
  private readonly ps2Value: string;
  /** \# shown by the latest prompt. */
  private lastPromptNum = 0;
  private userTurns = 0;
  readonly info: TerminalInfo;

  get dead(): boolean {
    return this._dead;
  }
  get deadReason(): string | undefined {
    return this._deadReason;
  }

  constructor(private readonly o: SessionOptions) {
    this.info = o.info;
    const nonce = (this.nonce = createHash('sha256').update(`terminalworld:${o.seed}`).digest('hex').slice(0, 12));
    this.ps1Value = `\\036tw${nonce}:\\#:$?\\037`;
    this.ps2Value = `\\036tw${nonce}:${PS2_BODY}\\037`;
    this.prefixErr = Buffer.from(`\x1etw${nonce}:`);
    this.prefixOut = Buffer.from(`\x1etw${nonce}`);
    this.pty = pty.spawn(o.file, o.args, { name: o.env.TERM ?? 'xterm', cols: o.cols, rows: o.rows, cwd: '/', env: o.env, encoding: null });
    LIVE.add(this);
    this.pty.onData((d: unknown) => this.onStream(o.mode === 'pty' ? 'main' : 'tty', toBuf(d)));
    this.pty.onExit(({ exitCode, signal }) => {
      this.exited = { code: exitCode, ...(signal ? { signal } : {}) };
      LIVE.delete(this);
      if (!this._dead) this.markDead(`the shell exited (status ${exitCode}${signal ? `, signal ${signal}` : ''})`);
      this.finish(exitCode);
      for (const w of this.exitWaiters) w();
    });
    if (o.fifos) {
      for (const [which, path] of [['out', o.fifos.out], ['err', o.fifos.err]] as const) {
        // O_RDWR keeps a writer open so the FIFO never reports EOF before the shell opens it.
        const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
        const sock = new net.Socket({ fd, readable: true, writable: false });
        sock.on('data', (d: Buffer) => this.onStream(which === 'out' ? 'out' : 'main', d));
        sock.on('error', () => undefined);
        this.socks.push(sock);
      }
    }
  }

  /**
   * The line that sets a fresh shell up for recording (typed first, and again after a command
   * replaced the shell). The prompt's marker carries the command number (\#), $? and $PWD, but
   * the recorder takes a turn's end, exit status and cwd from the shell itself (confirm()), so a
   * command that prints a look-alike cannot end its turn or change what is recorded. Pipe mode:
   * PROMPT_COMMAND marks the end of stdout (and whether typed input is still pending: `read -t 0`
   * reads nothing). PS2 prints its own marker, so the shell itself says when it waits for the
   * rest of a command (the only case that gets SIGINT). ignoreeof: a stray ^D at the prompt must
   * never end the session (the message and extra prompt it causes are dropped between turns).
   * `set +o emacs`: no line editing (readline would echo what is typed), as --noediting would,
   * without flags on the shell's command line (PID 1's, which `ps` and /proc/1/cmdline show).
   * readonly: a command that sets PS1 would otherwise hide the marker.
   */
  private initLine(): string {
    const more = 'read -t 0 && __tw_more=1 || __tw_more=0';
    const pc = `${more}; printf "\\036tw${this.nonce}:%s\\037" $__tw_more`;
    const parts = ['set +o emacs', 'stty -echo', `PS2='${this.ps2Value}'`, `PS1='${this.ps1Value}'`, ...(this.o.mode === 'pipe' ? [`PROMPT_COMMAND='${pc}'`] : []), 'set -o ignoreeof'];
    parts.push(this.o.mode === 'pipe' ? 'readonly PS1 PS2 PROMPT_COMMAND' : 'readonly PS1 PS2');
    parts.push('umask 022');
    if (this.o.deterministic) parts.push(`RANDOM=${this.o.seed >>> 0}`);
    parts.push('history -c');
    return parts.join('; ');
  }

  /** Type the init line and wait for the first prompt. */
  async init(startTimeoutMs: number): Promise<void> {
    const turn = await this.runNow(this.initLine(), startTimeoutMs, true);
    if (this.exited || turn.timedOut || this._dead) {
      const text = Buffer.concat(this.startup).toString('utf8').replace(/\x1e[^\x1f]*\x1f/g, '').trim();
      await this.close();
      throw new TwError(
        `the sandbox did not start${text ? `:\n${text.slice(-2000)}` : ''}`,
        'check `npx tw sandbox info`; rebuild the root tree with `npx tw sandbox setup --force` if it is damaged',
      );
    }
    const bash = findDescendant(this.pty.pid, 'bash');
    if (bash === null) throw new TwError('the sandbox started but its shell could not be found in /proc', 'this needs /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN)');
    this.bashPid = bash;
    this.ptyRdev = fdRdev(bash, 0) ?? -1;
    this.mem = ShellMemory.open(bash);
    if (this.o.clock) {
      // Turn 0 starts now; later turns are stamped as they are typed (src/sandbox/clock.ts).
      this.clock = SessionClock.open(this.hostPath(CLOCK_PATH));
      this.clock.stamp();
    }
    if (this.o.state) this.tracker = new StateTracker(this.o.state.hostUpper(this.pty.pid), this.o.state.lowerDir, bash);
  }

  private onStream(which: 'main' | 'out' | 'tty', d: Buffer): void {
    this.lastDataAt = performance.now();
    const p = this.pending;
    if (which === 'tty') {
      if (this.startup.length < 64) this.startup.push(d);
      return;
    }
    if (!p) {
      // Between turns only background jobs write. Keep at most the output cap, count the rest,
      // and stop reading the terminal (the writers then block, as on a terminal nobody reads).
      const room = Math.max(0, this.o.maxOutputBytes - this.carryOut.length - this.carryErr.length);
      const keep = d.length <= room ? d : d.subarray(0, room);
      this.carryDropped += d.length - keep.length;
      if (which === 'out') this.carryOut = Buffer.concat([this.carryOut, keep]);
      else this.carryErr = Buffer.concat([this.carryErr, keep]);
      if (this.carryDropped > 0) this.pty.pause();
      if (this.startup.length < 64) this.startup.push(d);
      return;
    }
    const c = which === 'out' ? p.out : (p.err ?? p.out);
    c.push(d);
    if (this.startup.length < 64 && this.bashPid < 0) this.startup.push(d);
    if (c.total > Math.max(4 * this.o.maxOutputBytes, RUNAWAY_BYTES) && !c.hit && !p.runaway) this.onRunaway(p);
    this.maybeFinish();
  }

  private maybeFinish(): void {
    const p = this.pending;
    if (!p) return;
    const main = p.err ?? p.out;
    if (!main.hit || (p.err && !p.out.hit)) return;
    if (p.strayEof) {
      const msg = this.o.mode === 'pty' ? EOF_MSG_PTY : EOF_MSG;
      if (main.result().output.equals(msg) && p.out.result().output.length === (p.err ? 0 : msg.length)) {
        p.strayEof = false;
        // Start collecting again after the stray prompt.
        const { out, err } = p.newCollectors();
        const lo = p.out.leftover;
        const le = p.err?.leftover;
        p.out = out;
        p.err = err;
        if (lo.length) p.out.push(lo);
        if (p.err && le?.length) p.err.push(le);
        this.maybeFinish();
        return;
      }
    }
    if (this.mem && !p.hidden) {
      this.confirm(p);
      return;
    }
    const m = BODY.exec(main.hit.body);
    this.finish(m ? Number(m[2]) : -1);
  }

  /** Where the shell is, from /proc and its memory: at its prompt (PS1), at the continuation
   *  prompt (PS2), at a prompt that is not ours (the shell was replaced), or busy. */
  private shellAt(): 'prompt' | 'continuation' | 'foreign' | 'busy' {
    this.lastState = null;
    // The shell itself is the terminal's foreground group and sleeps in its parser's 1 KiB read
    // of stdin (the terminal); three small /proc reads, then its memory.
    const st = procStat(this.bashPid);
    if (!st || st.state !== 'S' || st.tpgid !== st.pgrp) return 'busy';
    const sc = procSyscall(this.bashPid);
    if (!sc || sc[0] !== 0n || sc[1] !== 0n || sc[3] !== 0x400n) return 'busy';
    const s = this.mem?.read();
    if (!s) return 'busy';
    this.lastState = s;
    const prompt = s.prompt.toString('latin1');
    return prompt === this.ps1Value ? 'prompt' : prompt === this.ps2Value ? 'continuation' : 'foreign';
  }
  /** What shellAt() read of the shell's memory (null: it could not or did not get that far). */
  private lastState: ShellState | null = null;

  /**
   * A prompt marker arrived: it ends the turn only if the shell itself is waiting at its prompt
   * (blocked reading the terminal, no foreground job, PS1 its current prompt) and no later marker
   * came. Exit status and cwd are then read from the shell's memory. A marker that was not the
   * last is an intermediate prompt of a multi-line command (cut, if its \# is the next one and the
   * command has lines left) or bytes a command printed (kept as output, exactly).
   */
  private confirm(p: Pending): void {
    if (p.confirming) return;
    const main = p.err ?? p.out;
    // Checks are cheap (a few /proc reads): the first ones run on the next pass of the event loop,
    // since bash blocks in its read a few microseconds after it printed the prompt.
    const later = (fn: () => void, ms: number): void => {
      const run = (): void => {
        p.confirming = null;
        if (this.pending === p) fn();
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
      this.maybeFinish();
      return;
    }
    const where = this.shellAt();
    const seen = this.lastState;
    if (where === 'busy' || where === 'continuation') {
      p.checks++;
      later(() => this.confirm(p), where === 'continuation' ? 20 : p.checks < 50 ? 0 : 1);
      return;
    }
    // The shell wrote its prompt before it blocked: two passes of the event loop (the second after
    // a poll phase) read anything still in the terminal, a later marker included.
    later(
      () =>
        later(() => {
          if (main.hit !== hit) return;
          if (main.leftoverHasMarker()) {
            this.confirm(p);
            return;
          }
          // Blocked at its prompt, the shell cannot have changed since `seen` was read.
          const s = seen ?? this.mem?.read();
          if (!s) {
            later(() => this.confirm(p), 1);
            return;
          }
          // Pipe mode: PROMPT_COMMAND wrote the real end-of-stdout marker just before the prompt,
          // so it is the last one; any earlier one was printed by the command (kept as output).
          if (p.err) while (p.out.hit && p.out.leftoverHasMarker()) p.out.reopen(false);
          if (where === 'foreign') this.markDead('the shell was replaced (exec): its prompt is not the recorder\'s, so later turns cannot be recorded');
          this.finish(s.exit, s.cwd);
        }, 0),
      0,
    );
  }

  /** Resolve the pending turn (marker seen, shell dead, or gave up). */
  private finish(exit: number, cwdIn?: string | Buffer): void {
    let cwdRaw: Buffer | undefined;
    let cwd: string | undefined;
    if (Buffer.isBuffer(cwdIn)) {
      cwd = cwdIn.toString('utf8');
      if (!Buffer.from(cwd, 'utf8').equals(cwdIn)) cwdRaw = Buffer.from(cwdIn);
    } else cwd = cwdIn;
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    for (const t of p.timers) clearTimeout(t);
    if (p.watch) clearTimeout(p.watch);
    p.confirming?.();
    const finalHit = (p.err ?? p.out).hit;
    if (finalHit) this.lastPromptNum = promptNum(finalHit.body) ?? this.lastPromptNum;
    const stdout = p.out.result();
    const stderr = p.err ? p.err.result() : null;
    this.carryOut = p.out.leftover;
    this.carryErr = p.err ? p.err.leftover : Buffer.alloc(0);
    if (p.err === null) this.carryErr = p.out.leftover;
    let output = stdout.output;
    let errOutput = stderr?.output;
    // The late ^D came with this command still pending: bash printed its message and an
    // intermediate prompt first. That message is not this command's output.
    const main = p.err ?? p.out;
    const msg = this.o.mode === 'pty' ? EOF_MSG_PTY : EOF_MSG;
    if (p.strayEof && main.firstMarkerAt === msg.length) {
      if (p.err && errOutput?.subarray(0, msg.length).equals(msg)) errOutput = errOutput.subarray(msg.length);
      else if (!p.err && output.subarray(0, msg.length).equals(msg)) output = output.subarray(msg.length);
    }
    // A command turned tty echo back on (`stty echo`, `stty sane`, `reset`): the typed line comes
    // back first. It is not output by our definition: drop it, and turn echo off before the next.
    const echo = Buffer.from(p.cmd.replace(/\n/g, '\r\n') + '\r\n');
    if (this.o.mode === 'pty' && !p.hidden && output.subarray(0, echo.length).equals(echo) && this.ttyEchoes()) {
      output = output.subarray(echo.length);
      this.echoOn = true;
    }
    const turn: Turn = {
      cmd: p.cmd,
      output,
      exit,
      cwd: cwd ?? this.lastCwd,
      ms: performance.now() - p.t0,
      timedOut: p.timedOut,
      truncated: stdout.truncated || (stderr?.truncated ?? false),
    };
    if (errOutput) turn.stderr = errOutput;
    if (cwdRaw) turn.cwdRaw = cwdRaw;
    if (cwd !== undefined) {
      this.lastCwd = cwd;
      this.lastCwdRaw = cwdRaw;
    } else if (this.lastCwdRaw) turn.cwdRaw = this.lastCwdRaw;
    if (this.tracker && !p.hidden && !this.exited) {
      try {
        turn.state = this.tracker.next();
      } catch {
        /* the session is going away: no state for this turn */
      }
    }
    if (p.incident) turn.incident = p.incident;
    else if (this._dead && this._deadReason !== 'closed') turn.incident = { code: 'died', message: this._deadReason ?? 'unknown' };
    else if (p.droppedBefore > 0) turn.incident = { code: 'dropped-between-turns', message: `${p.droppedBefore} bytes written by background jobs between turns were dropped (more than the output cap)` };
    p.resolve(turn);
  }
  private lastCwd = '/root';
  private lastCwdRaw: Buffer | undefined;
  /** Bytes background jobs wrote between turns beyond the cap (dropped; reported with the next turn). */
  private carryDropped = 0;
  /** The shell was replaced (exec): initialise the new one before the next command. */
  private needsInit = false;
  /** Whether the latest turn typed a ^D (see Pending.strayEof). */
  private sentEof = false;
  private echoOn = false;
  private lastDataAt = 0;

  /** Whether the terminal echoes what is typed (asked with stty on the host; only called when a
   *  turn's output starts with its own command line, which a command may also print itself). */
  private ttyEchoes(): boolean {
    try {
      const tty = readlinkSync(`/proc/${this.bashPid}/fd/0`);
      const flags = execFileSync('stty', ['-F', tty, '-a'], { encoding: 'utf8', timeout: 2000 });
      return /(^|\s)echo(\s|$)/.test(flags);
    } catch {
      return true;
    }
  }

  private markDead(reason: string): void {
    this._dead = true;
    this._deadReason = reason;
  }

  /** ^C, then SIGKILL every process below the shell, then give the session up. */
  private interrupt(p: Pending, isTimeout: boolean): void {
    p.timedOut = p.timedOut || isTimeout;
    if (p.interrupted) return;
    p.interrupted = true;
    this.sigint();
    p.timers.push(
      setTimeout(() => {
        if (this.pending !== p) return;
        this.killChildren();
        p.timers.push(
          setTimeout(() => {
            if (this.pending !== p) return;
            this.markDead('the shell did not come back after ^C and killing its children (a builtin loop that ignores SIGINT?)');
            this.finish(-1);
            this.killNow();
          }, 1500),
        );
      }, 500),
    );
  }

  /** The process at the head of the session is a bash showing a prompt that is not ours. */
  private replacedShellAtPrompt(): boolean {
    if (procStat(this.bashPid)?.comm !== 'bash') return false;
    this.mem = ShellMemory.open(this.bashPid) ?? this.mem;
    const prompt = this.mem?.read()?.prompt.toString('latin1');
    return prompt !== undefined && prompt !== '' && prompt !== this.ps1Value && prompt !== this.ps2Value;
  }

  /**
   * Far more output than the cap: a runaway writer (`yes`). If it is the foreground job, interrupt
   * it like a timeout; if only a background job floods the terminal, leave the foreground alone
   * (its exit status is its own) and keep dropping what is beyond the cap. The writers are the
   * processes whose written-byte count runs ahead over 100 ms.
   */
  private onRunaway(p: Pending): void {
    p.runaway = true;
    const procs = [this.bashPid, ...descendants(this.bashPid)];
    const before = new Map(procs.map((pid) => [pid, writtenBytes(pid) ?? 0]));
    p.timers.push(
      setTimeout(() => {
        if (this.pending !== p) return;
        const fg = procStat(this.bashPid)?.tpgid;
        const writers = procs.filter((pid) => (writtenBytes(pid) ?? 0) - (before.get(pid) ?? 0) > 16 << 10);
        if (writers.length === 0) {
          p.runaway = false; // nobody seen writing (a loaded machine): look again at the next chunk
          return;
        }
        if (writers.some((pid) => procStat(pid)?.pgrp === fg)) this.interrupt(p, false);
      }, 100),
    );
  }

  /** What ^C does, sent as a signal so that `stty -isig` (or raw mode) cannot stop it: SIGINT to
   *  the terminal's foreground process group (the shell itself at its prompt). */
  private sigint(): void {
    const fg = this.bashPid > 0 ? procStat(this.bashPid)?.tpgid : undefined;
    try {
      if (fg === undefined || fg <= 0) throw new Error('no foreground group');
      process.kill(-fg, 'SIGINT');
    } catch {
      this.pty.write('\x03');
    }
  }

  /** SIGKILL every process of the sandbox except the shell and bwrap's init (orphans are
   *  reparented to that init, so walk from it). */
  private killChildren(): void {
    if (this.bashPid < 0) return;
    const init = procStat(this.bashPid)?.ppid ?? this.bashPid;
    // Stop first (a stopped process cannot fork), then kill; repeat until none is left.
    for (let pass = 0; pass < 200; pass++) {
      const victims = descendants(init).filter((p) => p !== this.bashPid);
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

  private killForeground(pgrp: number): void {
    for (const pid of descendants(this.bashPid)) {
      if (procStat(pid)?.pgrp !== pgrp) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  /**
   * Poll /proc while a command runs. A foreground reader of the terminal (seen twice, 15 ms
   * apart) gets ^D, but only once it has consumed the previous one (its read count moved);
   * after two, it is killed. The shell's own parser waiting gets ^C only when the latest marker
   * is PS2 (bash itself said it wants the rest of a command), after 300 ms of that with no
   * output. Decisions run from setImmediate, after the poll phase has read any pending pty
   * data (a timer alone can fire before data that is already waiting is read).
   */
  private watch(p: Pending, delay: number): void {
    p.watch = setTimeout(() => setImmediate(() => this.check(p, delay)), delay);
  }

  private check(p: Pending, delay: number): void {
    if (this.pending !== p || this.bashPid < 0) return;
    const w = ttyWaiter(this.bashPid, this.ptyRdev);
    const now = performance.now();
    if (w?.kind !== 'parser') p.parserSince = undefined;
    if (w?.kind !== 'reader') p.readerSince = undefined;
    if (w?.kind === 'parser') {
      p.parserSince ??= now;
      const main = p.err ?? p.out;
      // Which prompt the shell shows: from its memory where it can be read (a prompt that went
      // elsewhere, e.g. after `exec 2>/dev/null`, is still known), else from the last marker.
      const where = this.mem && !p.hidden ? this.shellAt() : null;
      const continuation = where !== null ? where === 'continuation' : main.lastBody === PS2_BODY;
      const quiet = now - p.parserSince >= 300 && now - this.lastDataAt >= 300;
      if (continuation && quiet) {
        this.sigint();
        p.parserSince = undefined;
      } else if (where === 'prompt' && !main.hit && quiet && !p.confirming) {
        // At its prompt, yet no prompt marker came: the shell's stderr no longer reaches the
        // terminal (`exec 2>/dev/null`), as a person would see no prompt. The turn ends here.
        const s = this.mem?.read();
        if (s) {
          this.finish(s.exit, s.cwd);
          return;
        }
      }
      this.watch(p, 50);
    } else if (w?.kind === 'reader' && w.pid === this.bashPid && this.replacedShellAtPrompt()) {
      // `exec bash` (or another shell) replaced ours: it waits at its own prompt, in line
      // editing. The turn ends here; the new shell is set up like the first before the next.
      const s = this.mem?.read();
      p.incident = { code: 'shell-replaced', message: 'the command replaced the shell (exec); the new shell was set up again for the next turn' };
      this.needsInit = true;
      this.finish(s?.exit ?? 0, s?.cwd);
    } else if (w?.kind === 'reader') {
      if (p.readerSince === undefined) {
        p.readerSince = now;
        this.watch(p, 15);
        return;
      }
      p.readerSince = undefined;
      const last = p.lastEof;
      const reads = readSyscalls(w.pid);
      if (last && last.pid === w.pid && reads !== null && reads <= last.syscr && now - last.at < 2000) {
        // The previous ^D is still on its way to this reader (a poll-only reader that never
        // reads it is given up on after 1 s; a ^D left over then meets ignoreeof at the prompt).
        this.watch(p, 20);
        return;
      }
      const fg = procStat(w.pid)?.pgrp ?? -1;
      const n = (p.eofs.get(fg) ?? 0) + 1;
      p.eofs.set(fg, n);
      if (n <= 2) {
        p.lastEof = reads === null ? undefined : { pid: w.pid, syscr: reads, at: now };
        this.pty.write('\x04');
        this.sentEof = true;
      } else this.killForeground(fg);
      this.watch(p, 20);
    } else {
      this.watch(p, Math.min(delay * 2, 200));
    }
  }

  run(cmd: string, opts?: RunOptions): Promise<Turn> {
    try {
      validateCommand(cmd);
    } catch (e) {
      return Promise.reject(e);
    }
    const next = this.queue.then(async () => {
      if (this.needsInit) {
        this.needsInit = false;
        await this.runNow(this.initLine(), this.o.timeoutMs, true);
        this.mem = ShellMemory.open(this.bashPid);
      }
      if (this.echoOn) {
        this.echoOn = false;
        // Hidden: not a turn, and removed from the history again.
        await this.runNow('stty -echo; history -d -1', this.o.timeoutMs, true);
      }
      if (this.clock && this.userTurns > 0) this.clock.stamp();
      this.userTurns++;
      return deliverWhole(opts, await this.runNow(cmd, opts?.timeoutMs ?? this.o.timeoutMs, false));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private runNow(cmd: string, timeoutMs: number, isInit: boolean): Promise<Turn> {
    if (this._dead) return Promise.reject(new TwError(`the session is dead: ${this._deadReason ?? 'unknown reason'}`, 'start a new session'));
    return new Promise<Turn>((resolve) => {
      const cap = isInit ? 1 << 20 : this.o.maxOutputBytes;
      const newCollectors = (): { out: Collector; err: Collector | null } => ({
        out: this.o.mode === 'pipe' ? new Collector(this.prefixOut, cap, (b) => b !== ':1') : new Collector(this.prefixErr, cap, isFinalPrompt),
        err: this.o.mode === 'pipe' ? new Collector(this.prefixErr, cap, isFinalPrompt) : null,
      });
      const p: Pending = {
        cmd,
        t0: performance.now(),
        ...newCollectors(),
        newCollectors,
        strayEof: this.sentEof,
        hidden: isInit,
        timedOut: false,
        interrupted: false,
        eofs: new Map(),
        lastEof: undefined,
        parserSince: undefined,
        readerSince: undefined,
        resolve,
        timers: [],
        watch: null,
        confirming: null,
        checks: 0,
        expectNum: this.lastPromptNum + 1,
        maxCuts: cmd.split('\n').length - 1,
        incident: undefined,
        droppedBefore: this.carryDropped,
        runaway: false,
      };
      this.carryDropped = 0;
      this.pty.resume();
      this.pending = p;
      this.sentEof = false;
      const co = dropStrayPrompts(this.carryOut, this.prefixOut);
      const ce = dropStrayPrompts(this.carryErr, this.prefixErr);
      this.carryOut = Buffer.alloc(0);
      this.carryErr = Buffer.alloc(0);
      if (this.o.mode === 'pipe') {
        if (co.length) p.out.push(co);
        if (ce.length && p.err) p.err.push(ce);
      } else if (ce.length) {
        p.out.push(ce);
      }
      p.timers.push(setTimeout(() => this.pending === p && this.interrupt(p, true), timeoutMs));
      this.pty.write(cmd + '\n');
      if (!isInit) this.watch(p, 10);
      this.maybeFinish();
    });
  }

  /** Test hook: type raw bytes between turns, as a late ^D or ^C from a race would arrive. */
  typeRawForTest(bytes: string): void {
    this.pty.write(bytes);
  }

  /** The host's path of an absolute path inside the session (through the writable overlay):
   *  what the host writes there appears in the session at once, as a change of the session. */
  hostPath(inside: string): string {
    if (!inside.startsWith('/')) throw new TwError(`not an absolute path: ${inside}`, 'give a path inside the session, e.g. /tests');
    if (this.exited) throw new TwError('the session has ended', 'start a new session');
    return this.o.hostRoot(this.pty.pid) + inside;
  }

  /** Host PIDs of the session's processes (bubblewrap, the shell and its children). */
  hostPids(): number[] {
    return this.exited ? [] : [this.pty.pid, ...descendants(this.pty.pid)];
  }

  killNow(): void {
    try {
      process.kill(this.pty.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }

  /** Idempotent: a second call returns at once (its cleanup must run once; see SessionClock.close). */
  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.closeOnce();
    return this.closing;
  }

  private closing: Promise<void> | null = null;

  private async closeOnce(): Promise<void> {
    if (!this._dead) this.markDead('closed');
    if (!this.exited) {
      this.killNow();
      await new Promise<void>((r) => {
        const t = setTimeout(r, 2000);
        this.exitWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    for (const s of this.socks) s.destroy();
    this.clock?.close();
    this.o.cleanup();
  }
}

function toBuf(d: unknown): Buffer {
  if (Buffer.isBuffer(d)) return d;
  return Buffer.from(String(d), 'utf8');
}
