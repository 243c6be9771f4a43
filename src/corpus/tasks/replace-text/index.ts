/** replace-text: replace a word in every .md file under a folder, leave other files untouched.
 *  Expert: grep -rl for the word in .md files, sed -i each file it listed, check none are left. */
import { proseLines, PROJECTS, WORDS } from '../../generate/content.js';
import { lines, q, writeFileCmd, type TaskFamily } from '../types.js';

export const replaceText: TaskFamily = {
  name: 'replace-text',
  generate(r) {
    const dir = `/root/${r.pick(['docs', 'wiki', 'handbook'])}`;
    const [from, to] = r.shuffle([...WORDS]).slice(0, 2) as [string, string];
    const files: { path: string; content: string }[] = [];
    for (let i = 0; i < r.int(4, 8); i++) {
      const ext = i < 2 ? 'md' : r.pick(['md', 'md', 'txt', 'rst']);
      const body = proseLines(r, r.pick(PROJECTS));
      if (i < 2 || r.bool(0.6)) body.splice(r.int(1, body.length), 0, `See the ${from} notes; ${from} is owned by ops.`);
      files.push({ path: `${dir}/${r.bool(0.3) ? r.pick(WORDS) + '/' : ''}page${i}.${ext}`, content: body.join('\n') + '\n' });
    }
    const expected = files.map((f) => ({ path: f.path, content: f.path.endsWith('.md') ? f.content.split(from).join(to) : f.content }));
    const checks = expected.map((f) => `[ "$(base64 -w0 ${f.path})" = "${Buffer.from(f.content).toString('base64')}" ] || exit 1`);
    return {
      instruction: `In every .md file under ${dir} (subfolders too), replace each occurrence of the word "${from}" with "${to}". Files that are not .md must not change.`,
      setup: files.map((f) => writeFileCmd(f.path, f.content)),
      verifier: `#!/bin/bash\n${checks.join('\n')}\n`,
      params: { dir, from, to },
    };
  },
  async expert(task, sh) {
    const { dir, from, to } = task.params as { dir: string; from: string; to: string };
    const hits = lines((await sh.run(`grep -rl --include='*.md' ${q(from)} ${dir}`)).out);
    for (let i = 0; i < hits.length; i += 4)
      await sh.run(
        `sed -i 's/${from}/${to}/g' ${hits
          .slice(i, i + 4)
          .map(q)
          .join(' ')}`,
      );
    await sh.run(`grep -rc --include='*.md' ${q(from)} ${dir} | grep -v ':0$' | wc -l`);
  },
};
