/** text: sort, uniq, cut, tr, awk, sed, xargs over files the session wrote. */
import type { World } from '../../generate/world.js';
import { WORDS } from '../../generate/content.js';
import { type Family, move } from '../types.js';
import { scratchMoves } from './scratch.js';
import type { Rng } from '../../../core/rng.js';

function csv(w: World, r: Rng) {
  return w.textFile(r, ['csv']);
}

export const text: Family<'text'> = {
  name: 'text',
  weight: 12,
  moves: [
    move('sort', 2, (w, r) => {
      const f = w.textFile(r, ['txt', 'log', 'csv', 'md']);
      return f ? `sort ${r.pick(['', '-r ', '-u ', '-f '])}${w.rel(f.path)}` : null;
    }),
    move('uniq-count', 1.5, (w, r) => {
      const f = w.textFile(r, ['txt']);
      return f ? `sort ${w.rel(f.path)} | uniq -c${r.bool(0.5) ? ' | sort -rn' : ''}` : null;
    }),
    move('cut-csv', 1.5, (w, r) => {
      const f = csv(w, r);
      if (!f) return null;
      const col = r.int(1, 3);
      return r.pick([
        `cut -d, -f${col} ${w.rel(f.path)}`,
        `cut -d, -f${col} ${w.rel(f.path)} | sort | uniq`,
        `tail -n +2 ${w.rel(f.path)} | cut -d, -f${col} | sort | uniq -c`,
      ]);
    }),
    move('awk-csv', 2, (w, r) => {
      const f = csv(w, r);
      if (!f) return null;
      return r.pick([
        `awk -F, 'NR>1 {s+=$${r.int(2, 3)}} END {print s}' ${w.rel(f.path)}`,
        `awk -F, 'NR>1 && $${r.int(2, 3)} > ${r.int(10, 60)} {print $1}' ${w.rel(f.path)}`,
        `sort -t, -k${r.int(2, 3)} -n ${w.rel(f.path)}`,
        `awk -F, '{print NR": "$1}' ${w.rel(f.path)}`,
        `awk -F, 'NR>1 {n++; s+=$${r.int(2, 3)}} END {printf "%.2f\\n", s/n}' ${w.rel(f.path)}`,
      ]);
    }),
    move('awk-log', 1.5, (w, r) => {
      const f = w.textFile(r, ['log']);
      if (!f) return null;
      return r.pick([
        `awk '{print $3}' ${w.rel(f.path)} | sort | uniq -c`,
        `awk '$3 == "ERROR"' ${w.rel(f.path)}`,
        `cut -d' ' -f4 ${w.rel(f.path)} | sort -u`,
        `grep -o '\\[[a-z]*\\]' ${w.rel(f.path)} | sort | uniq -c | sort -rn`,
      ]);
    }),
    move('tr', 1, (w, r) => {
      const f = w.textFile(r);
      return f
        ? r.pick([
            `tr 'a-z' 'A-Z' < ${w.rel(f.path)}`,
            `tr -d '0-9' < ${w.rel(f.path)} | head -n 5`,
            `tr -s ' ' < ${w.rel(f.path)} | head -n 3`,
            `cat ${w.rel(f.path)} | tr ',' '\\t'`,
          ])
        : null;
    }),
    move('sed-lines', 1.5, (w, r) => {
      const f = w.textFile(r);
      if (!f?.lines) return null;
      const n = f.lines.length;
      const a = r.int(1, Math.max(1, n));
      return r.pick([
        `sed -n '${a},${Math.min(n, a + r.int(0, 3))}p' ${w.rel(f.path)}`,
        `sed 's/${r.pick(['a', 'e', 'o'])}/_/g' ${w.rel(f.path)} | head -n 4`,
        `sed '${a}d' ${w.rel(f.path)}`,
        `sed -n '/${r.pick(WORDS).slice(0, 3)}/p' ${w.rel(f.path)}`,
      ]);
    }),
    move('xargs', 1.2, (w, r) => {
      if (!w.smallTree()) return null;
      const exts = [
        ...new Set([...w.files.values()].filter((x) => x.lines && x.path.startsWith(w.cwd + '/')).map((x) => x.path.split('.').pop() ?? '')),
      ].filter((e) => e && e.length <= 4);
      if (exts.length === 0) return r.pick(['echo alpha beta gamma | xargs -n1', 'seq 1 5 | xargs echo', 'printf "a\\nb\\nc\\n" | xargs -I{} echo item-{}']);
      const e = r.pick(exts);
      return r.pick([
        `find . -name '*.${e}' | xargs wc -l`,
        `ls *.${e} | xargs -n1 echo`,
        `find . -name '*.${e}' -print0 | xargs -0 grep -c ${r.pick(['a', 'e', 'def', 'INFO'])}`,
      ]);
    }),
    move('seq-pipe', 0.8, (_w, r) =>
      r.pick([
        `seq 1 ${r.int(3, 12)} | awk '{s+=$1} END {print s}'`,
        `seq ${r.int(2, 5)} ${r.int(6, 15)} | sort -rn | head -n 3`,
        `echo '${r
          .shuffle([...WORDS])
          .slice(0, 5)
          .join(' ')}' | tr ' ' '\\n' | sort`,
      ]),
    ),
  ],
  scratch: scratchMoves,
};
