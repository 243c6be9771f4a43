/** largest-file: name the largest file in a folder. Expert: ls -S, read the first name, write it. */
import { WORDS } from '../../generate/content.js';
import { lines, writeFileCmd, type TaskFamily } from '../types.js';

export const largestFile: TaskFamily = {
  name: 'largest-file',
  generate(r) {
    const dir = `/root/${r.pick(['data', 'uploads', 'exports'])}`;
    const names = r
      .shuffle([...WORDS])
      .slice(0, r.int(4, 9))
      .map((n) => `${n}.${r.pick(['csv', 'bin', 'txt', 'dat'])}`);
    const sizes = r.shuffle(Array.from({ length: names.length }, (_, i) => 100 + i * 37 + r.int(0, 30)));
    const big = names[sizes.indexOf(Math.max(...sizes))] ?? '';
    const out = `/root/${r.pick(['largest', 'biggest'])}.txt`;
    return {
      instruction: `Find the largest file (in bytes) in ${dir} and write its name (just the file name, no path) to ${out}.`,
      setup: names.map((n, i) => writeFileCmd(`${dir}/${n}`, 'x'.repeat(sizes[i] ?? 1))),
      verifier: `#!/bin/bash\n[ "$(tr -d ' \\n' < ${out})" = "${big}" ]\n`,
      params: { dir, out },
    };
  },
  async expert(task, sh) {
    const { dir, out } = task.params as { dir: string; out: string };
    const first = lines((await sh.run(`ls -S ${dir} | head -n 1`)).out)[0];
    if (!first) return;
    await sh.run(`echo ${first} > ${out} && cat ${out}`);
  },
};
