/** operators: pipes, redirects, subshells, &&, ||, $(...), $((...)), loops and tests. */
import { posix } from 'node:path';
import { WORDS } from '../../generate/content.js';
import { type Family, move } from '../types.js';
import { scratchMoves } from './scratch.js';

export const operators: Family<'operators'> = {
  name: 'operators',
  weight: 8,
  moves: [
    move('subshell-cd', 1, (w, r) => {
      const sub = w.subdirs(w.cwd);
      if (sub.length === 0) return null;
      return `(cd ${w.rel(r.pick(sub))} && ${r.pick(['ls', 'pwd', 'ls -1 | wc -l'])})`;
    }),
    move('command-substitution', 1.5, (w, r) => {
      const f = w.textFile(r);
      return r.pick([
        `echo "files: $(ls | wc -l)"`,
        `echo "today is $(date +%A)"`,
        f ? `echo "${posix.basename(f.path)} has $(wc -l < ${w.rel(f.path)}) lines"` : `echo "cwd: $(pwd)"`,
      ]);
    }),
    move('arithmetic', 1.5, (_w, r) => {
      const a = r.int(2, 99),
        b = r.int(2, 99);
      return r.pick([
        `echo $((${a} + ${b}))`,
        `echo $((${a} * ${b}))`,
        `echo $((${a * b} / ${b}))`,
        `echo $((${a} % ${r.int(2, 9)}))`,
        `x=${a}; echo $((x * 2 + ${b}))`,
      ]);
    }),
    move('test-and-or', 1.5, (w, r) => {
      const f = w.pickFile(r);
      const p = f ? w.rel(f.path) : `${r.pick(WORDS)}.txt`;
      return r.pick([
        `test -f ${p} && echo exists || echo missing`,
        `[ -d ${r.pick(['src', 'logs', 'data', 'tmp'])} ] && echo dir || echo "no dir"`,
        `if [ -s ${p} ]; then echo "not empty"; else echo empty; fi`,
      ]);
    }),
    move('for-loop', 1.5, (w, r) => {
      const exts = [
        ...new Set(
          w
            .filesIn(w.cwd)
            .map((x) => posix.extname(x.path))
            .filter((e) => e),
        ),
      ];
      if (exts.length === 0) return `for i in $(seq 1 ${r.int(2, 4)}); do echo "run $i"; done`;
      return `for f in *${r.pick(exts)}; do echo "== $f"; ${r.pick(['wc -l < "$f"', 'head -n 1 "$f"', 'echo ${#f}'])}; done`;
    }),
    move('redirect-output', 1.2, (w, r) => {
      const f = w.textFile(r);
      if (!f) return null;
      const out = posix.join(w.cwd, `${r.pick(['out', 'result', 'summary'])}.txt`);
      w.addFile(out, 'txt', null);
      return `${r.pick([`grep -c . ${w.rel(f.path)}`, `wc -l ${w.rel(f.path)}`, `head -n 2 ${w.rel(f.path)}`])} > ${w.rel(out)} && cat ${w.rel(out)}`;
    }),
    move('redirect-stderr', 1.2, (_w, r) =>
      r.pick([
        'ls /nonexistent 2>&1 | head -n 1',
        'ls /nonexistent 2>/dev/null; echo "status $?"',
        'cat missing.txt 2>/dev/null || echo "no such file"',
        'true && echo ok',
        'false || echo recovered',
        'echo $?',
      ]),
    ),
    move('pipe', 1, (w, r) => {
      const f = w.textFile(r);
      return f ? `cat ${w.rel(f.path)} | ${r.pick(['wc -l', 'head -n 3', 'grep -c e', 'sort | head -n 3', 'tail -n 1'])}` : null;
    }),
    move('list-and-group', 0.8, (_w, r) =>
      r.pick(['echo one; echo two', `{ echo start; echo ${r.pick(WORDS)}; } | tr a-z A-Z`, 'echo hidden > /dev/null; echo visible']),
    ),
    move('mkdir-cd-chain', 0.3, (w, r) => {
      const d = `/tmp/${r.pick(WORDS)}`;
      w.addDir(d);
      w.prev = w.cwd;
      w.cwd = d;
      return `mkdir -p ${d} && cd ${d} && pwd`;
    }),
  ],
  scratch: scratchMoves,
};
