/**
 * Tier-3 policy framing: how a task's instruction and the transcript so far become byte-level
 * tokens for the policy (a small GPT from our engine, src/model), with a role per token so that
 * any loss mask can be chosen.
 *
 * Vocabulary: the engine's 264 ids (src/model/framing.ts); the policy gives five of the specials
 * its own meaning (the ids are only ids; this model is trained from scratch on this framing):
 *   INSTR = 260  start of the instruction
 *   CMD   = 256  "the agent acts now" (after the instruction and after every observation)
 *   OUT   = 257  end of an action (the command runs; the observation follows)
 *   EXIT  = 258  the command's exit status follows (decimal)
 *   EOT   = 259  end of the observation
 *   DONE  = 261  the agent declares the task done (the action right after [CMD])
 *
 * A trajectory:
 *   [INSTR] instruction [CMD] a1 [OUT] o1 [EXIT] e1 [EOT] [CMD] a2 [OUT] o2 [EXIT] e2 [EOT] [CMD] [DONE]
 * Roles (the role of a token is the role of predicting it):
 *   ROLE_CONTEXT (0): [INSTR], instruction bytes, every [CMD] marker   -> never in the loss
 *   ROLE_ACTION  (1): command bytes, the [OUT] that ends them, [DONE]  -> what the policy writes
 *   ROLE_OBS     (2): output bytes, [EXIT], exit digits, [EOT]          -> what the terminal printed
 * Masks: 'action' = loss on ROLE_ACTION (assistant-masked SFT, arm A);
 *        'echo'   = loss on ROLE_ACTION and ROLE_OBS (ECHO in SFT, arm B).
 * Observations are normalised (CRLF -> LF) and cut to `maxObsBytes` bytes (head kept, a marker
 * byte sequence "…\n" appended when cut) so that a few turns fit a short context.
 */
import { CMD, EOT, EXIT, OUT } from '../../model/framing.js';

export const INSTR = 260;
export const DONE = 261;
export { CMD, OUT, EXIT, EOT };

export const ROLE_CONTEXT = 0;
export const ROLE_ACTION = 1;
export const ROLE_OBS = 2;

export const POLICY_MASKS = ['action', 'echo'] as const;
export type PolicyMask = (typeof POLICY_MASKS)[number];

export interface Step {
  cmd: string;
  /** what the terminal printed (already normalised by `normObs`) */
  out: string;
  exit: number;
}

export interface Trajectory {
  taskId: string;
  family: string;
  instruction: string;
  steps: Step[];
  /** the agent declared the task done (the last action was [DONE]) */
  done: boolean;
}

export interface Framed {
  tokens: number[];
  roles: number[];
}

const enc = new TextEncoder();
const CUT = enc.encode('…\n');

/** CRLF -> LF; at most `max` bytes of it (head), with a visible cut marker. */
export function normObs(output: Buffer | string, max: number): string {
  const s = (typeof output === 'string' ? output : output.toString('utf8')).replace(/\r\n/g, '\n');
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return s;
  return (
    b
      .subarray(0, Math.max(0, max - CUT.length))
      .toString('utf8')
      .replace(/\uFFFD+$/, '') + '…\n'
  );
}

function push(f: Framed, toks: Iterable<number>, role: number): void {
  for (const t of toks) {
    f.tokens.push(t);
    f.roles.push(role);
  }
}

/** [INSTR] instruction, the instruction cut to `maxInstrBytes`. */
export function encodeInstruction(instruction: string, maxInstrBytes = 240): Framed {
  const f: Framed = { tokens: [], roles: [] };
  push(f, [INSTR], ROLE_CONTEXT);
  push(f, enc.encode(instruction).subarray(0, maxInstrBytes), ROLE_CONTEXT);
  return f;
}

/** One turn: [CMD] action [OUT] obs [EXIT] code [EOT]. */
export function encodeStep(s: Step): Framed {
  const f: Framed = { tokens: [], roles: [] };
  push(f, [CMD], ROLE_CONTEXT);
  push(f, enc.encode(s.cmd), ROLE_ACTION);
  push(f, [OUT], ROLE_ACTION);
  push(f, enc.encode(s.out), ROLE_OBS);
  push(f, [EXIT], ROLE_OBS);
  push(f, enc.encode(String(s.exit)), ROLE_OBS);
  push(f, [EOT], ROLE_OBS);
  return f;
}

/** The final turn: [CMD] [DONE]. */
export function encodeDone(): Framed {
  return { tokens: [CMD, DONE], roles: [ROLE_CONTEXT, ROLE_ACTION] };
}

export function encodeTrajectory(t: Trajectory, maxInstrBytes = 240): Framed {
  const f = encodeInstruction(t.instruction, maxInstrBytes);
  for (const s of t.steps) {
    const e = encodeStep(s);
    f.tokens.push(...e.tokens);
    f.roles.push(...e.roles);
  }
  if (t.done) {
    const d = encodeDone();
    f.tokens.push(...d.tokens);
    f.roles.push(...d.roles);
  }
  return f;
}

/** 0/1 loss weight per token for a mask. */
export function policyMask(kind: PolicyMask, roles: readonly number[]): Float32Array {
  const m = new Float32Array(roles.length);
  for (let i = 0; i < roles.length; i++) m[i] = roles[i] === ROLE_ACTION || (kind === 'echo' && roles[i] === ROLE_OBS) ? 1 : 0;
  return m;
}

/** A training window: tokens (at most T+1) and the role of each, with roles before `lossFrom`
 *  set to ROLE_CONTEXT (those turns were already trained on in an earlier window). */
export type PolicyWindow = Framed;

/**
 * Cut a trajectory into windows of at most T+1 tokens, each = the instruction + a run of whole
 * turns, like the prompt at inference (instruction + the most recent turns that fit). Every
 * turn is trained on exactly once, in the window that gives it the most preceding turns that fit.
 * A single turn that does not fit beside the instruction is truncated (its start kept).
 */
export function policyWindows(t: Trajectory, T: number, maxInstrBytes = 240): PolicyWindow[] {
  const head = encodeInstruction(t.instruction, maxInstrBytes);
  const turns: Framed[] = t.steps.map(encodeStep);
  if (t.done) turns.push(encodeDone());
  const cap = T + 1;
  const out: PolicyWindow[] = [];
  let e = 0;
  while (e < turns.length) {
    const len = (i: number): number => (turns[i] as Framed).tokens.length;
    // earliest start s such that head + turns[s..e] fits
    let s = e;
    let used = head.tokens.length + len(e);
    while (s > 0 && used + len(s - 1) <= cap) used += len(--s);
    let e2 = e + 1;
    while (e2 < turns.length && used + len(e2) <= cap) used += len(e2++);
    const w: Framed = { tokens: [...head.tokens], roles: [...head.roles] };
    for (let i = s; i < e2; i++) {
      const tr = turns[i] as Framed;
      w.tokens.push(...tr.tokens);
      w.roles.push(...(i < e ? tr.roles.map(() => ROLE_CONTEXT) : tr.roles));
    }
    out.push({ tokens: w.tokens.slice(0, cap), roles: w.roles.slice(0, cap) });
    e = e2;
  }
  return out;
}

/**
 * The policy's prompt before its next action: instruction + the most recent whole turns that fit
 * in T - reserve tokens + [CMD]. `reserve` leaves room for the action it will write.
 */
export function policyPrompt(instruction: string, steps: readonly Step[], T: number, reserve: number, maxInstrBytes = 240): number[] {
  const head = encodeInstruction(instruction, maxInstrBytes).tokens;
  const budget = T - reserve - head.length - 1;
  const tail: number[][] = [];
  let used = 0;
  for (let i = steps.length - 1; i >= 0; i--) {
    const e = encodeStep(steps[i] as Step).tokens;
    if (used + e.length > budget) break;
    tail.unshift(e);
    used += e.length;
  }
  return [...head, ...tail.flat(), CMD];
}

/** Decode the generated action tokens: the command, or done. */
export function parseAction(tokens: readonly number[]): { done: boolean; cmd: string; complete: boolean } {
  if (tokens[0] === DONE) return { done: true, cmd: '', complete: true };
  const end = tokens.findIndex((t) => t === OUT || t === DONE || t >= 256);
  const bytes = (end < 0 ? tokens : tokens.slice(0, end)).filter((t) => t < 256);
  return { done: false, cmd: Buffer.from(bytes).toString('utf8'), complete: end >= 0 && tokens[end] === OUT };
}
