/** navigation: the scratch-session moves (generate/scratch.ts draws them, weighted across every family's). */
import { posix } from 'node:path';
import type { Scratch } from '../../generate/scratchworld.js';
import { type Move, move } from '../types.js';

export const scratchMoves: readonly Move<Scratch>[] = [
  move('pwd', 3, () => 'pwd'),
  move('ls', 6, (s, r) => {
    const flag = r.pick(['', '', '', '-a', '-1', '-A', '-F', '-l', '-r']);
    const d = s.pickDir(r);
    const where = d && d !== s.cwd && r.bool(0.3) ? ' ' + s.rel(d) : '';
    return `ls${flag ? ' ' + flag : ''}${where}`;
  }),
  move('cd-subdir', 3, (s, r) => {
    const sub = s.ownDirs().filter((d) => posix.dirname(d) === s.cwd);
    if (sub.length === 0) return null;
    const d = r.pick(sub);
    s.prev = s.cwd;
    s.cwd = d;
    return `cd ${s.rel(d)}`;
  }),
  move('cd-up', 2, (s) => {
    if (s.cwd === s.base || !s.cwd.startsWith(s.base)) return null;
    s.prev = s.cwd;
    s.cwd = posix.dirname(s.cwd);
    return 'cd ..';
  }),
  move('cd-back', 1, (s) => {
    if (!s.prev || s.prev === s.cwd || !s.dirs.has(s.prev)) return null;
    const to = s.prev;
    s.prev = s.cwd;
    s.cwd = to;
    return 'cd -';
  }),
  move('cd-absolute', 1.5, (s, r) => {
    const d = r.bool(0.5) ? s.base : s.pickDir(r);
    if (!d || d === s.cwd) return null;
    s.prev = s.cwd;
    s.cwd = d;
    return `cd ${d}`;
  }),
];
