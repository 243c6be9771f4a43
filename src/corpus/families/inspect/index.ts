/** inspect: cat, head, tail, wc, grep (-r -n -c -i -v), find, stat, file, diff, tree, du. */
import { posix } from 'node:path';
import type { Rng } from '../../../core/rng.js';
import type { FileState } from '../../generate/world.js';
import { capped, type Family, move } from '../types.js';
import { scratchMoves } from './scratch.js';

/** A word that occurs in the file (so grep finds something), or sometimes one that does not. */
export function grepWord(r: Rng, f: FileState): string {
  const words = [...new Set((f.lines ?? []).join(' ').match(/[A-Za-z_]{3,}/g) ?? [])];
  return words.length > 0 && r.bool(0.85) ? r.pick(words) : r.pick(['TODO', 'ERROR', 'import', 'def', 'port', 'missing']);
}

function small(f: FileState): boolean {
  return f.lines !== null && f.lines.length <= 30 && f.kind !== 'gz' && f.kind !== 'tar';
}

export const inspect: Family<'inspect'> = {
  name: 'inspect',
  weight: 20,
  moves: [
    move('cat', 6, (w, r) => {
      const f = w.pickFile(r, small);
      return f ? `cat ${r.bool(0.15) ? '-n ' : ''}${w.rel(f.path)}` : null;
    }),
    move('head-tail', 2, (w, r) => {
      const f = w.textFile(r);
      return f ? `${r.pick(['head', 'tail'])} -n ${r.int(1, 5)} ${w.rel(f.path)}` : null;
    }),
    move('wc', 2, (w, r) => {
      const f = w.textFile(r);
      if (!f) return null;
      return r.bool(0.2)
        ? `wc -l ${w.rel(posix.dirname(f.path)) === '.' ? '*' + (posix.extname(f.path) || '') : w.rel(f.path)}`
        : `wc ${r.pick(['-l', '-w', '-c', ''])} ${w.rel(f.path)}`.replace('  ', ' ');
    }),
    move('grep', 3, (w, r) => {
      const f = w.textFile(r);
      if (!f) return null;
      const flag = r.pick(['', '-n', '-c', '-i', '-v', '-in', '-w']);
      return `grep ${flag ? flag + ' ' : ''}${grepWord(r, f)} ${w.rel(f.path)}`;
    }),
    move('grep-recursive', 2, (w, r) => {
      const f = w.textFile(r);
      if (!f) return null;
      if (!w.smallTree()) return null;
      const cmd = `grep -r${r.pick(['n', 'l', 'c', 'n', ''])} ${grepWord(r, f)} ${r.pick(['.', w.rel(posix.dirname(f.path))])}`;
      return r.bool(0.3) ? capped(cmd, r) : cmd;
    }),
    move('find', 2, (w, r) => {
      if (!w.smallTree()) return null;
      const exts = [
        ...new Set(
          [...w.files.keys()]
            .filter((p) => p.startsWith(w.cwd + '/'))
            .map((p) => posix.extname(p))
            .filter((e) => e),
        ),
      ];
      const pat = exts.length ? `'*${r.pick(exts)}'` : `'*.${r.pick(['py', 'txt', 'log'])}'`;
      const cmd = r.pick([`find . -name ${pat}`, `find . -type f`, `find . -type d`, `find . -maxdepth 1 -name ${pat}`, `find . -name ${pat} -type f`]);
      return r.bool(0.25) ? capped(cmd, r) : cmd;
    }),
    move('stat', 0.8, (w, r) => {
      const f = w.pickFile(r);
      return f ? `stat -c ${r.pick(["'%n %s'", "'%A %U %G %n'", "'%s bytes'", "'%F'"])} ${w.rel(f.path)}` : null;
    }),
    move('file', 0.8, (w, r) => {
      const f = w.pickFile(r);
      return f ? `file ${w.rel(f.path)}` : null;
    }),
    move('diff', 1.2, (w, r) => {
      const copies = [...w.files.values()].filter((f) => f.path.endsWith('.bak') || f.path.includes('_copy'));
      if (copies.length === 0) {
        const a = w.textFile(r);
        const b = w.textFile(r);
        return a && b && a !== b ? `diff ${w.rel(a.path)} ${w.rel(b.path)} | head -n 20` : null;
      }
      const c = r.pick(copies);
      const orig = c.path.endsWith('.bak') ? c.path.slice(0, -4) : c.path.replace('_copy', '');
      // not `diff -u`: its header shows file mtimes with nanoseconds, which the sandbox cannot fix
      return w.files.has(orig) ? `diff ${r.bool(0.2) ? '-q ' : ''}${w.rel(orig)} ${w.rel(c.path)}` : null;
    }),
    move('tree', 1, (w, r) => (!w.smallTree() || (w.cwd === w.home && !w.project) ? null : r.pick(['tree', 'tree -L 2', 'tree -a', 'tree --noreport']))),
    move('du', 0.8, (w, r) => (!w.smallTree() ? null : r.pick(['du -sh .', 'du -a | sort -n | tail -n 5', 'du -h --max-depth=1', 'du -s *']))),
  ],
  scratch: scratchMoves,
};
