/**
 * Scratch sessions: the other half of the generated corpus. Where `session.ts` plays an agent
 * working on a project under ~ with realistic but finite vocabularies (20 projects, fixed module
 * names), a scratch session works in a random folder (/tmp/x, /srv/y, /opt/z, ~ ...) with names and
 * contents drawn from an open-ended syllable generator. Every name and every line is new, so a model
 * trained on these cannot answer from memorised templates: it has to track the state the session
 * built (what exists, what a file holds, what a variable is set to) and copy or compute from it.
 *
 * The moves are the shell basics every agent session leans on: files and folders, reads, text
 * tools, variables and functions, operators and arithmetic, and the error paths of each. They live
 * with their families (families/<name>/scratch.ts, each named); a turn is tagged with the family
 * of its move. The state and the open vocabulary are in scratchworld.ts. Pure function of the
 * seed, like the project generator.
 */
import { ALL_FAMILIES } from '../families/index.js';
import type { Move } from '../families/types.js';
import type { Rng } from '../../core/rng.js';
import { name, Scratch } from './scratchworld.js';
import type { FamilyName } from './world.js';

/** The open vocabulary's word maker (grammar.ts uses it too). */
export { syllableWord } from './scratchworld.js';

export interface ScratchTurn {
  cmd: string;
  family: FamilyName;
}

const BASES = ['/tmp', '/tmp', '/root', '/root', '/srv', '/opt', '/var/tmp', '/home', '/mnt'];

const t = (cmd: string, family: FamilyName): ScratchTurn => ({ cmd, family });

/** Every family's scratch moves, in the registry's order (the order is part of the draw). */
const MOVES: readonly { family: FamilyName; move: Move<Scratch> }[] = ALL_FAMILIES.flatMap((f) => f.scratch.map((move) => ({ family: f.name, move })));

/** The first turn(s): make the scratch folder and go there (or just look around where we are). */
function opening(s: Scratch, r: Rng, push: (x: ScratchTurn) => void): void {
  if (s.base === '/root' || s.base === '/tmp') {
    if (r.bool(0.5)) push(t(r.pick(['pwd', 'ls', 'ls -a', `cd ${s.base}`]), 'navigation'));
    return;
  }
  push(t(r.bool(0.6) ? `mkdir -p ${s.base} && cd ${s.base}` : `mkdir ${s.base}; cd ${s.base}`, 'navigation'));
}

/**
 * A scratch session of `n` turns. Most writes are checked soon after (an agent reads back what
 * it wrote), so state dependencies are dense.
 */
export function scratchTurns(r: Rng, n: number): ScratchTurn[] {
  const root = r.pick(BASES);
  const base = root === '/root' || root === '/tmp' ? (r.bool(0.5) ? root : `${root}/${name(r)}`) : `${root}/${name(r)}`;
  const s = new Scratch(base);
  const turns: ScratchTurn[] = [];
  const push = (x: ScratchTurn): void => {
    if (turns.length < n) turns.push(x);
  };
  opening(s, r, push);
  let guard = 0;
  while (turns.length < n && guard++ < n * 30) {
    if (s.lastWritten && s.files.has(s.lastWritten) && r.bool(0.45)) {
      const p = s.lastWritten;
      s.lastWritten = null;
      push(t(r.pick([`cat ${s.rel(p)}`, `cat ${s.rel(p)}`, 'ls', `wc -l ${s.rel(p)}`]), 'inspect'));
      continue;
    }
    s.lastWritten = null;
    const k = r.weighted(MOVES.map((m, i) => [i, m.move.weight] as const));
    const m = MOVES[k];
    if (!m) continue;
    const cmd = m.move.run(s, r);
    if (cmd === null) continue;
    const turn = t(cmd, m.family);
    const last = turns[turns.length - 1];
    if (last && last.cmd === turn.cmd) continue;
    push(turn);
  }
  return turns;
}
