/**
 * The Terminal contract: every backend (real sandbox, learned model, OpenAI-compatible
 * endpoint, just-bash, null) implements these few methods and nothing more.
 *
 *   Backend.start(spec) -> Terminal;  Terminal.run(cmd) -> Turn;  Terminal.close()
 */

/** How output is observed. `pty`: merged stdout+stderr as an interactive terminal shows it
 *  (ls prints columns, CRLF line ends). `pipe`: stdout and stderr kept apart. */
export type Mode = 'pty' | 'pipe';
export const MODES: readonly Mode[] = ['pty', 'pipe'];

export interface DeterminismSettings {
  enabled: boolean;
  /** The session clock at the first turn (UTC), e.g. "2026-01-01 00:00:00". */
  clockStart: string;
  /** Seconds the clock advances per real second within a turn when clockStep is 0; 0 freezes it. */
  clockRate: number;
  /** Stepping clock: seconds the clock advances per clock read within a process; when > 0 it
   *  replaces clockRate, so time depends only on what ran (deterministic). */
  clockStep?: number;
  /** Seconds the clock moves on per turn; a file changed during turn k shows start + k x this. */
  turnSeconds?: number;
  /** Seed for $RANDOM, getrandom() (mktemp, Python's hash seed, uuid4) and friends. */
  seed: number;
}

export interface SessionSpec {
  mode?: Mode;
  /** Commands run first, in the same shell, not returned as turns (but recorded as `setup`). */
  setup?: string[];
  seed?: number;
  /** Per-command timeout; default 10_000. */
  timeoutMs?: number;
  /** Per-command output cap in bytes; default 1 MiB. */
  maxOutputBytes?: number;
  /** Determinism mode; default on. */
  deterministic?: boolean;
  cols?: number;
  rows?: number;
  /** Backend-specific options (model path, endpoint URL, sampling temperature...). */
  options?: Record<string, unknown>;
}

/** Something that happened to the session during a turn, beyond the command's own effect. */
export const INCIDENT_CODES = ['died', 'shell-replaced', 'dropped-between-turns'] as const;
export type IncidentCode = (typeof INCIDENT_CODES)[number];
export interface Incident {
  code: IncidentCode;
  message: string;
}

/** A turn's change of session state: files of the writable layer, and the shell's variables,
 *  functions and aliases (src/sandbox/statediff.ts, src/backends/real/shellvars.ts). */
export const STATE_OPS = ['created', 'modified', 'deleted', 'mode'] as const;
export const STATE_KINDS = ['file', 'dir', 'symlink', 'whiteout', 'other'] as const;
export interface StateChange {
  files: {
    path: string;
    op: (typeof STATE_OPS)[number];
    kind: (typeof STATE_KINDS)[number];
    size?: number;
    mode?: number;
    target?: string;
    content?: string;
    contentTruncated?: boolean;
    binary?: true;
  }[];
  /** Variables set (null: an array) and unset; functions and aliases added or removed. */
  vars: Record<string, string | null>;
  unset: string[];
  functions: { added: string[]; removed: string[] };
  aliases: { set: Record<string, string>; unset: string[] };
  /** The shell's OLDPWD after the command, when it changed. */
  oldpwd?: string;
  /** More entries in the writable layer than a snapshot walks (the list is partial). */
  truncated?: true;
}

/** Where every session starts: the sandbox's HOME (the learned backend, the gym and the state framing start there too). */
export const SESSION_HOME = '/root';

export interface Turn {
  cmd: string;
  /** pty mode: everything the terminal showed. pipe mode: stdout only. */
  output: Buffer;
  /** pipe mode only. */
  stderr?: Buffer;
  exit: number;
  /** Working directory after the command. */
  cwd: string;
  /** The cwd's exact bytes, when they are not valid UTF-8 (real backend). */
  cwdRaw?: Buffer;
  ms: number;
  timedOut: boolean;
  truncated: boolean;
  /** Learned backends: log-probability of every generated token. */
  logprobs?: number[];
  /** The session died, its shell was replaced, or background output was dropped (real backend). */
  incident?: Incident;
  /** What the command changed in the session's state (real backend with options.recordState). */
  state?: StateChange;
}

export interface RunOptions {
  timeoutMs?: number;
  /**
   * This command's output is expected to vary between runs (`date`, `$RANDOM`, `mktemp`): a
   * generating backend draws a sample (temperature 1 unless the session set one) instead of its
   * single most likely answer. Backends that run real commands ignore it.
   */
  sample?: boolean;
}

export interface TerminalInfo {
  backend: string;
  mode: Mode;
  /** e.g. {image: {id, version}} for real, {model: path} for learned. */
  [key: string]: unknown;
}

export interface Terminal {
  readonly info: TerminalInfo;
  run(cmd: string, opts?: RunOptions): Promise<Turn>;
  /** True once the session can no longer run commands; `deadReason` says why. */
  readonly dead: boolean;
  readonly deadReason?: string;
  close(): Promise<void>;
  /**
   * Learned backends only: replace the history the model conditions on with these turns
   * (teacher forcing, and reseeding for the Tier-1 recovery curve). Backends whose state is
   * real (the sandbox) do not implement it; replay the commands instead.
   */
  setHistory?(turns: readonly Turn[]): Promise<void>;
  /**
   * Learned backends only: teacher-forced scoring of the true result of `cmd` given the current
   * history (Tier-1 cross-entropy and calibration). Does not change the history.
   */
  score?(cmd: string, truth: Pick<Turn, 'output' | 'exit' | 'cwd'>): Promise<TokenScores>;
}

/** Per-token teacher-forced scores over the predicted part of a turn (output, exit, cwd, end). */
export interface TokenScores {
  /** ln p(true token) per predicted token. */
  logp: Float64Array;
  /** max_v p(v): the model's confidence per token. */
  pMax: Float64Array;
  /** 1 where argmax_v p(v) is the true token. */
  argmaxCorrect: Uint8Array;
  /** sum_v p(v)^2 per token (for the Brier score: 1 - 2 p_true + sum_v p_v^2). */
  sumSq: Float64Array;
  /** How many of the leading tokens are output bytes (the rest are exit, cwd, end markers). */
  outputTokens: number;
}

export interface Backend {
  readonly name: string;
  readonly description: string;
  start(spec: SessionSpec): Promise<Terminal>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;
