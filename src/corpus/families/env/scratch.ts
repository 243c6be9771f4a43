/** env: the scratch-session moves (generate/scratch.ts draws them, weighted across every family's). */
import { posix } from 'node:path';
import { type Scratch, line, syllableWord, word } from '../../generate/scratchworld.js';
import { type Move, move } from '../types.js';

export const scratchMoves: readonly Move<Scratch>[] = [
  move('set-var', 3, (s, r) => {
    const v = s.varName(r);
    const val = r.bool(0.5) ? word(r) : line(r);
    s.vars.set(v, val);
    return `${v}=${/^[A-Za-z0-9_./-]+$/.test(val) ? val : `"${val}"`}`;
  }),
  move('read-var', 4, (s, r) => {
    const vs = [...s.vars.keys()];
    const v = vs.length > 0 && r.bool(0.85) ? r.pick(vs) : s.varName(r);
    return r.pick([`echo $${v}`, `echo "$${v}"`, `echo "${v} is \${${v}}"`, `echo \${#${v}}`, `echo \${${v}:-none}`, `echo x\${${v}}x`]);
  }),
  move('export-var', 2, (s, r) => {
    const v = s.varName(r).toUpperCase();
    const val = word(r);
    s.vars.set(v, val);
    s.exported.add(v);
    return `export ${v}=${val}`;
  }),
  move('var-in-child', 2, (s, r) => {
    const vs = [...s.vars.keys()];
    if (vs.length === 0) return null;
    const v = r.pick(vs);
    return r.pick([`bash -c 'echo "\${${v}:-unset}"'`, `sh -c 'echo $${v}'`, `env | grep ^${v}=`, `printenv ${v}`]);
  }),
  move('unset-var', 0.7, (s, r) => {
    const vs = [...s.vars.keys()];
    if (vs.length === 0) return null;
    const v = r.pick(vs);
    s.vars.delete(v);
    s.exported.delete(v);
    return `unset ${v}`;
  }),
  move('define-function', 1, (s, r) => {
    const f = syllableWord(r);
    s.funcs.add(f);
    return r.pick([`${f}() { echo "${word(r)} $1"; }`, `${f}() { echo $(( $1 + ${r.int(1, 9)} )); }`, `${f}() { ls "$@" | wc -l; }`]);
  }),
  move('call-function', 1.5, (s, r) => {
    const fs = [...s.funcs];
    if (fs.length === 0) return null;
    return `${r.pick(fs)} ${r.int(1, 50)}`;
  }),
  move('alias', 0.7, (s, r) => {
    const a = syllableWord(r);
    s.funcs.add(a);
    return `alias ${a}='${r.pick(['ls -1', 'echo ' + word(r), 'ls -a', 'wc -l'])}'`;
  }),
  move('source-file', 0.8, (s, r) => {
    const p = posix.join(s.cwd, s.freshName(r, s.cwd, false) + '.sh');
    const v = s.varName(r);
    const val = word(r);
    s.addFile(p, [`${v}=${val}`]);
    s.vars.set(v, val);
    s.lastWritten = null;
    return `echo '${v}=${val}' > ${s.rel(p)}; ${r.pick(['source', '.'])} ${s.rel(p)}; echo $${v}`;
  }),
  move('builtin-var', 1, (_, r) => r.pick(['echo $HOME', 'echo $PWD', 'echo $OLDPWD', 'echo $SHELL', 'echo $PATH', 'echo $USER', 'whoami', 'echo $LANG'])),
];
