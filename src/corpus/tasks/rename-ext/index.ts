/** rename-ext: rename every file with one extension to another, leaving the rest alone.
 *  Expert: list the folder, pick the matching names from what ls printed, mv each. */
import { WORDS } from '../../generate/content.js';
import { lines, q, writeFileCmd, type TaskFamily } from '../types.js';

const PAIRS: [string, string][] = [
  ['jpeg', 'jpg'],
  ['txt', 'md'],
  ['htm', 'html'],
  ['yml', 'yaml'],
  ['markdown', 'md'],
];

export const renameExt: TaskFamily = {
  name: 'rename-ext',
  generate(r) {
    const [from, to] = r.pick(PAIRS);
    const dir = `/root/${r.pick(['photos', 'pages', 'configs', 'drafts'])}`;
    const names = r.shuffle([...WORDS]).slice(0, r.int(4, 9));
    const files = names.map((n, i) => `${n}.${i < 2 || r.bool(0.6) ? from : r.pick(['png', 'csv', 'log', 'json'])}`);
    const expected = files.map((f) => (f.endsWith('.' + from) ? f.slice(0, -from.length) + to : f)).sort();
    return {
      instruction: `In ${dir}, rename every file ending in .${from} so that it ends in .${to} instead. Leave all other files as they are.`,
      setup: files.map((f) => writeFileCmd(`${dir}/${f}`, `${f}\n`)),
      verifier:
        `#!/bin/bash\n[ "$(ls ${dir} | sort | tr '\\n' ' ')" = "${expected.join(' ')} " ] || exit 1\n` +
        files.map((f) => `grep -qx ${q(f)} ${dir}/${f.endsWith('.' + from) ? f.slice(0, -from.length) + to : f} || exit 1`).join('\n') +
        '\n',
      params: { dir, from, to },
    };
  },
  async expert(task, sh) {
    const { dir, from, to } = task.params as { dir: string; from: string; to: string };
    const names = lines((await sh.run(`ls -1 ${dir}`)).out).filter((n) => n.endsWith('.' + from));
    for (const n of names) await sh.run(`mv ${q(`${dir}/${n}`)} ${q(`${dir}/${n.slice(0, -from.length)}${to}`)}`);
    await sh.run(`ls ${dir}`);
  },
};
