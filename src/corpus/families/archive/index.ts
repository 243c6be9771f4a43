/** archive: tar (create, list, extract) and gzip/gunzip/zcat. */
import { posix } from 'node:path';
import { WORDS } from '../../generate/content.js';
import { type Family, move } from '../types.js';

export const archive: Family<'archive'> = {
  name: 'archive',
  weight: 5,
  moves: [
    move('tar-create', 3, (w, r) => {
      const d = w.pickDir(r, (x) => x.startsWith(w.cwd + '/') && [...w.files.keys()].some((f) => f.startsWith(x + '/')));
      if (!d) return null;
      const name = `${posix.basename(d)}${r.pick(['', '-backup', '-' + r.int(1, 9)])}.tar.gz`;
      const at = posix.join(w.cwd, name);
      w.addFile(at, 'tar', null);
      w.next = { family: 'archive', p: 0.5, run: () => (w.files.has(at) ? `tar tzf ${w.rel(at)}${r.bool(0.5) ? ' | head -n 5' : ''}` : null) };
      return `tar ${r.pick(['czf', 'czvf', '-czf'])} ${name} ${w.rel(d)}`;
    }),
    move('tar-list', 2, (w, r) => {
      const t = w.pickFile(r, (f) => f.kind === 'tar');
      return t
        ? r.pick([`tar tzf ${w.rel(t.path)}`, `tar -tzf ${w.rel(t.path)} | head -n 5`, `tar tzf ${w.rel(t.path)} | wc -l`, `ls -l ${w.rel(t.path)}`])
        : null;
    }),
    move('tar-extract', 1.5, (w, r) => {
      const t = w.pickFile(r, (f) => f.kind === 'tar');
      if (!t) return null;
      const dest = `/tmp/${r.pick(['restore', 'extract', 'unpacked', r.pick(WORDS)])}`;
      w.addDir(dest);
      return `mkdir -p ${dest} && tar xzf ${w.rel(t.path)} -C ${dest} && ls ${dest}`;
    }),
    move('gzip', 1.5, (w, r) => {
      const f = w.pickFile(r, (x) => (x.kind === 'log' || x.kind === 'csv' || x.kind === 'txt') && x.lines !== null);
      if (!f) return null;
      w.removePath(f.path);
      w.addFile(f.path + '.gz', 'gz', f.lines);
      return `gzip ${r.bool(0.3) ? '-v ' : ''}${w.rel(f.path)}`;
    }),
    move('gunzip-or-zcat', 1.5, (w, r) => {
      const f = w.pickFile(r, (x) => x.kind === 'gz');
      if (!f) return null;
      if (r.bool(0.5)) return `zcat ${w.rel(f.path)} | head -n ${r.int(2, 5)}`;
      const orig = f.path.slice(0, -3);
      w.removePath(f.path);
      w.addFile(orig, 'txt', f.lines);
      return `gunzip ${w.rel(f.path)}`;
    }),
    move('tar-files', 1, (w, r) => {
      const fs = w
        .filesIn(w.cwd)
        .filter((f) => f.lines !== null)
        .slice(0, 4);
      if (fs.length === 0) return null;
      const name = `${r.pick(['bundle', 'files', 'snapshot'])}.tar`;
      w.addFile(posix.join(w.cwd, name), 'tar', null);
      return `tar cf ${name} ${fs.map((f) => w.rel(f.path)).join(' ')} && tar tf ${name}`;
    }),
  ],
  scratch: [],
};
