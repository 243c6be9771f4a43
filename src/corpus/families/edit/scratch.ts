/** edit: the scratch-session moves (generate/scratch.ts draws them, weighted across every family's). */
import { posix } from 'node:path';
import { type Scratch, line, lines, name, q, syllableWord } from '../../generate/scratchworld.js';
import { type Move, move } from '../types.js';

export const scratchMoves: readonly Move<Scratch>[] = [
  move('mkdir', 4, (s, r) => {
    const n = s.freshName(r, s.cwd, false);
    if (r.bool(0.3)) {
      const deep = [n, name(r), ...(r.bool(0.5) ? [name(r)] : [])].join('/');
      for (let p = s.abs(deep); p !== s.cwd; p = posix.dirname(p)) s.dirs.add(p);
      return `mkdir -p ${deep}`;
    }
    if (r.bool(0.25)) {
      const m = s.freshName(r, s.cwd, false);
      if (m === n) return null;
      s.dirs.add(s.abs(n));
      s.dirs.add(s.abs(m));
      return `mkdir ${n} ${m}`;
    }
    s.dirs.add(s.abs(n));
    return `mkdir ${n}`;
  }),
  move('touch', 3, (s, r) => {
    const d = r.bool(0.7) ? s.cwd : (s.pickDir(r) ?? s.cwd);
    const n = s.freshName(r, d);
    const p = posix.join(d, n);
    s.addFile(p, []);
    s.lastWritten = null;
    const m = r.bool(0.3) ? s.freshName(r, d) : null;
    if (m && m !== n) s.files.set(posix.join(d, m), []);
    return `touch ${s.rel(p)}${m && m !== n ? ' ' + s.rel(posix.join(d, m)) : ''}`;
  }),
  move('echo-redirect', 7, (s, r) => {
    const existing = r.bool(0.3) ? s.pickFile(r) : null;
    const p = existing ?? posix.join(s.cwd, s.freshName(r, s.cwd));
    const ln = line(r);
    const append = existing !== null && r.bool(0.6);
    const quote = r.pick(['"', "'", '']);
    const shown = quote === '' && /[=]/.test(ln) ? `"${ln}"` : `${quote}${ln}${quote}`;
    const before = s.files.get(p) ?? [];
    s.addFile(p, append ? [...before, ln] : [ln]);
    return `echo ${shown} ${append ? '>>' : '>'} ${s.rel(p)}`;
  }),
  move('printf-file', 3, (s, r) => {
    const p = posix.join(s.cwd, s.freshName(r, s.cwd));
    const ls = lines(r, 2, 5);
    s.addFile(p, ls);
    if (r.bool(0.5)) return `printf '%s\\n' ${ls.map((l) => q(l)).join(' ')} > ${s.rel(p)}`;
    return `printf '${ls.join('\\n')}\\n' > ${s.rel(p)}`;
  }),
  move('heredoc', 3, (s, r) => {
    const p = posix.join(s.cwd, s.freshName(r, s.cwd));
    const ls = lines(r, 2, 7);
    const tag = r.pick(['EOF', 'EOF', 'END', 'TXT']);
    s.addFile(p, ls);
    return `cat > ${s.rel(p)} <<${r.bool(0.5) ? `'${tag}'` : tag}\n${ls.join('\n')}\n${tag}`;
  }),
  move('tee', 1, (s, r) => {
    const p = posix.join(s.cwd, s.freshName(r, s.cwd));
    const ln = line(r);
    s.addFile(p, [ln]);
    s.lastWritten = null;
    return `echo ${q(ln)} | tee ${s.rel(p)}`;
  }),
  move('rm-file', 2.5, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    s.removePath(f);
    return `rm ${r.bool(0.2) ? '-f ' : ''}${s.rel(f)}`;
  }),
  move('rm-dir', 1, (s, r) => {
    const d = s.pickDir(r);
    if (!d || s.cwd === d || s.cwd.startsWith(d + '/')) return null;
    s.removePath(d);
    return `rm -r ${s.rel(d)}`;
  }),
  move('mv', 2.5, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    const d = posix.dirname(f);
    const dirs = s.ownDirs().filter((x) => x !== d);
    if (dirs.length > 0 && r.bool(0.35)) {
      const to = r.pick(dirs);
      if (s.exists(posix.join(to, posix.basename(f)))) return null;
      s.move(f, posix.join(to, posix.basename(f)));
      s.lastWritten = null;
      return `mv ${s.rel(f)} ${s.rel(to)}/`;
    }
    const to = posix.join(d, s.freshName(r, d));
    s.move(f, to);
    s.lastWritten = null;
    return `mv ${s.rel(f)} ${s.rel(to)}`;
  }),
  move('cp', 2, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    const d = posix.dirname(f);
    const to = posix.join(d, s.freshName(r, d));
    s.addFile(to, [...(s.files.get(f) ?? [])]);
    s.lastWritten = null;
    return `cp ${s.rel(f)} ${s.rel(to)}`;
  }),
  move('sed-in-place', 1.5, (s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    const ls = s.files.get(f) ?? [];
    const words = ls
      .join(' ')
      .split(/[ =]/)
      .filter((w) => /^[a-z]+$/.test(w));
    if (words.length === 0) return null;
    const from = r.pick(words);
    const to = syllableWord(r);
    const g = r.bool(0.4);
    const re = new RegExp(from, g ? 'g' : '');
    s.addFile(
      f,
      ls.map((l) => l.replace(re, to)),
    );
    return `sed -i 's/${from}/${to}/${g ? 'g' : ''}' ${s.rel(f)}`;
  }),
  move('chmod', 1, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    return `chmod ${r.pick(['+x', '644', '755', '600', 'u+x', 'a-w'])} ${s.rel(f)}`;
  }),
  move('symlink', 0.7, (s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    const l = posix.join(s.cwd, s.freshName(r, s.cwd, false));
    s.files.set(l, s.files.get(f) ?? []);
    return `ln -s ${s.rel(f)} ${posix.basename(l)}`;
  }),
];
