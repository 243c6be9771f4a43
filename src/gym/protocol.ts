/**
 * The gym's wire shapes: OpenEnv's protocol (huggingface/OpenEnv, src/openenv/core/env_server)
 * with our action, observation and state. Matched, not copied:
 *
 *   WS /ws   client {"type": "reset"|"step"|"state"|"close", "data": {...}}
 *            server {"type": "observation"|"state"|"error", "data": {...}}
 *            reset/step reply data: {observation, reward, done}
 *   HTTP     POST /reset {seed?, episode_id?, ...} -> {observation, reward, done}
 *            POST /step {action, timeout_s?, request_id?} -> {observation, reward, done}
 *            GET /state, /health {status}, /schema {action, observation, state}, /metadata
 */
import { z } from 'zod';

/** OpenEnv's WSErrorCode, plus the HTTP-only codes of our extensions. */
export const WS_ERROR_CODES = [
  'INVALID_JSON',
  'UNKNOWN_TYPE',
  'VALIDATION_ERROR',
  'EXECUTION_ERROR',
  'CAPACITY_REACHED',
  'FACTORY_ERROR',
  'SESSION_ERROR',
] as const;
export const HTTP_ERROR_CODES = ['UNAUTHORIZED', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE', 'QUOTA_EXCEEDED', 'UNSUPPORTED_MEDIA_TYPE'] as const;
export type ErrorCode = (typeof WS_ERROR_CODES)[number] | (typeof HTTP_ERROR_CODES)[number];

/**
 * One action. `command`: one shell command, run as one turn. `keystrokes` (+ `duration`):
 * Terminus-2's action, with tmux-like semantics (text up to the last newline runs; the rest stays
 * pending on the command line; `C-c` clears it). `submit: true`: end the episode (Terminus-2's
 * task_complete); a task's verifier runs and gives the reward. `metadata` is OpenEnv's base field.
 */
/** The longest command or keystrokes string an action may carry. */
export const COMMAND_MAX = 65_536;

export const actionSchema = z
  .strictObject({
    command: z.string().max(COMMAND_MAX).optional().describe('one shell command, run as one turn'),
    keystrokes: z
      .string()
      .max(COMMAND_MAX)
      .optional()
      .describe('Terminus-2 keystrokes: text up to the last newline runs, the rest stays pending; "C-c" interrupts'),
    duration: z
      .number()
      .min(0)
      .max(600)
      .optional()
      .describe('Terminus-2: seconds to wait (a command still running after max(duration, timeout) is interrupted)'),
    submit: z.boolean().optional().describe('end the episode; a task verifier runs and sets the reward'),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((a) => a.command !== undefined || a.keystrokes !== undefined || a.submit === true, {
    message: 'send one of: command (string), keystrokes (string), or submit: true',
  })
  .refine((a) => !(a.command !== undefined && a.keystrokes !== undefined), { message: 'send command or keystrokes, not both' });
export type GymAction = z.infer<typeof actionSchema>;

export const observationSchema = z.object({
  output: z.string().describe('what the command printed (pty: stdout and stderr merged, CRLF line ends; invalid UTF-8 shown as U+FFFD)'),
  stderr: z.string().optional().describe('pipe mode only'),
  exit: z.number().int().nullable().describe('exit status of the last command run by this step; null when none ran'),
  cwd: z.string(),
  timedOut: z.boolean(),
  truncated: z.boolean(),
  terminal: z.string().optional().describe('Terminus-2 text: "New Terminal Output:" and the 160x40 screen'),
  instruction: z.string().optional().describe('the task, at reset'),
  episode_id: z.string(),
  step: z.number().int(),
  session_id: z.string().optional().describe('HTTP sessions: send it back with /step, /state, /close'),
  incident: z.object({ code: z.string(), message: z.string() }).optional(),
  verifier: z.object({ exit: z.number().int(), passed: z.boolean() }).optional().describe('at done, on a task episode'),
  done_reason: z.string().optional(),
});
export type GymObservation = z.infer<typeof observationSchema>;

export const stateSchema = z.object({
  episode_id: z.string().nullable(),
  step_count: z.number().int().min(0),
  backend: z.string(),
  mode: z.enum(['pty', 'pipe']),
  seed: z.number().int(),
  task: z.object({ id: z.string(), family: z.string(), instruction: z.string() }).nullable(),
  cwd: z.string(),
  done: z.boolean(),
  pending: z.string().describe('keystrokes typed but not yet run'),
  session_id: z.string().optional(),
});
export type GymState = z.infer<typeof stateSchema>;

/** Reset parameters: OpenEnv's (seed, episode_id) plus ours. Extra keys are ignored (OpenEnv passes only those reset accepts). */
export const resetSchema = z.object({
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  episode_id: z.string().max(255).optional(),
  task: z.string().max(64).optional().describe('a task family name, "any" (families in turn), or "none" (a free session)'),
  task_index: z.number().int().min(0).optional(),
});

export const stepRequestSchema = z.object({
  action: z.record(z.string(), z.unknown()),
  timeout_s: z.number().positive().max(600).optional(),
  request_id: z.string().max(255).optional(),
  session_id: z.string().max(64).optional(),
});

export interface StepResult {
  observation: GymObservation;
  reward: number | null;
  done: boolean;
}

export function jsonSchemas(): { action: unknown; observation: unknown; state: unknown } {
  return {
    action: z.toJSONSchema(actionSchema, { unrepresentable: 'any' }),
    observation: z.toJSONSchema(observationSchema),
    state: z.toJSONSchema(stateSchema),
  };
}

/** Zod issues as OpenEnv/pydantic-like error entries: {loc, msg, type}. */
export function issuesOf(e: z.ZodError, prefix: (string | number)[] = []): { loc: (string | number)[]; msg: string; type: string }[] {
  return e.issues.map((i) => ({ loc: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], msg: i.message, type: i.code }));
}

/** An error with a protocol code, and whether retrying the same request may succeed. */
export class GymError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'GymError';
  }
  toData(): Record<string, unknown> {
    return { message: this.message, code: this.code, ...(this.retryable ? { retryable: true } : {}), ...this.extra };
  }
}
