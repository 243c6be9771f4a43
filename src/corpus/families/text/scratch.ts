/** text: the scratch-session moves (generate/scratch.ts draws them, weighted across every family's). */
import { type Scratch, syllableWord, word } from '../../generate/scratchworld.js';
import { type Move, move } from '../types.js';

export const scratchMoves: readonly Move<Scratch>[] = [
  move('filter-file', 4, (s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return `${r.pick(['sort', 'sort -r', 'sort -n', 'sort -u', 'uniq', 'tac', 'rev', 'nl', 'tr a-z A-Z <', "cut -d' ' -f1", "awk '{print $1}'", "awk '{print NF}'", 'sed -n 1p', "sed 's/ /_/g'"])} ${s.rel(f)}`;
  }),
  move('cat-pipe', 2, (s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return `cat ${s.rel(f)} | ${r.pick(['wc -l', 'sort', 'head -n 2', 'tr -d aeiou', "tr ' ' '\\n' | sort | uniq -c", 'grep -c ' + syllableWord(r).slice(0, 2)])}`;
  }),
  move('seq', 1.5, (_, r) => {
    const n = r.int(1, 12);
    return r.pick([`seq ${n}`, `seq ${n} ${n + r.int(1, 6)}`, `seq ${n} | paste -sd+ | bc`, `seq ${n} | tail -n 2`, `seq 1 ${r.int(2, 4)} ${n + 10}`]);
  }),
  move('printf-pipe', 1.5, (_, r) => {
    const ws = Array.from({ length: r.int(2, 6) }, () => word(r));
    return `printf '%s\\n' ${ws.join(' ')} | ${r.pick(['sort', 'sort -r', 'wc -l', 'head -n 1', 'tail -n 1', 'uniq', 'sort -n'])}`;
  }),
];
