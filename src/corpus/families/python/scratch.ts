/** python: the scratch-session moves (generate/scratch.ts draws them, weighted across every family's). */
import { type Scratch, line, syllableWord } from '../../generate/scratchworld.js';
import { type Move, move } from '../types.js';

export const scratchMoves: readonly Move<Scratch>[] = [
  move('one-liner', 1.2, (_, r) => {
    const a = r.int(0, 999);
    const b = r.int(1, 99);
    return r.pick([
      `python3 -c 'print(${a} ${r.pick(['+', '-', '*', '//', '%'])} ${b})'`,
      `python3 -c 'print("${syllableWord(r)}" * ${r.int(1, 4)})'`,
      `python3 -c 'print(len("${line(r)}"))'`,
      `python3 -c 'print(sorted([${a}, ${b}, ${r.int(0, 99)}]))'`,
      `python3 -c 'print(${a} / 0)'`,
    ]);
  }),
  move('count-words', 0.5, (s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return `python3 -c 'import sys; print(len(open(sys.argv[1]).read().split()))' ${s.rel(f)}`;
  }),
];
