/** env: export, env, printenv, unset, alias, shell functions, source. */
import { posix } from 'node:path';
import { FIRST_NAMES, PROJECTS, sq, WORDS } from '../../generate/content.js';
import { type Family, move } from '../types.js';
import { scratchMoves } from './scratch.js';

const VARS = ['APP_ENV', 'PORT', 'DEBUG', 'OWNER', 'BUILD_DIR', 'RELEASE', 'REGION', 'DATA_DIR', 'MAX_RETRIES', 'PROJECT'];

export const env: Family<'env'> = {
  name: 'env',
  weight: 7,
  moves: [
    move('export-var', 3, (w, r) => {
      const k = r.pick(VARS);
      const v = r.pick([r.pick(['dev', 'prod', 'staging']), String(r.int(1, 9999)), r.pick(FIRST_NAMES), r.pick(PROJECTS), `/srv/${r.pick(WORDS)}`]);
      w.env.set(k, v);
      w.next = { family: 'env', p: 0.4, run: () => (w.env.get(k) === v ? `echo $${k}` : null) };
      return `export ${k}=${v}`;
    }),
    move('read-var', 3, (w, r) => {
      if (w.env.size === 0) return r.pick(['echo $HOME', 'echo $PATH', 'echo $SHELL', 'echo $USER', 'echo $LANG', 'echo $PWD']);
      const k = r.pick([...w.env.keys()]);
      return r.pick([`echo $${k}`, `echo "${k} is $${k}"`, `printenv ${k}`, `env | grep ${k}`, `echo \${${k}:-unset}`]);
    }),
    move('unset-var', 0.7, (w, r) => {
      if (w.env.size === 0) return null;
      const k = r.pick([...w.env.keys()]);
      w.env.delete(k);
      return `unset ${k}`;
    }),
    move('list-env', 0.8, (_w, r) => r.pick(['env | sort | head -n 8', 'env | wc -l', 'printenv HOME', 'echo $TERM', 'export | head -n 5'])),
    move('alias', 1.2, (w, r) => {
      const defs: [string, string][] = [
        ['ll', 'ls -la'],
        ['la', 'ls -A'],
        ['gs', 'git status'],
        ['..', 'cd ..'],
        ['count', 'wc -l'],
        ['h', 'history | tail -n 5'],
      ];
      const [k, v] = r.pick(defs);
      if (w.aliases.has(k)) return k === '..' || k === 'count' ? 'alias' : k;
      w.aliases.set(k, v);
      return `alias ${k}=${sq(v)}`;
    }),
    move('function', 1.2, (w, r) => {
      if (w.funcs.size > 0 && r.bool(0.6)) {
        const [name] = r.pick([...w.funcs.entries()]);
        return `${name} ${r.pick(FIRST_NAMES)}`;
      }
      const defs: [string, string][] = [
        ['greet', 'greet() { echo "Hello, $1!"; }'],
        ['mkcd', 'mkcd() { mkdir -p "$1" && cd "$1"; }'],
        ['count_lines', 'count_lines() { wc -l < "$1"; }'],
        ['backup', 'backup() { cp "$1" "$1.bak" && echo "backed up $1"; }'],
        ['shout', 'shout() { echo "$*" | tr a-z A-Z; }'],
      ];
      const [name, def] = r.pick(defs);
      w.funcs.set(name, def);
      return def;
    }),
    move('source-env-file', 1, (w, r) => {
      const f = w.pickFile(r, (x) => x.kind === 'env');
      if (!f) return null;
      for (const l of f.lines ?? []) {
        const m = /^export (\w+)=(.*)$/.exec(l);
        if (m?.[1] && m[2] !== undefined) w.env.set(m[1], m[2]);
      }
      return `${r.pick(['source', '.'])} ${w.rel(f.path)}${r.bool(0.5) ? ' && echo $APP_ENV' : ''}`;
    }),
    move('type', 0.4, (w, r) => (w.funcs.size ? `type ${r.pick([...w.funcs.keys()])}` : w.aliases.size ? `type ${r.pick([...w.aliases.keys()])}` : null)),
    move('oldpwd', 0.2, (w) => (posix.basename(w.cwd) ? 'echo $OLDPWD' : null)),
  ],
  scratch: scratchMoves,
};
