/** inspect: the scratch-session moves (generate/scratch.ts draws them, weighted across every family's). */
import { posix } from 'node:path';
import { type Scratch, EXTS, name, q, syllableWord } from '../../generate/scratchworld.js';
import { type Move, move } from '../types.js';

export const scratchMoves: readonly Move<Scratch>[] = [
  move('cat', 6, (s, r) => {
    const f = s.pickFile(r);
    return f ? `cat ${r.bool(0.15) ? '-n ' : ''}${s.rel(f)}` : null;
  }),
  move('head-tail', 2, (s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return `${r.pick(['head', 'tail'])} -n ${r.int(1, 3)} ${s.rel(f)}`;
  }),
  move('wc', 2.5, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    return `wc ${r.pick(['-l', '-l', '-w', '-c', ''])}${' '}${s.rel(f)}`.replace('  ', ' ');
  }),
  move('grep', 3, (s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    const ws = (s.files.get(f) ?? [])
      .join(' ')
      .split(/[ =]/)
      .filter((w) => w.length > 1);
    const pat = ws.length > 0 && r.bool(0.75) ? r.pick(ws).slice(0, r.int(2, 4)) : syllableWord(r);
    return `grep ${r.pick(['', '', '-n ', '-c ', '-i ', '-v '])}${q(pat)} ${s.rel(f)}`;
  }),
  move('find', 1.5, (s, r) => {
    if (s.files.size === 0 || !s.cwd.startsWith(s.base)) return null;
    return r.pick(['find . -type f | sort', 'find . | sort', 'find . -type d | sort', `find . -name '*${r.pick(EXTS.filter((e) => e !== ''))}'`]);
  }),
  move('test-path', 2, (s, r) => {
    const p = r.bool(0.5) ? s.pickFile(r) : s.pickDir(r);
    const shown = p ?? posix.join(s.cwd, name(r));
    const test = r.pick(['-e', '-f', '-d', '-s']);
    return r.bool(0.5) ? `test ${test} ${s.rel(shown)} && echo yes || echo no` : `[ ${test} ${s.rel(shown)} ]; echo $?`;
  }),
  move('stat', 0.8, (s, r) => {
    const f = s.pickFile(r);
    return f ? `stat -c '${r.pick(['%s %n', '%n', '%F', '%a %n', '%s'])}' ${s.rel(f)}` : null;
  }),
];
