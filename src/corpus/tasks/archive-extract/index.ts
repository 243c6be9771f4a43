/** archive-extract: pull one named file out of a tar.gz whose layout the agent does not know.
 *  Expert: list the archive, find the member by its base name, extract just it, move it in place. */
import { iniLines, jsonLines, PROJECTS, proseLines, WORDS, yamlLines } from '../../generate/content.js';
import { lines, q, writeFileCmd, type TaskFamily } from '../types.js';

export const archiveExtract: TaskFamily = {
  name: 'archive-extract',
  generate(r) {
    const proj = r.pick(PROJECTS);
    const stage = `/tmp/stage-${r.int(100, 999)}`;
    const members: { path: string; content: string }[] = [];
    const wanted = r.pick(['config.yaml', 'settings.ini', 'package.json', 'NOTES.md']);
    const body = (name: string): string[] =>
      name.endsWith('yaml') ? yamlLines(r) : name.endsWith('ini') ? iniLines(r) : name.endsWith('json') ? jsonLines(r) : proseLines(r, proj);
    const dirs = [`${proj}`, `${proj}/${r.pick(['etc', 'conf', 'deploy'])}`, `${proj}/${r.pick(['docs', 'src'])}`];
    members.push({ path: `${r.pick(dirs.slice(1))}/${wanted}`, content: body(wanted).join('\n') + '\n' });
    for (let i = 0; i < r.int(3, 7); i++)
      members.push({ path: `${r.pick(dirs)}/${r.pick(WORDS)}_${i}.${r.pick(['txt', 'log', 'py'])}`, content: `${r.pick(WORDS)} ${i}\n` });
    const archive = `/root/${r.pick(['backup', 'release', 'snapshot'])}.tar.gz`;
    const dest = `/root/${r.pick(['restore', 'recovered', 'extracted'])}`;
    const target = members[0];
    if (!target) throw new Error('unreachable');
    return {
      instruction: `${archive} contains a file named ${wanted} somewhere inside it. Extract only that file and put it at ${dest}/${wanted}.`,
      setup: [...members.map((m) => writeFileCmd(`${stage}/${m.path}`, m.content)), `tar czf ${archive} -C ${stage} ${proj} && rm -rf ${stage}`],
      verifier: `#!/bin/bash\n[ "$(cat ${dest}/${wanted})" = ${q(target.content.trimEnd())} ] && [ "$(ls -A ${dest})" = ${q(wanted)} ]\n`,
      params: { archive, wanted, dest },
    };
  },
  async expert(task, sh) {
    const { archive, wanted, dest } = task.params as { archive: string; wanted: string; dest: string };
    const member = lines((await sh.run(`tar tzf ${archive}`)).out).find((m) => m === wanted || m.endsWith('/' + wanted));
    if (!member) return;
    const tmp = '/tmp/tw-extract';
    await sh.run(`mkdir -p ${tmp} ${dest} && tar xzf ${archive} -C ${tmp} ${q(member)}`);
    await sh.run(`mv ${q(`${tmp}/${member}`)} ${dest}/ && ls ${dest}`);
  },
};
