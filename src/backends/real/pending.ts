/**
 * One turn in flight: what the session's jobs (session.ts, confirm.ts, watchdog.ts,
 * escalation.ts) know and decide about the command being run, until the turn resolves.
 */
import type { Turn } from '../../core/terminal.js';
import type { Collector } from './collector.js';

export interface Pending {
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
  /** A prompt marker is being checked against the shell's own state (see confirm.ts): cancels the
   *  next check. */
  confirming: (() => void) | null;
  /** Checks made of the current marker. */
  checks: number;
  /** \# of the next intermediate prompt of a multi-line command, and how many there can be. */
  expectNum: number;
  maxCuts: number;
  incident: Turn['incident'];
  droppedBefore: number;
  /** Output ran far past the cap (see escalation.ts, watchRunaway). */
  runaway: boolean;
}
