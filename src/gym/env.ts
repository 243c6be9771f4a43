/**
 * The in-process gym: one environment = one session slot that runs episodes on any registered
 * backend, either free sessions or tasks from the task families (src/corpus/tasks) whose
 * verifier gives the reward when the episode ends.
 *
 *   const env = await openEnv({backend: 'real', task: 'csv-sum'});
 *   let r = await env.reset({seed: 7});            // r.observation.instruction
 *   r = await env.step({command: 'ls /root'});     // {observation: {output, exit, cwd, ...}, reward, done}
 *   r = await env.step({submit: true});            // done; reward 1 if the verifier passed
 *   await env.close();
 */
import { randomUUID } from 'node:crypto';
import { getBackend, type BackendName } from '../backends/registry.js';
import { TwError } from '../core/errors.js';
import type { Backend, Mode, Terminal, Turn } from '../core/terminal.js';
import { DEFAULT_TIMEOUT_MS, SESSION_HOME } from '../core/terminal.js';
import { newSession, turnToRecord } from '../session/format.js';
import { TASK_FAMILIES } from '../corpus/tasks/index.js';
import { familyByName, generateTask } from '../corpus/tasks/run.js';
import type { Task } from '../corpus/tasks/format.js';
import { actionSchema, COMMAND_MAX, GymError, issuesOf, resetSchema, type GymAction, type GymObservation, type GymState, type StepResult } from './protocol.js';
import { takeCommands } from './keys.js';
import { promptFor, Screen, terminusText } from './screen.js';
import { GYM_EPISODE_FORMAT, GYM_EPISODE_VERSION, type GymEpisodeMeta, type TrajectoryStore } from './store.js';

export type ObservationShape = 'structured' | 'terminus' | 'both';

export interface GymSpec {
  /** A registered backend (src/backends/registry.ts); openEnv(spec, backend) runs a Backend of your own under this name. */
  backend: BackendName;
  mode?: Mode;
  /** Default seed of episodes whose reset names none. */
  seed?: number;
  /** "none" (free session; default), "any" (task families in turn), or a family name. */
  task?: string;
  /** Steps before an episode ends with done_reason max_steps: the task's maxTurns, or this (default 100). */
  maxSteps?: number;
  observation?: ObservationShape;
  /** Per-command timeout, ms (default 10 s); a step's timeout_s overrides it. */
  timeoutMs?: number;
  /** Backend options (SessionSpec.options), e.g. {model: DIR} for learned. */
  options?: Record<string, unknown>;
  /** real, free sessions at the default seed: sandboxes kept started in a pool of this size (0: none). */
  pool?: number;
  /** Where finished episodes go (none: not stored). */
  store?: TrajectoryStore;
}

const DEFAULT_MAX_STEPS = 100;
/** request_ids remembered per environment for de-duplication. */
const DEDUP_WINDOW = 64;

interface Episode {
  id: string;
  seed: number;
  task: Task | null;
  term: Terminal;
  turns: Turn[];
  requestIds: (string | null)[];
  steps: number;
  done: boolean;
  reward: number | null;
  doneReason?: string;
  verifier?: { exit: number; passed: boolean };
  pending: string;
  cwd: string;
  startedAt: Date;
  maxSteps: number;
}

export interface StepOptions {
  timeoutMs?: number;
  requestId?: string;
}

export class GymEnv {
  readonly id = randomUUID();
  private ep: Episode | null = null;
  private screen: Screen | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly seen = new Map<string, Promise<StepResult>>();
  private taskCounter = 0;
  private closed = false;
  private closeReason = 'closed';
  /** Episodes this environment has run (started by reset). */
  episodes = 0;
  /** Terminals being closed in the background (awaited by close()). */
  private closing = new Set<Promise<void>>();

  private constructor(
    readonly spec: GymSpec,
    private readonly backend: Backend,
  ) {}

  static async open(spec: GymSpec, backend?: Backend): Promise<GymEnv> {
    if (spec.task !== undefined && spec.task !== 'none' && spec.task !== 'any') familyOrError(spec.task);
    return new GymEnv(spec, backend ?? (await getBackend(spec.backend)));
  }

  get shape(): ObservationShape {
    return this.spec.observation ?? 'both';
  }

  get active(): boolean {
    return this.ep !== null && !this.ep.done;
  }

  /** Run calls one at a time (a client may send several messages without waiting). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  reset(params: Record<string, unknown> = {}): Promise<StepResult> {
    return this.serial(() => this.doReset(params));
  }

  step(action: unknown, opts: StepOptions = {}): Promise<StepResult> {
    const rid = opts.requestId;
    if (rid !== undefined) {
      const prev = this.seen.get(rid);
      if (prev) return prev;
    }
    const p = this.serial(() => this.doStep(action, opts));
    if (rid !== undefined) {
      this.seen.set(rid, p);
      // A failed step may be retried with the same id.
      p.catch(() => this.seen.get(rid) === p && this.seen.delete(rid));
      if (this.seen.size > DEDUP_WINDOW) this.seen.delete(this.seen.keys().next().value as string);
    }
    return p;
  }

  state(): GymState {
    const ep = this.ep;
    return {
      episode_id: ep?.id ?? null,
      step_count: ep?.steps ?? 0,
      backend: this.backend.name,
      mode: this.spec.mode ?? 'pty',
      seed: ep?.seed ?? this.spec.seed ?? 0,
      task: ep?.task ? { id: ep.task.id, family: ep.task.family, instruction: ep.task.instruction } : null,
      cwd: ep?.cwd ?? '',
      done: ep?.done ?? false,
      pending: ep?.pending ?? '',
    };
  }

  /** End the episode (stored with this reason) and free the session. */
  close(reason = 'closed'): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.closeReason = reason;
    // Free the sandbox now, even under a step still running (it then ends with an error).
    const ep = this.ep;
    if (ep && !ep.done) {
      const c = closeOnce(ep.term);
      this.closing.add(c);
      void c.finally(() => this.closing.delete(c));
    }
    return this.serial(async () => {
      await this.finish(reason, false);
      this.screen?.dispose();
      this.screen = null;
      await Promise.all(this.closing);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private pickTask(p: { seed: number; task?: string; task_index?: number }): Task | null {
    const which = p.task ?? this.spec.task ?? 'none';
    if (which === 'none') return null;
    const families = which === 'any' ? TASK_FAMILIES : [familyOrError(which)];
    const index = p.task_index ?? this.taskCounter++;
    return generateTask(p.seed, index, families);
  }

  private async doReset(raw: Record<string, unknown>): Promise<StepResult> {
    if (this.closed) throw new GymError('SESSION_ERROR', 'this session is closed', {}, false);
    const parsed = resetSchema.safeParse(raw);
    if (!parsed.success)
      throw new GymError(
        'VALIDATION_ERROR',
        `invalid reset parameters: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
        { errors: issuesOf(parsed.error) },
      );
    const p = parsed.data;
    // The previous episode (if any) is cut off. Its record (built and validated for the store)
    // and its sandbox's teardown (killing its processes, removing its folder and cgroups) run on
    // the next turn of the event loop, after this reset has its sandbox and, when the pool had
    // one ready, after its reply is out: they are not on the reset's path. close() waits for them.
    const prev = this.ep;
    if (prev) {
      this.ep = null;
      const later = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.finishEpisode(prev, 'reset', false).catch(() => undefined));
      this.closing.add(later);
      void later.finally(() => this.closing.delete(later));
    }
    const seed = p.seed ?? this.spec.seed ?? 0;
    const task = this.pickTask({
      seed,
      ...(p.task !== undefined ? { task: p.task } : {}),
      ...(p.task_index !== undefined ? { task_index: p.task_index } : {}),
    });
    const options: Record<string, unknown> = { ...(this.spec.options ?? {}) };
    // Pre-started sandboxes: only for free sessions at the default seed (a pool is per spec).
    if (this.backend.name === 'real' && task === null && p.seed === undefined && (this.spec.pool ?? 0) > 0) options['pool'] = this.spec.pool;
    let term: Terminal;
    try {
      term = await this.backend.start({
        mode: this.spec.mode ?? 'pty',
        seed: task ? task.seed : seed,
        deterministic: true,
        timeoutMs: this.spec.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(task ? { setup: task.setup } : {}),
        options,
      });
    } catch (e) {
      throw new GymError('FACTORY_ERROR', `could not start a ${this.backend.name} session: ${(e as Error).message}`, { factory_name: this.backend.name }, true);
    }
    if (this.closed) {
      await closeOnce(term);
      throw new GymError('SESSION_ERROR', 'this session was closed during reset');
    }
    const cwd = SESSION_HOME;
    this.ep = {
      id: p.episode_id ?? randomUUID(),
      seed,
      task,
      term,
      turns: [],
      requestIds: [],
      steps: 0,
      done: false,
      reward: null,
      pending: '',
      cwd,
      startedAt: new Date(),
      maxSteps: task?.maxTurns ?? this.spec.maxSteps ?? DEFAULT_MAX_STEPS,
    };
    this.episodes++;
    let terminal: string | undefined;
    if (this.shape !== 'structured') {
      this.screen?.dispose();
      this.screen = new Screen();
      this.screen.feed(promptFor(cwd));
      terminal = terminusText(await this.screen.render());
    }
    // An episode cut off by this reset (not done) is queued for the store, not waited for: it
    // lands with the next group commit. Episodes that reached done were stored before their reply.
    const observation: GymObservation = {
      output: '',
      exit: null,
      cwd,
      timedOut: false,
      truncated: false,
      episode_id: this.ep.id,
      step: 0,
      ...(terminal !== undefined ? { terminal } : {}),
      ...(task ? { instruction: task.instruction } : {}),
    };
    return { observation, reward: task ? 0 : null, done: false };
  }

  private async doStep(raw: unknown, opts: StepOptions): Promise<StepResult> {
    if (this.closed) throw new GymError('SESSION_ERROR', 'this session is closed');
    const a = parseAction(raw);
    const ep = this.ep;
    if (!ep) throw new GymError('EXECUTION_ERROR', 'no episode: send reset first');
    if (ep.done) throw new GymError('EXECUTION_ERROR', `episode ${ep.id} is done (${ep.doneReason ?? ''}): send reset to start another`);
    const timeoutMs = Math.max(opts.timeoutMs ?? this.spec.timeoutMs ?? DEFAULT_TIMEOUT_MS, (a.duration ?? 0) * 1000);
    ep.steps++;
    ep.requestIds.push(opts.requestId ?? null);
    const ran: Turn[] = [];
    let exit: number | null = null;
    try {
      if (a.command !== undefined) {
        ran.push(await this.runCmd(ep, a.command, timeoutMs));
      } else if (a.keystrokes !== undefined) {
        exit = await this.typeKeys(ep, a.keystrokes, timeoutMs, ran);
      }
    } catch (e) {
      // The sandbox failed under this step: the episode ends, the session slot stays usable.
      if (this.closed) {
        await this.finish(this.closeReason, false);
        throw new GymError('SESSION_ERROR', `this session was closed (${this.closeReason}) during the step`);
      }
      await this.finish('died', true);
      throw new GymError(
        'EXECUTION_ERROR',
        `the ${this.backend.name} session failed during this step: ${(e as Error).message}; send reset and retry`,
        { episode_id: ep.id },
        true,
      );
    }
    const last = ran[ran.length - 1];
    if (last) exit = last.exit;
    if (this.closed && !ep.done) {
      await this.finish(this.closeReason, false);
      throw new GymError('SESSION_ERROR', `this session was closed (${this.closeReason}) during the step`);
    }
    const died = ep.term.dead || ran.some((t) => t.incident?.code === 'died');
    if (died && !ep.done) {
      await this.finish('died', true);
      throw new GymError(
        'EXECUTION_ERROR',
        `the ${this.backend.name} session died during this step (${ep.term.deadReason ?? last?.incident?.message ?? 'unknown'}); send reset and retry`,
        { episode_id: ep.id },
        true,
      );
    }
    if (!ep.done) {
      if (a.submit === true) await this.end(ep, 'submit');
      else if (ep.steps >= ep.maxSteps) await this.end(ep, 'max_steps');
    }
    const observation: GymObservation = {
      output: ran.map((t) => t.output.toString('utf8')).join(''),
      exit,
      cwd: ep.cwd,
      timedOut: ran.some((t) => t.timedOut),
      truncated: ran.some((t) => t.truncated),
      episode_id: ep.id,
      step: ep.steps,
    };
    if (ran.some((t) => t.stderr !== undefined)) observation.stderr = ran.map((t) => t.stderr?.toString('utf8') ?? '').join('');
    const incident = ran.find((t) => t.incident)?.incident;
    if (incident) observation.incident = incident;
    if (this.screen) observation.terminal = terminusText(await this.screen.render());
    if (ep.done) {
      if (ep.doneReason !== undefined) observation.done_reason = ep.doneReason;
      if (ep.verifier) observation.verifier = ep.verifier;
    }
    const reward = ep.task ? (ep.done ? (ep.reward ?? 0) : 0) : null;
    return { observation, reward, done: ep.done };
  }

  private async runCmd(ep: Episode, cmd: string, timeoutMs: number, echoed = false): Promise<Turn> {
    const t = await ep.term.run(cmd, { timeoutMs });
    ep.turns.push(t);
    ep.cwd = t.cwd;
    if (this.screen) {
      const out =
        (this.spec.mode ?? 'pty') === 'pipe'
          ? Buffer.from(
              Buffer.concat([t.output, t.stderr ?? Buffer.alloc(0)])
                .toString('latin1')
                .replace(/\n/g, '\r\n'),
              'latin1',
            )
          : t.output;
      if (!echoed) this.screen.feed(cmd.replace(/\n/g, '\r\n> '));
      this.screen.feed('\r\n');
      this.screen.feed(out);
      this.screen.feed(promptFor(t.cwd));
    }
    return t;
  }

  /** Terminus-2 keystrokes; a whole string that is a tmux key name (C-c, C-d, C-u, C-l, Enter, Escape) acts as that key. Returns the exit status to report when no command ran (C-c: 130). */
  private async typeKeys(ep: Episode, keys: string, timeoutMs: number, ran: Turn[]): Promise<number | null> {
    switch (keys) {
      case 'C-c':
        ep.pending = '';
        this.screen?.feed(`^C\r\n${promptFor(ep.cwd)}`);
        return 130;
      case 'C-u':
        ep.pending = '';
        this.screen?.feed(`\r\x1b[K${promptFor(ep.cwd)}`);
        return null;
      case 'C-l':
        this.screen?.clear();
        this.screen?.feed(promptFor(ep.cwd) + ep.pending);
        return null;
      case 'C-d':
        if (ep.pending === '') {
          this.screen?.feed('exit\r\n');
          await this.end(ep, 'exit');
        }
        return null;
      case 'Escape':
        return null;
      case 'Enter':
        keys = '\n';
        break;
      default:
        break;
    }
    const before = ep.pending;
    const { commands, rest } = takeCommands(before + keys);
    if (commands.length === 0) {
      ep.pending = rest;
      this.screen?.feed(keys.replace(/\r?\n/g, '\r\n> '));
      return null;
    }
    for (const [i, cmd] of commands.entries()) {
      if (this.screen) {
        // What is on screen already (the pending text) is not echoed twice.
        const shown = i === 0 ? cmd.slice(before.length) : cmd;
        this.screen.feed(shown.replace(/\n/g, '\r\n> '));
      }
      ran.push(await this.runCmd(ep, cmd, timeoutMs, true));
      if (ep.term.dead) break;
    }
    ep.pending = rest;
    if (rest !== '') this.screen?.feed(rest.replace(/\n/g, '\r\n> '));
    return null;
  }

  /** Done: run the task's verifier in the same session, set the reward, store the episode. */
  private async end(ep: Episode, reason: string): Promise<void> {
    if (ep.task && !ep.term.dead) {
      try {
        const b64 = Buffer.from(ep.task.verifier).toString('base64');
        await ep.term.run(`printf '%s' '${b64}' | base64 -d > /tmp/.tw_verify.sh`);
        const exit = (await ep.term.run('bash /tmp/.tw_verify.sh >/dev/null 2>&1', { timeoutMs: 60_000 })).exit;
        ep.verifier = { exit, passed: exit === 0 };
        ep.reward = exit === 0 ? 1 : 0;
      } catch {
        ep.reward = 0;
      }
    } else if (ep.task) ep.reward = 0;
    await this.finish(reason, true);
  }

  /** Record the episode's end and close its terminal in the background; resolves once the
   *  episode is stored (written and fsynced). */
  private finish(reason: string, done: boolean): Promise<void> {
    const ep = this.ep;
    if (!ep) return Promise.resolve();
    return this.finishEpisode(ep, reason, done);
  }

  private finishEpisode(ep: Episode, reason: string, done: boolean): Promise<void> {
    let stored: Promise<void> = Promise.resolve();
    if (!ep.done || ep.doneReason === undefined) {
      ep.done = true;
      ep.doneReason = reason;
      stored = this.store(ep, done);
    }
    if (this.ep === ep && reason !== 'submit' && reason !== 'max_steps' && reason !== 'exit' && reason !== 'died') this.ep = null;
    const c = closeOnce(ep.term);
    this.closing.add(c);
    void c.finally(() => this.closing.delete(c));
    return stored;
  }

  private store(ep: Episode, done: boolean): Promise<void> {
    const st = this.spec.store;
    if (!st) return Promise.resolve();
    const gym: GymEpisodeMeta = {
      format: GYM_EPISODE_FORMAT,
      version: GYM_EPISODE_VERSION,
      episode_id: ep.id,
      done_reason: ep.doneReason ?? 'closed',
      done,
      reward: ep.task ? (ep.reward ?? 0) : null,
      steps: ep.steps,
      started_at: ep.startedAt.toISOString(),
      ended_at: new Date().toISOString(),
      request_ids: ep.requestIds,
      ...(ep.verifier ? { verifier: ep.verifier } : {}),
    };
    const info = ep.term.info as { image?: unknown };
    const image = isImage(info.image) ? info.image : null;
    return st.append(
      newSession({
        id: `gym-${ep.id}`,
        backend: this.backend.name,
        mode: this.spec.mode ?? 'pty',
        seed: ep.task?.seed ?? ep.seed,
        image,
        setup: ep.task?.setup ?? [],
        turns: ep.turns.map((t) => turnToRecord(t)),
        meta: {
          gym,
          ...(ep.task ? { task: { id: ep.task.id, family: ep.task.family, instruction: ep.task.instruction, success: ep.verifier?.passed ?? false } } : {}),
        },
      }),
    );
  }
}

/** The action, validated. The common `{command: "..."}` is checked by hand (what actionSchema
 *  would accept: only that key, a string within the limit); anything else goes through zod. */
function parseAction(raw: unknown): GymAction {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    let n = 0;
    for (const k in o) if (Object.hasOwn(o, k)) n++;
    const c = o['command'];
    if (n === 1 && typeof c === 'string' && c.length <= COMMAND_MAX) return { command: c };
  }
  const parsed = actionSchema.safeParse(raw);
  if (!parsed.success)
    throw new GymError('VALIDATION_ERROR', `invalid action: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
      errors: issuesOf(parsed.error, ['action']),
    });
  return parsed.data;
}

const closed = new WeakMap<Terminal, Promise<void>>();
/** Close a terminal exactly once: a second close() of a real session closes its clock's file
 *  descriptor again, which by then may belong to something else (a socket, a cgroup file). */
function closeOnce(t: Terminal): Promise<void> {
  let p = closed.get(t);
  if (!p) {
    p = t.close().catch(() => undefined);
    closed.set(t, p);
  }
  return p;
}

function isImage(x: unknown): x is { id: string; version: string } {
  return typeof x === 'object' && x !== null && typeof (x as { id?: unknown }).id === 'string' && typeof (x as { version?: unknown }).version === 'string';
}

function familyOrError(name: string): (typeof TASK_FAMILIES)[number] {
  try {
    return familyByName(name);
  } catch (e) {
    const hint = e instanceof TwError && e.hint ? `: ${e.hint}` : '';
    throw new GymError('VALIDATION_ERROR', `${(e as Error).message}${hint}, "any" or "none"`);
  }
}

/** Open an environment (alias of GymEnv.open); `backend` overrides the registry's (a Backend of your own). */
export function openEnv(spec: GymSpec, backend?: Backend): Promise<GymEnv> {
  return GymEnv.open(spec, backend);
}
