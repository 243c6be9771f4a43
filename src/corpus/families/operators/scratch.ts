/** operators: the scratch-session moves (generate/scratch.ts draws them, weighted across every family's). */
import { posix } from 'node:path';
import { type Scratch, name, word } from '../../generate/scratchworld.js';
import { type Move, move } from '../types.js';

export const scratchMoves: readonly Move<Scratch>[] = [
  move('arithmetic', 3, (_, r) => {
    const a = r.int(0, 999);
    const b = r.int(1, 99);
    const op = r.pick(['+', '-', '*', '/', '%']);
    return r.bool(0.7) ? `echo $((${a} ${op} ${b}))` : `x=${a}; y=${b}; echo $((x ${op} y))`;
  }),
  move('and-or-list', 2.5, (_s, r) => {
    const w1 = word(r);
    const w2 = word(r);
    return r.pick([
      `true && echo ${w1}`,
      `false && echo ${w1} || echo ${w2}`,
      `false || echo ${w1}`,
      `echo ${w1}; echo ${w2}`,
      `false; echo $?`,
      `true; echo $?`,
      `echo ${w1} && false; echo $?`,
      `(exit ${r.int(2, 9)}); echo $?`,
    ]);
  }),
  move('subshell-cd', 1, (s, r) => {
    const d = s.pickDir(r);
    if (!d) return null;
    return `(cd ${s.rel(d)} && pwd); pwd`;
  }),
  move('command-substitution', 2, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    return r.pick([
      `echo "lines: $(wc -l < ${s.rel(f)})"`,
      `n=$(cat ${s.rel(f)} | wc -w); echo $n`,
      `echo \`wc -c < ${s.rel(f)}\``,
      `if [ -s ${s.rel(f)} ]; then echo full; else echo empty; fi`,
    ]);
  }),
  move('loop-or-brace', 2, (_, r) => {
    const ws = Array.from({ length: r.int(2, 4) }, () => word(r));
    return r.pick([
      `for i in ${ws.join(' ')}; do echo "item $i"; done`,
      `for i in $(seq ${r.int(2, 5)}); do echo $((i * ${r.int(2, 9)})); done`,
      `echo {${ws.join(',')}}`,
      `echo {1..${r.int(2, 9)}}`,
      `echo ${ws[0]}{1,2,3}`,
    ]);
  }),
  move('glob-loop', 1, (s, r) => {
    if (s.files.size === 0) return null;
    const ext = [
      ...new Set(
        [...s.files.keys()]
          .filter((f) => posix.dirname(f) === s.cwd)
          .map((f) => posix.extname(f))
          .filter((e) => e),
      ),
    ];
    if (ext.length === 0) return null;
    return `for f in *${r.pick(ext)}; do echo "$f"; done`;
  }),
  move('while-read', 1, (s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return `while read -r l; do echo "${r.pick(['>', '-', '#'])} $l"; done < ${s.rel(f)}`;
  }),
  move('redirect-sort', 1, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    const out = posix.join(s.cwd, s.freshName(r, s.cwd));
    s.addFile(out, [...(s.files.get(f) ?? [])].sort());
    s.lastWritten = out;
    return `sort < ${s.rel(f)} > ${s.rel(out)}`;
  }),
  move('redirect-stderr', 1, (s, r) => {
    const m = posix.join(s.cwd, name(r));
    if (s.exists(m)) return null;
    return r.pick([`ls ${s.rel(m)} 2>/dev/null || echo missing`, `cat ${s.rel(m)} 2>&1 | head -n 1`, `ls ${s.rel(m)} > /dev/null 2>&1; echo $?`]);
  }),
];
