/** cleanup-tmp: delete every file with a scratch extension under a tree, keep the rest.
 *  Expert: find them, delete each one found, count what is left. */
import { WORDS } from '../../generate/content.js';
import { lines, q, writeFileCmd, type TaskFamily } from '../types.js';

export const cleanupTmp: TaskFamily = {
  name: 'cleanup-tmp',
  generate(r) {
    const root = `/root/${r.pick(['build', 'workspace', 'cache'])}`;
    const ext = r.pick(['tmp', 'bak', 'swp', 'o']);
    const files: string[] = [];
    for (let i = 0; i < r.int(6, 14); i++) {
      const sub = r.bool(0.5) ? `${r.pick(WORDS)}/` : '';
      files.push(`${sub}${r.pick(WORDS)}_${i}.${i < 2 || r.bool(0.4) ? ext : r.pick(['c', 'txt', 'json', 'md'])}`);
    }
    const keep = files.filter((f) => !f.endsWith('.' + ext));
    return {
      instruction: `Delete every file ending in .${ext} under ${root}, in all subfolders. Keep every other file.`,
      setup: files.map((f) => writeFileCmd(`${root}/${f}`, `${f}\n`)),
      verifier: `#!/bin/bash\n[ -z "$(find ${root} -name '*.${ext}')" ] || exit 1\n${keep.map((f) => `[ -f ${root}/${f} ] || exit 1`).join('\n')}\n`,
      params: { root, ext },
    };
  },
  async expert(task, sh) {
    const { root, ext } = task.params as { root: string; ext: string };
    const found = lines((await sh.run(`find ${root} -type f -name '*.${ext}'`)).out);
    for (let i = 0; i < found.length; i += 5)
      await sh.run(
        `rm -f ${found
          .slice(i, i + 5)
          .map(q)
          .join(' ')}`,
      );
    await sh.run(`find ${root} -type f | wc -l`);
  },
};
