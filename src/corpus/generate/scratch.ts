/**
 * Scratch sessions: the other half of the generated corpus. Where `session.ts` plays an agent
 * working on a project under ~ with realistic but finite vocabularies (20 projects, fixed module
 * names), a scratch session works in a random folder (/tmp/x, /srv/y, /opt/z, ~ ...) with names and
 * contents drawn from an open-ended syllable generator. Every name and every line is new, so a model
 * trained on these cannot answer from memorised templates: it has to track the state the session
 * built (what exists, what a file holds, what a variable is set to) and copy or compute from it.
 *
 * The moves are the shell basics every agent session leans on: files and folders, reads, text
 * tools, variables and functions, operators and arithmetic, and the error paths of each. Every
 * command is tagged with one of the corpus families (navigation, edit, inspect, text, env,
 * operators, errors, python). Pure function of the seed, like the project generator.
 */
import { posix } from 'node:path';
import type { Rng } from '../../core/rng.js';
import type { FamilyName } from './world.js';

export interface ScratchTurn {
  cmd: string;
  family: FamilyName;
}

const C = 'bcdfghjklmnprstvwz';
const V = 'aeiou';
const PLACEHOLDER = ['foo', 'bar', 'baz', 'qux', 'data', 'out', 'tmp', 'test', 'notes', 'a', 'b', 'c', 'x', 'y', 'demo', 'work', 'old', 'new', 'src', 'docs', 'backup', 'input', 'result', 'list', 'log'];
const EXTS = ['', '', '', '.txt', '.txt', '.log', '.md', '.csv', '.dat', '.conf', '.sh', '.py', '.json', '.out'];
const BASES = ['/tmp', '/tmp', '/root', '/root', '/srv', '/opt', '/var/tmp', '/home', '/mnt'];

/** A pronounceable made-up word of 1-3 syllables (open-ended vocabulary). */
export function syllableWord(r: Rng): string {
  let s = '';
  for (let i = r.int(1, 3); i > 0; i--) s += r.pick([...C]) + r.pick([...V]) + (r.bool(0.25) ? r.pick([...C]) : '');
  return s;
}

/** A file or folder name: made-up word, placeholder, or either with a digit or separator. */
function name(r: Rng): string {
  const base = r.bool(0.6) ? syllableWord(r) : r.pick(PLACEHOLDER);
  const k = r.float();
  if (k < 0.15) return `${base}${r.int(1, 99)}`;
  if (k < 0.25) return `${base}${r.pick(['_', '-'])}${syllableWord(r)}`;
  return base;
}

function word(r: Rng): string {
  const k = r.float();
  if (k < 0.6) return syllableWord(r);
  if (k < 0.8) return String(r.int(0, r.pick([9, 99, 999, 99999])));
  return r.pick(PLACEHOLDER);
}

/** A line of 1-6 words, sometimes key=value or a number alone. */
function line(r: Rng): string {
  const k = r.float();
  if (k < 0.15) return `${syllableWord(r)}=${word(r)}`;
  if (k < 0.25) return String(r.int(0, 9999));
  return Array.from({ length: r.int(1, 6) }, () => word(r)).join(' ');
}

function lines(r: Rng, lo = 1, hi = 6): string[] {
  return Array.from({ length: r.int(lo, hi) }, () => line(r));
}

/** The generator's belief about the scratch sandbox. */
class Scratch {
  cwd: string;
  prev: string | null = null;
  readonly base: string;
  readonly dirs = new Set<string>();
  readonly files = new Map<string, string[]>();
  readonly vars = new Map<string, string>();
  readonly exported = new Set<string>();
  readonly funcs = new Set<string>();
  /** The last file a move wrote, for an agent-style check right after. */
  lastWritten: string | null = null;

  constructor(base: string) {
    this.base = base;
    this.cwd = base;
    for (let d = base; d !== '/'; d = posix.dirname(d)) this.dirs.add(d);
  }

  abs(p: string): string {
    return posix.normalize(posix.isAbsolute(p) ? p : posix.join(this.cwd, p));
  }
  rel(abs: string): string {
    if (abs === this.cwd) return '.';
    if (abs.startsWith(this.cwd + '/')) return abs.slice(this.cwd.length + 1);
    return abs;
  }
  /** Files and folders made by this session (never the pre-existing tree above the base). */
  ownDirs(): string[] {
    return [...this.dirs].filter((d) => d.startsWith(this.base + '/'));
  }
  children(dir: string): string[] {
    const out = new Set<string>();
    for (const p of [...this.files.keys(), ...this.ownDirs()]) if (posix.dirname(p) === dir) out.add(posix.basename(p));
    return [...out].sort();
  }
  exists(abs: string): boolean {
    return this.files.has(abs) || this.dirs.has(abs);
  }
  freshName(r: Rng, dir: string, ext = true): string {
    for (let i = 0; i < 20; i++) {
      const n = name(r) + (ext ? r.pick(EXTS) : '');
      if (!this.exists(posix.join(dir, n))) return n;
    }
    return `${name(r)}${r.int(100, 999)}`;
  }
  pickFile(r: Rng, nonEmpty = false): string | null {
    const all = [...this.files.entries()].filter(([, ls]) => !nonEmpty || ls.length > 0).map(([p]) => p);
    if (all.length === 0) return null;
    const near = all.filter((p) => posix.dirname(p) === this.cwd);
    return r.pick(near.length > 0 && r.bool(0.8) ? near : all);
  }
  pickDir(r: Rng): string | null {
    const ds = this.ownDirs();
    return ds.length > 0 ? r.pick(ds) : null;
  }
  addFile(abs: string, content: string[]): void {
    this.files.set(abs, content);
    for (let d = posix.dirname(abs); d !== '/' && !this.dirs.has(d); d = posix.dirname(d)) this.dirs.add(d);
    this.lastWritten = abs;
  }
  remove(abs: string): void {
    this.files.delete(abs);
    for (const k of [...this.files.keys()]) if (k.startsWith(abs + '/')) this.files.delete(k);
    for (const d of [...this.dirs]) if (d === abs || d.startsWith(abs + '/')) this.dirs.delete(d);
  }
  move(from: string, to: string): void {
    const f = this.files.get(from);
    if (f) {
      this.files.delete(from);
      this.addFile(to, f);
      return;
    }
    if (!this.dirs.has(from)) return;
    for (const [k, v] of [...this.files]) if (k.startsWith(from + '/')) {
      this.files.delete(k);
      this.files.set(to + k.slice(from.length), v);
    }
    for (const d of [...this.dirs]) if (d === from || d.startsWith(from + '/')) {
      this.dirs.delete(d);
      this.dirs.add(to + d.slice(from.length));
    }
  }
  varName(r: Rng): string {
    const n = syllableWord(r).slice(0, 8);
    return r.bool(0.3) ? n.toUpperCase() : n;
  }
}

type Move = (s: Scratch, r: Rng) => ScratchTurn | null;
const t = (cmd: string, family: FamilyName): ScratchTurn => ({ cmd, family });

/** Single-quote a shell word when it needs it (our words never hold quotes). */
function q(s: string): string {
  return /^[A-Za-z0-9_.\/=+-]+$/.test(s) ? s : `'${s}'`;
}

const MOVES: readonly (readonly [Move, number])[] = [
  // ---- navigation
  [() => t('pwd', 'navigation'), 3],
  [(s, r) => {
    const flag = r.pick(['', '', '', '-a', '-1', '-A', '-F', '-l', '-r']);
    const d = s.pickDir(r);
    const where = d && d !== s.cwd && r.bool(0.3) ? ' ' + s.rel(d) : '';
    return t(`ls${flag ? ' ' + flag : ''}${where}`, 'navigation');
  }, 6],
  [(s, r) => {
    const sub = s.ownDirs().filter((d) => posix.dirname(d) === s.cwd);
    if (sub.length === 0) return null;
    const d = r.pick(sub);
    s.prev = s.cwd;
    s.cwd = d;
    return t(`cd ${s.rel(d)}`, 'navigation');
  }, 3],
  [(s) => {
    if (s.cwd === s.base || !s.cwd.startsWith(s.base)) return null;
    s.prev = s.cwd;
    s.cwd = posix.dirname(s.cwd);
    return t('cd ..', 'navigation');
  }, 2],
  [(s) => {
    if (!s.prev || s.prev === s.cwd || !s.dirs.has(s.prev)) return null;
    const to = s.prev;
    s.prev = s.cwd;
    s.cwd = to;
    return t('cd -', 'navigation');
  }, 1],
  [(s, r) => {
    const d = r.bool(0.5) ? s.base : s.pickDir(r);
    if (!d || d === s.cwd) return null;
    s.prev = s.cwd;
    s.cwd = d;
    return t(`cd ${d}`, 'navigation');
  }, 1.5],
  // ---- edit
  [(s, r) => {
    const n = s.freshName(r, s.cwd, false);
    if (r.bool(0.3)) {
      const deep = [n, name(r), ...(r.bool(0.5) ? [name(r)] : [])].join('/');
      for (let p = s.abs(deep); p !== s.cwd; p = posix.dirname(p)) s.dirs.add(p);
      return t(`mkdir -p ${deep}`, 'edit');
    }
    if (r.bool(0.25)) {
      const m = s.freshName(r, s.cwd, false);
      if (m === n) return null;
      s.dirs.add(s.abs(n));
      s.dirs.add(s.abs(m));
      return t(`mkdir ${n} ${m}`, 'edit');
    }
    s.dirs.add(s.abs(n));
    return t(`mkdir ${n}`, 'edit');
  }, 4],
  [(s, r) => {
    const d = r.bool(0.7) ? s.cwd : (s.pickDir(r) ?? s.cwd);
    const n = s.freshName(r, d);
    const p = posix.join(d, n);
    s.addFile(p, []);
    s.lastWritten = null;
    const m = r.bool(0.3) ? s.freshName(r, d) : null;
    if (m && m !== n) s.files.set(posix.join(d, m), []);
    return t(`touch ${s.rel(p)}${m && m !== n ? ' ' + s.rel(posix.join(d, m)) : ''}`, 'edit');
  }, 3],
  [(s, r) => {
    const existing = r.bool(0.3) ? s.pickFile(r) : null;
    const p = existing ?? posix.join(s.cwd, s.freshName(r, s.cwd));
    const ln = line(r);
    const append = existing !== null && r.bool(0.6);
    const quote = r.pick(['"', "'", '']);
    const shown = quote === '' && /[=]/.test(ln) ? `"${ln}"` : `${quote}${ln}${quote}`;
    const before = s.files.get(p) ?? [];
    s.addFile(p, append ? [...before, ln] : [ln]);
    return t(`echo ${shown} ${append ? '>>' : '>'} ${s.rel(p)}`, 'edit');
  }, 7],
  [(s, r) => {
    const p = posix.join(s.cwd, s.freshName(r, s.cwd));
    const ls = lines(r, 2, 5);
    s.addFile(p, ls);
    if (r.bool(0.5)) return t(`printf '%s\\n' ${ls.map((l) => q(l)).join(' ')} > ${s.rel(p)}`, 'edit');
    return t(`printf '${ls.join('\\n')}\\n' > ${s.rel(p)}`, 'edit');
  }, 3],
  [(s, r) => {
    const p = posix.join(s.cwd, s.freshName(r, s.cwd));
    const ls = lines(r, 2, 7);
    const tag = r.pick(['EOF', 'EOF', 'END', 'TXT']);
    s.addFile(p, ls);
    return t(`cat > ${s.rel(p)} <<${r.bool(0.5) ? `'${tag}'` : tag}\n${ls.join('\n')}\n${tag}`, 'edit');
  }, 3],
  [(s, r) => {
    const p = posix.join(s.cwd, s.freshName(r, s.cwd));
    const ln = line(r);
    s.addFile(p, [ln]);
    s.lastWritten = null;
    return t(`echo ${q(ln)} | tee ${s.rel(p)}`, 'edit');
  }, 1],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    s.remove(f);
    return t(`rm ${r.bool(0.2) ? '-f ' : ''}${s.rel(f)}`, 'edit');
  }, 2.5],
  [(s, r) => {
    const d = s.pickDir(r);
    if (!d || s.cwd === d || s.cwd.startsWith(d + '/')) return null;
    s.remove(d);
    return t(`rm -r ${s.rel(d)}`, 'edit');
  }, 1],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    const d = posix.dirname(f);
    const dirs = s.ownDirs().filter((x) => x !== d);
    if (dirs.length > 0 && r.bool(0.35)) {
      const to = r.pick(dirs);
      if (s.exists(posix.join(to, posix.basename(f)))) return null;
      s.move(f, posix.join(to, posix.basename(f)));
      s.lastWritten = null;
      return t(`mv ${s.rel(f)} ${s.rel(to)}/`, 'edit');
    }
    const to = posix.join(d, s.freshName(r, d));
    s.move(f, to);
    s.lastWritten = null;
    return t(`mv ${s.rel(f)} ${s.rel(to)}`, 'edit');
  }, 2.5],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    const d = posix.dirname(f);
    const to = posix.join(d, s.freshName(r, d));
    s.addFile(to, [...(s.files.get(f) ?? [])]);
    s.lastWritten = null;
    return t(`cp ${s.rel(f)} ${s.rel(to)}`, 'edit');
  }, 2],
  [(s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    const ls = s.files.get(f) ?? [];
    const words = ls.join(' ').split(/[ =]/).filter((w) => /^[a-z]+$/.test(w));
    if (words.length === 0) return null;
    const from = r.pick(words);
    const to = syllableWord(r);
    const g = r.bool(0.4);
    const re = new RegExp(from, g ? 'g' : '');
    s.addFile(f, ls.map((l) => l.replace(re, to)));
    return t(`sed -i 's/${from}/${to}/${g ? 'g' : ''}' ${s.rel(f)}`, 'edit');
  }, 1.5],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    return t(`chmod ${r.pick(['+x', '644', '755', '600', 'u+x', 'a-w'])} ${s.rel(f)}`, 'edit');
  }, 1],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    const l = posix.join(s.cwd, s.freshName(r, s.cwd, false));
    s.files.set(l, s.files.get(f) ?? []);
    return t(`ln -s ${s.rel(f)} ${posix.basename(l)}`, 'edit');
  }, 0.7],
  // ---- inspect
  [(s, r) => {
    const f = s.pickFile(r);
    return f ? t(`cat ${r.bool(0.15) ? '-n ' : ''}${s.rel(f)}`, 'inspect') : null;
  }, 6],
  [(s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return t(`${r.pick(['head', 'tail'])} -n ${r.int(1, 3)} ${s.rel(f)}`, 'inspect');
  }, 2],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    return t(`wc ${r.pick(['-l', '-l', '-w', '-c', ''])}${' '}${s.rel(f)}`.replace('  ', ' '), 'inspect');
  }, 2.5],
  [(s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    const ws = (s.files.get(f) ?? []).join(' ').split(/[ =]/).filter((w) => w.length > 1);
    const pat = ws.length > 0 && r.bool(0.75) ? r.pick(ws).slice(0, r.int(2, 4)) : syllableWord(r);
    return t(`grep ${r.pick(['', '', '-n ', '-c ', '-i ', '-v '])}${q(pat)} ${s.rel(f)}`, 'inspect');
  }, 3],
  [(s, r) => {
    if (s.files.size === 0 || !s.cwd.startsWith(s.base)) return null;
    return t(r.pick(['find . -type f | sort', 'find . | sort', 'find . -type d | sort', `find . -name '*${r.pick(EXTS.filter((e) => e !== '')) }'`]), 'inspect');
  }, 1.5],
  [(s, r) => {
    const p = r.bool(0.5) ? s.pickFile(r) : s.pickDir(r);
    const shown = p ?? posix.join(s.cwd, name(r));
    const test = r.pick(['-e', '-f', '-d', '-s']);
    return t(r.bool(0.5) ? `test ${test} ${s.rel(shown)} && echo yes || echo no` : `[ ${test} ${s.rel(shown)} ]; echo $?`, 'inspect');
  }, 2],
  [(s, r) => {
    const f = s.pickFile(r);
    return f ? t(`stat -c '${r.pick(['%s %n', '%n', '%F', '%a %n', '%s'])}' ${s.rel(f)}`, 'inspect') : null;
  }, 0.8],
  // ---- text
  [(s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return t(`${r.pick(['sort', 'sort -r', 'sort -n', 'sort -u', 'uniq', 'tac', 'rev', 'nl', "tr a-z A-Z <", "cut -d' ' -f1", "awk '{print $1}'", "awk '{print NF}'", 'sed -n 1p', "sed 's/ /_/g'"])} ${s.rel(f)}`, 'text');
  }, 4],
  [(s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return t(`cat ${s.rel(f)} | ${r.pick(['wc -l', 'sort', 'head -n 2', 'tr -d aeiou', "tr ' ' '\\n' | sort | uniq -c", 'grep -c ' + syllableWord(r).slice(0, 2)])}`, 'text');
  }, 2],
  [(_, r) => {
    const n = r.int(1, 12);
    return t(r.pick([`seq ${n}`, `seq ${n} ${n + r.int(1, 6)}`, `seq ${n} | paste -sd+ | bc`, `seq ${n} | tail -n 2`, `seq 1 ${r.int(2, 4)} ${n + 10}`]), 'text');
  }, 1.5],
  [(_, r) => {
    const ws = Array.from({ length: r.int(2, 6) }, () => word(r));
    return t(`printf '%s\\n' ${ws.join(' ')} | ${r.pick(['sort', 'sort -r', 'wc -l', 'head -n 1', 'tail -n 1', 'uniq', 'sort -n'])}`, 'text');
  }, 1.5],
  // ---- env
  [(s, r) => {
    const v = s.varName(r);
    const val = r.bool(0.5) ? word(r) : line(r);
    s.vars.set(v, val);
    return t(`${v}=${/^[A-Za-z0-9_./-]+$/.test(val) ? val : `"${val}"`}`, 'env');
  }, 3],
  [(s, r) => {
    const vs = [...s.vars.keys()];
    const v = vs.length > 0 && r.bool(0.85) ? r.pick(vs) : s.varName(r);
    return t(r.pick([`echo $${v}`, `echo "$${v}"`, `echo "${v} is \${${v}}"`, `echo \${#${v}}`, `echo \${${v}:-none}`, `echo x\${${v}}x`]), 'env');
  }, 4],
  [(s, r) => {
    const v = s.varName(r).toUpperCase();
    const val = word(r);
    s.vars.set(v, val);
    s.exported.add(v);
    return t(`export ${v}=${val}`, 'env');
  }, 2],
  [(s, r) => {
    const vs = [...s.vars.keys()];
    if (vs.length === 0) return null;
    const v = r.pick(vs);
    return t(r.pick([`bash -c 'echo "\${${v}:-unset}"'`, `sh -c 'echo $${v}'`, `env | grep ^${v}=`, `printenv ${v}`]), 'env');
  }, 2],
  [(s, r) => {
    const vs = [...s.vars.keys()];
    if (vs.length === 0) return null;
    const v = r.pick(vs);
    s.vars.delete(v);
    s.exported.delete(v);
    return t(`unset ${v}`, 'env');
  }, 0.7],
  [(s, r) => {
    const f = syllableWord(r);
    s.funcs.add(f);
    return t(r.pick([`${f}() { echo "${word(r)} $1"; }`, `${f}() { echo $(( $1 + ${r.int(1, 9)} )); }`, `${f}() { ls "$@" | wc -l; }`]), 'env');
  }, 1],
  [(s, r) => {
    const fs = [...s.funcs];
    if (fs.length === 0) return null;
    return t(`${r.pick(fs)} ${r.int(1, 50)}`, 'env');
  }, 1.5],
  [(s, r) => {
    const a = syllableWord(r);
    s.funcs.add(a);
    return t(`alias ${a}='${r.pick(['ls -1', 'echo ' + word(r), 'ls -a', 'wc -l'])}'`, 'env');
  }, 0.7],
  [(s, r) => {
    const p = posix.join(s.cwd, s.freshName(r, s.cwd, false) + '.sh');
    const v = s.varName(r);
    const val = word(r);
    s.addFile(p, [`${v}=${val}`]);
    s.vars.set(v, val);
    s.lastWritten = null;
    return t(`echo '${v}=${val}' > ${s.rel(p)}; ${r.pick(['source', '.'])} ${s.rel(p)}; echo $${v}`, 'env');
  }, 0.8],
  [(_, r) => t(r.pick(['echo $HOME', 'echo $PWD', 'echo $OLDPWD', 'echo $SHELL', 'echo $PATH', 'echo $USER', 'whoami', 'echo $LANG']), 'env'), 1],
  // ---- operators
  [(_, r) => {
    const a = r.int(0, 999);
    const b = r.int(1, 99);
    const op = r.pick(['+', '-', '*', '/', '%']);
    return t(r.bool(0.7) ? `echo $((${a} ${op} ${b}))` : `x=${a}; y=${b}; echo $((x ${op} y))`, 'operators');
  }, 3],
  [(s, r) => {
    const w1 = word(r);
    const w2 = word(r);
    return t(r.pick([`true && echo ${w1}`, `false && echo ${w1} || echo ${w2}`, `false || echo ${w1}`, `echo ${w1}; echo ${w2}`, `false; echo $?`, `true; echo $?`, `echo ${w1} && false; echo $?`, `(exit ${r.int(2, 9)}); echo $?`]), 'operators');
  }, 2.5],
  [(s, r) => {
    const d = s.pickDir(r);
    if (!d) return null;
    return t(`(cd ${s.rel(d)} && pwd); pwd`, 'operators');
  }, 1],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    return t(r.pick([`echo "lines: $(wc -l < ${s.rel(f)})"`, `n=$(cat ${s.rel(f)} | wc -w); echo $n`, `echo \`wc -c < ${s.rel(f)}\``, `if [ -s ${s.rel(f)} ]; then echo full; else echo empty; fi`]), 'operators');
  }, 2],
  [(_, r) => {
    const ws = Array.from({ length: r.int(2, 4) }, () => word(r));
    return t(r.pick([`for i in ${ws.join(' ')}; do echo "item $i"; done`, `for i in $(seq ${r.int(2, 5)}); do echo $((i * ${r.int(2, 9)})); done`, `echo {${ws.join(',')}}`, `echo {1..${r.int(2, 9)}}`, `echo ${ws[0]}{1,2,3}`]), 'operators');
  }, 2],
  [(s, r) => {
    if (s.files.size === 0) return null;
    const ext = [...new Set([...s.files.keys()].filter((f) => posix.dirname(f) === s.cwd).map((f) => posix.extname(f)).filter((e) => e))];
    if (ext.length === 0) return null;
    return t(`for f in *${r.pick(ext)}; do echo "$f"; done`, 'operators');
  }, 1],
  [(s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return t(`while read -r l; do echo "${r.pick(['>', '-', '#'])} $l"; done < ${s.rel(f)}`, 'operators');
  }, 1],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    const out = posix.join(s.cwd, s.freshName(r, s.cwd));
    s.addFile(out, [...(s.files.get(f) ?? [])].sort());
    s.lastWritten = out;
    return t(`sort < ${s.rel(f)} > ${s.rel(out)}`, 'operators');
  }, 1],
  [(s, r) => {
    const m = posix.join(s.cwd, name(r));
    if (s.exists(m)) return null;
    return t(r.pick([`ls ${s.rel(m)} 2>/dev/null || echo missing`, `cat ${s.rel(m)} 2>&1 | head -n 1`, `ls ${s.rel(m)} > /dev/null 2>&1; echo $?`]), 'operators');
  }, 1],
  // ---- errors
  [(s, r) => {
    const m = posix.join(s.cwd, s.freshName(r, s.cwd));
    return t(`${r.pick(['cat', 'ls', 'rm', 'head -n 1', 'wc -l', 'cd', 'grep x'])} ${s.rel(m)}`, 'errors');
  }, 3],
  [(_, r) => t(`${syllableWord(r)}${r.bool(0.3) ? ' ' + word(r) : ''}`, 'errors'), 1.5],
  [(s, r) => {
    const d = s.pickDir(r);
    if (!d) return null;
    return t(r.pick([`mkdir ${s.rel(d)}`, `cat ${s.rel(d)}`, `rmdir ${s.rel(d)}`]), 'errors');
  }, 1],
  [(s, r) => {
    const f = s.pickFile(r);
    if (!f) return null;
    return t(r.pick([`./${s.rel(f)}`, `cd ${s.rel(f)}`, `mkdir ${s.rel(f)}`]), 'errors');
  }, 0.8],
  [(_, r) => t(r.pick([`ls --${syllableWord(r)}`, `wc -${r.pick(['q', 'z', 'j'])} /dev/null`, `echo (${syllableWord(r)}`, `if true; then echo ${syllableWord(r)}; fi fi`, `grep -q ${syllableWord(r)} /etc/hostname; echo $?`]), 'errors'), 1],
  // ---- python (one-liners)
  [(_, r) => {
    const a = r.int(0, 999);
    const b = r.int(1, 99);
    return t(r.pick([`python3 -c 'print(${a} ${r.pick(['+', '-', '*', '//', '%'])} ${b})'`, `python3 -c 'print("${syllableWord(r)}" * ${r.int(1, 4)})'`, `python3 -c 'print(len("${line(r)}"))'`, `python3 -c 'print(sorted([${a}, ${b}, ${r.int(0, 99)}]))'`, `python3 -c 'print(${a} / 0)'`]), 'python');
  }, 1.2],
  [(s, r) => {
    const f = s.pickFile(r, true);
    if (!f) return null;
    return t(`python3 -c 'import sys; print(len(open(sys.argv[1]).read().split()))' ${s.rel(f)}`, 'python');
  }, 0.5],
];

/** The first turn(s): make the scratch folder and go there (or just look around where we are). */
function opening(s: Scratch, r: Rng, push: (x: ScratchTurn) => void): void {
  if (s.base === '/root' || s.base === '/tmp') {
    if (r.bool(0.5)) push(t(r.pick(['pwd', 'ls', 'ls -a', `cd ${s.base}`]), 'navigation'));
    return;
  }
  push(t(r.bool(0.6) ? `mkdir -p ${s.base} && cd ${s.base}` : `mkdir ${s.base}; cd ${s.base}`, 'navigation'));
}

/**
 * A scratch session of `n` turns. Most writes are checked soon after (an agent reads back what
 * it wrote), so state dependencies are dense.
 */
export function scratchTurns(r: Rng, n: number): ScratchTurn[] {
  const root = r.pick(BASES);
  const base = root === '/root' || root === '/tmp' ? (r.bool(0.5) ? root : `${root}/${name(r)}`) : `${root}/${name(r)}`;
  const s = new Scratch(base);
  const turns: ScratchTurn[] = [];
  const push = (x: ScratchTurn): void => {
    if (turns.length < n) turns.push(x);
  };
  opening(s, r, push);
  let guard = 0;
  while (turns.length < n && guard++ < n * 30) {
    if (s.lastWritten && s.files.has(s.lastWritten) && r.bool(0.45)) {
      const p = s.lastWritten;
      s.lastWritten = null;
      push(t(r.pick([`cat ${s.rel(p)}`, `cat ${s.rel(p)}`, 'ls', `wc -l ${s.rel(p)}`]), 'inspect'));
      continue;
    }
    s.lastWritten = null;
    const move = r.weighted(MOVES.map((m, i) => [i, m[1]] as const));
    const turn = (MOVES[move] as readonly [Move, number])[0](s, r);
    if (turn === null) continue;
    const last = turns[turns.length - 1];
    if (last && last.cmd === turn.cmd) continue;
    push(turn);
  }
  return turns;
}
