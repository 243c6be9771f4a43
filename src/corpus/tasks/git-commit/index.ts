/** git-commit: commit everything in a folder with a given message. The folder may or may not
 *  already be a repository (with earlier commits), and git may or may not know who you are.
 *  Expert: ask git status, init if needed, set an identity if git has none, add, commit, check. */
import { FIRST_NAMES, proseLines, PROJECTS, pythonModule } from '../../generate/content.js';
import { q, writeFileCmd, type TaskFamily } from '../types.js';

export const gitCommit: TaskFamily = {
  name: 'git-commit',
  generate(r) {
    const proj = r.pick(PROJECTS);
    const dir = `/root/${proj}`;
    const msg = r.pick(['Initial import', 'Add project files', 'Snapshot before refactor', 'Import sources']);
    const setup = [
      writeFileCmd(`${dir}/README.md`, proseLines(r, proj).join('\n') + '\n'),
      writeFileCmd(`${dir}/src/main.py`, pythonModule(r, 'main').join('\n') + '\n'),
    ];
    const preRepo = r.bool(0.4);
    if (preRepo) {
      const who = r.pick(FIRST_NAMES);
      setup.push(
        `cd ${dir} && git init -q && git -c user.email=${who}@example.com -c user.name=${who} commit -q --allow-empty -m 'empty start' && cd - >/dev/null`,
      );
      setup.push(writeFileCmd(`${dir}/CHANGES.txt`, 'new work\n'));
    }
    return {
      instruction: `Commit every file in ${dir} to git with the commit message "${msg}". Make it a git repository first if it is not one. Leave nothing uncommitted.`,
      setup,
      verifier: `#!/bin/bash\ncd ${dir} || exit 1\n[ "$(git log -1 --format=%s)" = ${q(msg)} ] && [ -z "$(git status --porcelain)" ] && git ls-files --error-unmatch src/main.py README.md >/dev/null\n`,
      params: { dir, message: msg },
    };
  },
  async expert(task, sh) {
    const { dir, message } = task.params as { dir: string; message: string };
    await sh.run(`cd ${dir}`);
    const st = await sh.run('git status --short');
    if (st.exit !== 0 && /not a git repository/i.test(st.out)) await sh.run('git init');
    const who = await sh.run('git config user.email');
    if (who.out.trim() === '') await sh.run('git config user.email agent@example.com && git config user.name Agent');
    await sh.run('git add -A');
    await sh.run(`git commit -m ${q(message)}`);
    await sh.run('git log --oneline | head -n 3');
  },
};
