/**
 * One sandboxed, persistent, interactive bash (see docs/sandbox.md for the protocol): the turn
 * loop that ties the session's jobs together, one file each:
 *   pty.ts         the plumbing: the pseudo-terminal (and pipe mode's FIFOs), bytes in, one exit
 *   protocol.ts    the prompt markers and the line that sets a shell up, as text
 *   confirm.ts     when a marker really ends a turn (the shell's own state, from /proc and memory)
 *   watchdog.ts    the stdin watchdog: ^D to readers of the terminal, ^C at PS2
 *   escalation.ts  timeouts and runaway writers: ^C, SIGKILL of the children, give up
 *   echo.ts        echo repair: a command that turned tty echo back on
 *   timing.ts      every timing and limit above, as named constants
 *
 * Commands are typed into a real interactive bash (PID 1 of the sandbox, line editing turned off
 * with `set +o emacs`) on a pseudo-terminal with tty echo off. PS1 prints a marker
 * `\x1e tw<nonce>:<\#>:<$?> \x1f`, but a marker only proposes an end: the turn ends when the shell
 * itself waits at its prompt, and exit status and cwd are read from its memory (shellmem.ts). So a
 * command that prints a look-alike cannot end its turn or change what is recorded; its bytes stay
 * in the output. In pipe mode stdout and stderr go to two FIFOs and PROMPT_COMMAND marks the end of
 * stdout; commands still read the terminal, so stdin readers behave the same in both modes. What
 * happens to the session itself (it died, its shell was replaced by `exec`, background output
 * between turns was dropped) is reported with the turn as an incident.
 */
import { performance } from 'node:perf_hooks';
import { TwError } from '../../core/errors.js';
import { deliverWhole, type RunOptions, type Terminal, type TerminalInfo, type Turn } from '../../core/terminal.js';
import { CLOCK_PATH, SessionClock } from '../../sandbox/clock.js';
import { Collector } from './collector.js';
import { confirm, type ConfirmHost, shellAt } from './confirm.js';
import { ECHO_OFF_COMMAND, withoutEcho } from './echo.js';
import { type EscalationHost, interrupt, killForeground, onRunaway, sigint } from './escalation.js';
import type { Pending } from './pending.js';
import { descendants, fdRdev, findDescendant, procStat } from './proc.js';
import { BODY, dropStrayPrompts, EOF_MSG, EOF_MSG_PTY, initLine, isFinalPrompt, type Markers, markers, promptNum, validateCommand } from './protocol.js';
import { type PtyOptions, ShellPty, type Stream } from './pty.js';
import { ShellMemory } from './shellmem.js';
import { StateTracker } from './statetracker.js';
import { LIMITS, TIMING } from './timing.js';
import { StdinWatchdog } from './watchdog.js';

export interface SessionOptions extends PtyOptions {
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

export class RealSession implements Terminal {
  private pty: ShellPty;
  private bashPid = -1;
  private ptyRdev = -1;
  private pending: Pending | null = null;
  private readonly m: Markers;
  private carryOut: Buffer = Buffer.alloc(0);
  private carryErr: Buffer = Buffer.alloc(0);
  private startup: Buffer[] = [];
  private _dead = false;
  private _deadReason: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private clock: SessionClock | null = null;
  private tracker: StateTracker | null = null;
  private mem: ShellMemory | null = null;
  /** \# shown by the latest prompt. */
  private lastPromptNum = 0;
  private userTurns = 0;
  private lastCwd = '/root';
  private lastCwdRaw: Buffer | undefined;
  /** Bytes background jobs wrote between turns beyond the cap (dropped; reported with the next turn). */
  private carryDropped = 0;
  /** The shell was replaced (exec): initialise the new one before the next command. */
  private needsInit = false;
  /** Whether the latest turn typed a ^D (see Pending.strayEof). */
  private sentEof = false;
  /** A turn came back with its command line echoed: turn echo off before the next (echo.ts). */
  private echoOn = false;
  private lastDataAt = 0;
  private closing: Promise<void> | null = null;
  private readonly escalation: EscalationHost = {
    isPending: (p) => this.pending === p,
    bashPid: () => this.bashPid,
    sigint: () => this.sigint(),
    giveUp: (reason) => {
      this.markDead(reason);
      this.finish(-1);
      this.killNow();
    },
  };
  private readonly confirmHost: ConfirmHost = {
    isPending: (p) => this.pending === p,
    shellAt: () => shellAt(this.bashPid, this.mem, this.m),
    readShell: () => this.mem?.read() ?? null,
    maybeFinish: () => this.maybeFinish(),
    finish: (exit, cwd) => this.finish(exit, cwd),
    markDead: (reason) => this.markDead(reason),
  };
  private readonly watchdog = new StdinWatchdog({
    isPending: (p) => this.pending === p,
    bashPid: () => this.bashPid,
    ptyRdev: () => this.ptyRdev,
    lastDataAt: () => this.lastDataAt,
    shellAt: (p) => (this.mem && !p.hidden ? shellAt(this.bashPid, this.mem, this.m).at : null),
    readShell: () => this.mem?.read() ?? null,
    replacedShellAtPrompt: () => this.replacedShellAtPrompt(),
    shellReplaced: () => {
      this.needsInit = true;
    },
    finish: (exit, cwd) => this.finish(exit, cwd),
    sigint: () => this.sigint(),
    typeEof: () => {
      this.pty.write('\x04');
      this.sentEof = true;
    },
    killForeground: (pgrp) => killForeground(this.bashPid, pgrp),
  });
  readonly info: TerminalInfo;

  get dead(): boolean {
    return this._dead;
  }
  get deadReason(): string | undefined {
    return this._deadReason;
  }

  constructor(private readonly o: SessionOptions) {
    this.info = o.info;
    this.m = markers(o.seed);
    this.pty = new ShellPty(
      o,
      (which, d) => this.onStream(which, d),
      (exitCode, signal) => {
        if (!this._dead) this.markDead(`the shell exited (status ${exitCode}${signal ? `, signal ${signal}` : ''})`);
        this.finish(exitCode);
      },
    );
  }

  private initLine(): string {
    return initLine(this.m, this.o.mode, this.o.deterministic, this.o.seed);
  }

  /** Type the init line and wait for the first prompt. */
  async init(startTimeoutMs: number): Promise<void> {
    const turn = await this.runNow(this.initLine(), startTimeoutMs, true);
    if (this.pty.exited || turn.timedOut || this._dead) {
      const text = Buffer.concat(this.startup)
        .toString('utf8')
        .replace(/\x1e[^\x1f]*\x1f/g, '')
        .trim();
      await this.close();
      throw new TwError(
        `the sandbox did not start${text ? `:\n${text.slice(-2000)}` : ''}`,
        'check `npx tw sandbox info`; rebuild the root tree with `npx tw sandbox setup --force` if it is damaged',
      );
    }
    const bash = findDescendant(this.pty.pid, 'bash');
    if (bash === null)
      throw new TwError('the sandbox started but its shell could not be found in /proc', 'this needs /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN)');
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

  private onStream(which: Stream, d: Buffer): void {
    this.lastDataAt = performance.now();
    const p = this.pending;
    if (which === 'tty') {
      if (this.startup.length < LIMITS.startupChunks) this.startup.push(d);
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
      if (this.startup.length < LIMITS.startupChunks) this.startup.push(d);
      return;
    }
    const c = which === 'out' ? p.out : (p.err ?? p.out);
    c.push(d);
    if (this.startup.length < LIMITS.startupChunks && this.bashPid < 0) this.startup.push(d);
    if (c.total > Math.max(4 * this.o.maxOutputBytes, LIMITS.runawayBytes) && !c.hit && !p.runaway) onRunaway(p, this.escalation);
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
      confirm(p, this.confirmHost);
      return;
    }
    const m = BODY.exec(main.hit.body);
    this.finish(m ? Number(m[2]) : -1);
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
    // A command turned tty echo back on: the typed line came back first (echo.ts).
    if (this.o.mode === 'pty' && !p.hidden) {
      const rest = withoutEcho(output, p.cmd, this.bashPid);
      if (rest) {
        output = rest;
        this.echoOn = true;
      }
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
    if (this.tracker && !p.hidden && !this.pty.exited) {
      try {
        turn.state = this.tracker.next();
      } catch {
        /* the session is going away: no state for this turn */
      }
    }
    if (p.incident) turn.incident = p.incident;
    else if (this._dead && this._deadReason !== 'closed') turn.incident = { code: 'died', message: this._deadReason ?? 'unknown' };
    else if (p.droppedBefore > 0)
      turn.incident = {
        code: 'dropped-between-turns',
        message: `${p.droppedBefore} bytes written by background jobs between turns were dropped (more than the output cap)`,
      };
    p.resolve(turn);
  }

  private markDead(reason: string): void {
    this._dead = true;
    this._deadReason = reason;
  }

  /** The process at the head of the session is a bash showing a prompt that is not ours. */
  private replacedShellAtPrompt(): boolean {
    if (procStat(this.bashPid)?.comm !== 'bash') return false;
    this.mem = ShellMemory.open(this.bashPid) ?? this.mem;
    const prompt = this.mem?.read()?.prompt.toString('latin1');
    return prompt !== undefined && prompt !== '' && prompt !== this.m.ps1 && prompt !== this.m.ps2;
  }

  private sigint(): void {
    sigint(this.bashPid, () => this.pty.write('\x03'));
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
        await this.runNow(ECHO_OFF_COMMAND, this.o.timeoutMs, true);
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
      const cap = isInit ? LIMITS.hiddenOutputBytes : this.o.maxOutputBytes;
      const { prefixOut, prefixErr } = this.m;
      const newCollectors = (): { out: Collector; err: Collector | null } => ({
        out: this.o.mode === 'pipe' ? new Collector(prefixOut, cap, (b) => b !== ':1') : new Collector(prefixErr, cap, isFinalPrompt),
        err: this.o.mode === 'pipe' ? new Collector(prefixErr, cap, isFinalPrompt) : null,
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
      const co = dropStrayPrompts(this.carryOut, prefixOut);
      const ce = dropStrayPrompts(this.carryErr, prefixErr);
      this.carryOut = Buffer.alloc(0);
      this.carryErr = Buffer.alloc(0);
      if (this.o.mode === 'pipe') {
        if (co.length) p.out.push(co);
        if (ce.length && p.err) p.err.push(ce);
      } else if (ce.length) {
        p.out.push(ce);
      }
      p.timers.push(setTimeout(() => this.pending === p && interrupt(p, true, this.escalation), timeoutMs));
      this.pty.write(cmd + '\n');
      if (!isInit) this.watchdog.start(p);
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
    if (this.pty.exited) throw new TwError('the session has ended', 'start a new session');
    return this.o.hostRoot(this.pty.pid) + inside;
  }

  /** Host PIDs of the session's processes (bubblewrap, the shell and its children). */
  hostPids(): number[] {
    return this.pty.exited ? [] : [this.pty.pid, ...descendants(this.pty.pid)];
  }

  killNow(): void {
    this.pty.kill();
  }

  /** Idempotent: a second call returns at once (its cleanup must run once; see SessionClock.close). */
  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    if (!this._dead) this.markDead('closed');
    if (!this.pty.exited) {
      this.killNow();
      await this.pty.waitExit(TIMING.closeWaitMs);
    }
    this.pty.destroy();
    this.clock?.close();
    this.o.cleanup();
  }
}
