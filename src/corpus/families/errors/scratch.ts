/** errors: the scratch-session moves (generate/scratch.ts draws them, weighted across every family's). */
import { posix } from 'node:path';
import { type Scratch, syllableWord, word } from '../../generate/scratchworld.js';
import { type Move, move } from '../types.js';

export const scratchMoves: readonly Move<Scratch>[] = [
  move('missing-file', 3, (s, r) => {
    const m = posix.join(s.cwd, s.freshName(r, s.cwd));
    return `${r.pick(['cat', 'ls', 'rm', 'head -n 1', 'wc -l', 'cd', 'grep x'])} ${s.rel(m)}`;
  }),
  move('unknown-command', 1.5, (_, r) => `${syllableWord(r)}${r.bool(0.3) ? ' ' + word(r) : ''}`),
  move('misuse-dir', 1, (s, r) => {
    const d = s.pickDir(r);
    if (!d) return null;
    return r.pick([`mkdir ${s.rel(d)}`, `cat ${s.rel(d)}`, `rmdir ${s.rel(d)}`]);
  }),
  move('misuse-file', 0.8, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    return r.pick([`./${s.rel(f)}`, `cd ${s.rel(f)}`, `mkdir ${s.rel(f)}`]);
  }),
  move('bad-flag-or-syntax', 1, (_, r) =>
    r.pick([
      `ls --${syllableWord(r)}`,
      `wc -${r.pick(['q', 'z', 'j'])} /dev/null`,
      `echo (${syllableWord(r)}`,
      `if true; then echo ${syllableWord(r)}; fi fi`,
      `grep -q ${syllableWord(r)} /etc/hostname; echo $?`,
    ]),
  ),
];
