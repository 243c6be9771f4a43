/**
 * A command family: a set of named, weighted moves, for both kinds of generated session. A move
 * reads the session's state (World in a project session, Scratch in a scratch session), returns
 * one command (or null when it does not apply now) and updates the state.
 */
import type { Rng } from '../../core/rng.js';
import type { Scratch } from '../generate/scratchworld.js';
import type { World } from '../generate/world.js';

export interface Move<S> {
  /** Unique within its family's list, so statistics and tests can name it. */
  readonly name: string;
  /** Relative share among its family's moves (project) or among all scratch moves (scratch). */
  readonly weight: number;
  readonly run: (s: S, r: Rng) => string | null;
}

export function move<S>(name: string, weight: number, run: (s: S, r: Rng) => string | null): Move<S> {
  return { name, weight, run };
}

export interface Family<N extends string = string> {
  name: N;
  /** Relative share of a project session's turns. */
  weight: number;
  /** Project-session moves (generate/session.ts). */
  moves: readonly Move<World>[];
  /** Scratch-session moves (generate/scratch.ts), in the order the scratch draw weighs them; empty where scratch sessions do not use the family. */
  scratch: readonly Move<Scratch>[];
}

/** Try the project moves in weighted-random order until one applies. */
export function runFamily(f: Family, w: World, r: Rng): string | null {
  const left = [...f.moves];
  while (left.length > 0) {
    const m = r.weighted(left.map((mv, i) => [i, mv.weight] as const));
    const entry = left[m];
    if (!entry) break;
    const cmd = entry.run(w, r);
    if (cmd !== null) return cmd;
    left.splice(m, 1);
  }
  return null;
}

/** `| head -n N` when a listing might run long, as an agent would. */
export function capped(cmd: string, r: Rng, n = 20): string {
  return r.bool(0.5) ? `${cmd} | head -n ${r.pick([5, 10, 15, n])}` : `${cmd} | head`;
}
