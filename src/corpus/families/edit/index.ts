/** edit: creating and editing files: echo/printf redirects, heredocs, tee, sed -i, mkdir -p,
 *  cp, mv, rm, ln, chmod, touch. */
import { posix } from 'node:path';
import type { Rng } from '../../../core/rng.js';
import { DIRS, PROJECTS, randomContent, sq, WORDS, type ContentKind } from '../../generate/content.js';
import type { World } from '../../generate/world.js';
import { type Family, move } from '../types.js';
import { scratchMoves } from './scratch.js';

/** Where a new file of this kind goes: a fitting subfolder when one exists, else the cwd. */
function homeFor(w: World, r: Rng, kind: ContentKind): string {
  const wants: Partial<Record<ContentKind, string[]>> = {
    py: ['src', 'lib', 'app', 'utils'],
    log: ['logs'],
    csv: ['data', 'reports'],
    ini: ['config'],
    yaml: ['config'],
    sh: ['scripts'],
  };
  const subs = w.subdirs(w.cwd).filter((d) => (wants[kind] ?? []).includes(posix.basename(d)));
  return subs.length > 0 && r.bool(0.7) ? r.pick(subs) : w.cwd;
}

/** Write a fresh file with a heredoc, printf or echo lines. */
export function createFile(w: World, r: Rng, prefer?: ContentKind): string {
  const c = randomContent(r, prefer);
  const dir = homeFor(w, r, c.kind);
  const abs = posix.join(dir, c.name);
  const p = w.rel(abs);
  w.addFile(abs, c.kind, c.lines, false);
  const style = c.lines.length <= 4 ? r.pick(['printf', 'echo', 'heredoc']) : r.bool(0.85) ? 'heredoc' : 'printf';
  if (style === 'heredoc') return `cat > ${p} <<'EOF'\n${c.lines.join('\n')}\nEOF`;
  if (style === 'printf') return `printf ${sq(c.lines.map((l) => l.replace(/\\/g, '\\\\').replace(/%/g, '%%')).join('\\n') + '\\n')} > ${p}`;
  return c.lines.map((l, i) => `echo ${sq(l)} ${i === 0 ? '>' : '>>'} ${p}`).join(' && ');
}

export const edit: Family<'edit'> = {
  name: 'edit',
  weight: 14,
  moves: [
    move('create-file', 6, (w, r) => createFile(w, r)),
    move('mkdir', 2.5, (w, r) => {
      const d = w.cwd === w.home && !w.project ? posix.join(w.home, r.pick(PROJECTS)) : posix.join(w.cwd, r.pick(DIRS));
      if (w.dirs.has(d)) return null;
      const deep = r.bool(0.3) ? posix.join(d, r.pick(DIRS)) : d;
      w.addDir(deep);
      w.next = {
        family: 'navigation',
        p: 0.3,
        run: () => {
          if (!w.dirs.has(d)) return null;
          w.prev = w.cwd;
          const shown = w.rel(d);
          w.cwd = d;
          return `cd ${shown}`;
        },
      };
      return `mkdir -p ${w.rel(deep)}`;
    }),
    move('append-line', 2, (w, r) => {
      const f = w.textFile(r, ['txt', 'md', 'log', 'csv']);
      if (!f?.lines) return null;
      const line =
        f.kind === 'csv'
          ? (f.lines[1] ?? 'x,y,z')
          : f.kind === 'log'
            ? (f.lines[0] ?? 'INFO ok')
            : r.pick(WORDS) + (f.kind === 'md' ? ' is documented here.' : '');
      f.lines.push(line);
      return r.bool(0.7) ? `echo ${sq(line)} >> ${w.rel(f.path)}` : `echo ${sq(line)} | tee -a ${w.rel(f.path)}`;
    }),
    move('sed-in-place', 2, (w, r) => {
      const f = w.textFile(r);
      if (!f?.lines) return null;
      const words = [...new Set(f.lines.join(' ').match(/[a-z]{4,}/g) ?? [])];
      if (words.length === 0) return null;
      const from = r.pick(words);
      const to = r.pick(WORDS);
      const g = r.bool(0.5);
      f.lines = f.lines.map((l) => (g ? l.split(from).join(to) : l.replace(from, to)));
      w.next = {
        family: 'inspect',
        p: 0.5,
        run: () => (w.files.get(f.path) === f ? r.pick([`grep -n ${to} ${w.rel(f.path)}`, `cat ${w.rel(f.path)}`, `head -n 5 ${w.rel(f.path)}`]) : null),
      };
      return `sed -i 's/${from}/${to}/${g ? 'g' : ''}' ${w.rel(f.path)}`;
    }),
    move('cp', 1.5, (w, r) => {
      const f = w.pickFile(r, (x) => x.lines !== null);
      if (!f) return null;
      const ext = posix.extname(f.path);
      const dst = r.bool(0.5) ? f.path + '.bak' : posix.join(posix.dirname(f.path), posix.basename(f.path, ext) + '_copy' + ext);
      w.addFile(dst, f.kind, f.lines ? [...f.lines] : null, f.exec);
      return `cp ${w.rel(f.path)} ${w.rel(dst)}`;
    }),
    move('mv', 1, (w, r) => {
      const f = w.pickFile(r);
      if (!f) return null;
      const ext = posix.extname(f.path);
      const subs = w.subdirs(posix.dirname(f.path));
      const dst =
        subs.length > 0 && r.bool(0.4) ? posix.join(r.pick(subs), posix.basename(f.path)) : posix.join(posix.dirname(f.path), `${r.pick(WORDS)}${ext}`);
      if (w.files.has(dst)) return null;
      w.movePath(f.path, dst);
      return `mv ${w.rel(f.path)} ${w.rel(dst)}`;
    }),
    move('rm', 1, (w, r) => {
      const f = w.pickFile(r, (x) => x.path.endsWith('.bak') || x.path.includes('_copy') || x.kind === 'log' || x.kind === 'gz');
      if (!f) return null;
      w.removePath(f.path);
      return `rm ${r.bool(0.3) ? '-f ' : ''}${w.rel(f.path)}`;
    }),
    move('symlink', 0.6, (w, r) => {
      const f = w.pickFile(r, (x) => x.lines !== null);
      if (!f) return null;
      const link = posix.join(w.cwd, `${r.pick(['latest', 'current', 'main', 'link'])}${posix.extname(f.path)}`);
      if (w.files.has(link)) return null;
      w.addFile(link, f.kind, f.lines, f.exec);
      return `ln -s ${f.path} ${w.rel(link)}`;
    }),
    move('chmod', 1, (w, r) => {
      const f = w.pickFile(r, (x) => (x.kind === 'sh' || x.kind === 'py') && !x.exec);
      if (!f) return null;
      f.exec = true;
      return `chmod ${r.pick(['+x', '755', 'u+x'])} ${w.rel(f.path)}`;
    }),
    move('touch', 0.6, (w, r) => {
      const name = `${r.pick(['notes', 'output', 'result', 'empty', 'placeholder'])}.${r.pick(['txt', 'md', 'log'])}`;
      const abs = posix.join(w.cwd, name);
      if (w.files.has(abs)) return null;
      w.addFile(abs, 'txt', []);
      return `touch ${name}`;
    }),
  ],
  scratch: scratchMoves,
};
