/**
 * The real session's timings and limits, in one place: how often it polls /proc while a command
 * runs, how long it waits before it acts for a person (^D, ^C, SIGKILL), and how much output it
 * keeps. Every figure the session's modules use is named here (session.ts, watchdog.ts,
 * confirm.ts, escalation.ts, echo.ts, pty.ts).
 */
export const TIMING = {
  /** First /proc poll after a command is typed (watchdog.ts). */
  firstPollMs: 10,
  /** Poll interval while nothing waits on the terminal: doubles from the last, up to this. */
  idlePollMaxMs: 200,
  /** Poll interval while the shell's parser waits on the terminal. */
  parserPollMs: 50,
  /** A reader of the terminal counts once it is seen twice, this far apart. */
  readerRecheckMs: 15,
  /** Poll interval after a ^D was typed, or while it is still on its way to its reader. */
  afterEofPollMs: 20,
  /** A ^D the reader has not consumed within this is given up on (a poll-only reader). */
  eofInFlightMs: 2000,
  /** At the continuation prompt (PS2), or at PS1 with no marker: this long with no output first. */
  quietMs: 300,
  /** Timeout escalation (escalation.ts): ^C, then after this SIGKILL of every child... */
  killChildrenAfterMs: 500,
  /** ...then after this more the session is given up as dead. */
  giveUpAfterMs: 1500,
  /** A runaway writer is the process whose written bytes grow by RUNAWAY_WRITER_BYTES over this. */
  runawaySampleMs: 100,
  /** confirm.ts: the shell is at PS2 (a multi-line command goes on): look again after this. */
  continuationRecheckMs: 20,
  /** confirm.ts: the shell is busy: look again on the next pass of the event loop this many times... */
  busyImmediateChecks: 50,
  /** ...then every this often; also when its memory could not be read. */
  busyRecheckMs: 1,
  /** close(): wait this long for the shell to exit after SIGKILL. */
  closeWaitMs: 2000,
  /** echo.ts: the host's `stty -a` of the session's terminal. */
  sttyTimeoutMs: 2000,
} as const;

export const LIMITS = {
  /** ^D typed to one foreground reader before it is killed instead. */
  eofsPerReader: 2,
  /** Output beyond max(4 x cap, this) means a runaway writer (`yes`): interrupted like a timeout. */
  runawayBytes: 4 << 20,
  /** Bytes a process must write within TIMING.runawaySampleMs to count as a runaway writer. */
  runawayWriterBytes: 16 << 10,
  /** Output cap of the hidden set-up turns (the init line, echo repair). */
  hiddenOutputBytes: 1 << 20,
  /** Chunks of start-up output kept for the error of a sandbox that did not start. */
  startupChunks: 64,
} as const;
