/** errors: missing files, bad flags, command not found, permission denied, syntax errors,
 *  python and tool errors. The session keeps going afterwards, as an agent's would. */
import { posix } from 'node:path';
import { PROJECTS, WORDS } from '../../generate/content.js';
import { type Family, move } from '../types.js';
import { scratchMoves } from './scratch.js';

const TYPOS = [
  'pyhton3 --version',
  'gti status',
  'sl',
  'claer',
  'grpe foo',
  'cta README.md',
  'mkdri test',
  'ehco hello',
  'lss',
  'node --version',
  'tree2',
  'vim2 notes.txt',
];

export const errors: Family<'errors'> = {
  name: 'errors',
  weight: 6,
  moves: [
    move(
      'missing-file',
      2,
      (_w, r) => `${r.pick(['cat', 'head', 'wc -l', 'grep x', 'less', 'rm'])} ${r.pick(WORDS)}${r.pick(['.txt', '.log', '.py', '.csv'])}`,
    ),
    move('missing-dir', 1, (_w, r) => `cd ${r.pick(['build', 'dist', 'node_modules', 'src/missing', '/opt/' + r.pick(PROJECTS)])}`),
    move('bad-flag', 1.5, (_w, r) =>
      r.pick([
        'ls --frobnicate',
        'ls -y',
        'grep --no-such-flag x .',
        'wc --lines=3',
        'sort -Z x',
        'head -n abc README.md',
        'cp',
        'mv onlyone',
        'tar -q',
        'cut -d, missing.csv',
        'mkdir',
      ]),
    ),
    move('typo', 1.5, (_w, r) => r.pick(TYPOS)),
    move('not-executable', 1, (w, r) => {
      const f = w.pickFile(r, (x) => !x.exec && x.lines !== null);
      return f ? `./${w.rel(f.path).replace(/^\.\//, '')}` : null;
    }),
    move('read-only-fs', 0.5, (_w, r) => r.pick(['touch /proc/tw', 'echo 1 > /proc/sys/kernel/hostname', 'mkdir /sys/newdir', 'rm /proc/version'])),
    move('bad-syntax', 1.2, (_w, r) =>
      r.pick([
        'if [ 1 -eq 1 ]; echo yes; fi',
        'for i in 1 2 3; echo $i; done',
        'echo $((3 + * 2))',
        'while true do; echo x; done',
        'case x in a) echo a;; esac esac',
        'fi',
        'done',
        "echo 'unbalanced' )",
      ]),
    ),
    move('misuse-path', 1, (w, r) => {
      const f = w.pickFile(r);
      if (f && r.bool(0.5)) return `cd ${w.rel(f.path)}`;
      const d = w.pickDir(r, (x) => x.startsWith(w.cwd + '/'));
      return d ? r.pick([`mkdir ${w.rel(d)}`, `rmdir ${w.rel(posix.dirname(d)) === '.' ? w.rel(d) : w.rel(posix.dirname(d))}`]) : null;
    }),
    move('python-error', 1, (_w, r) =>
      r.pick([
        "python3 -c 'print(1'",
        "python3 -c 'import nosuchmodule'",
        'python3 missing_script.py',
        "python3 -c 'print(undefined_name)'",
        "python3 -c '[1, 2][5]'",
      ]),
    ),
  ],
  scratch: scratchMoves,
};
