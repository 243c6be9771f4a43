/** navigation: cd, pwd, ls and its common flags. */
import { posix } from 'node:path';
import type { Rng } from '../../../core/rng.js';
import type { World } from '../../generate/world.js';
import { type Family, move } from '../types.js';
import { scratchMoves } from './scratch.js';

function cdTo(w: World, target: string, shown: string): string {
  w.prev = w.cwd;
  w.cwd = target;
  return `cd ${shown}`;
}

const LS_FLAGS = ['', '', '-l', '-la', '-a', '-1', '-lh', '-lt', '-F', '-A'];

export const navigation: Family<'navigation'> = {
  name: 'navigation',
  weight: 14,
  moves: [
    move('pwd', 2, () => 'pwd'),
    move('ls', 5, (w, r) => {
      const flag = r.pick(LS_FLAGS);
      const sub = w.subdirs(w.cwd);
      const where = sub.length > 0 && r.bool(0.3) ? ' ' + w.rel(r.pick(sub)) : '';
      return `ls${flag ? ' ' + flag : ''}${where}`;
    }),
    move('cd-subdir', 3, (w, r) => {
      const sub = w.subdirs(w.cwd);
      if (sub.length === 0) return null;
      const d = r.pick(sub);
      return cdTo(w, d, w.rel(d));
    }),
    // never up from ~ to /: `ls -l /` shows /proc's link count, which leaks the host's process count
    move('cd-up', 2, (w) => (w.cwd === '/' || w.cwd === w.home || w.cwd === '/tmp' ? null : cdTo(w, posix.dirname(w.cwd), '..'))),
    move('cd-back', 0.7, (w) => (w.prev && w.dirs.has(w.prev) && w.prev !== w.cwd ? cdTo(w, w.prev, '-') : null)),
    move('cd-home', 1, (w, r) => (w.cwd === w.home ? null : cdTo(w, w.home, r.pick(['', '~', '$HOME']) || '~'))),
    move('cd-project', 1.5, (w) => (w.project && w.cwd !== w.project ? cdTo(w, w.project, w.rel(w.project)) : null)),
    move('cd-absolute', 1, (w: World, r: Rng) => {
      const d = w.pickDir(r, (x) => x !== w.cwd && x.split('/').length > 2);
      return d ? cdTo(w, d, d) : null;
    }),
    move('ls-glob', 1, (w, r) => {
      const kinds = [
        ...new Set(
          w
            .filesIn(w.cwd)
            .map((f) => posix.extname(f.path))
            .filter((e) => e !== ''),
        ),
      ];
      if (kinds.length === 0) return null;
      return `ls ${r.pick(['', '-l '])}*${r.pick(kinds)}`;
    }),
    move('ls-recursive', 0.5, (w) => (w.files.size > 0 && w.files.size < 25 && w.cwd !== w.home && w.smallTree() ? 'ls -R' : null)),
  ],
  scratch: scratchMoves,
};
