/** log-unique: list, sorted and without repeats, the services that logged a given level.
 *  Expert: grep the level, read the service names from the output, write them sorted itself. */
import { logLines } from '../../generate/content.js';
import { lines, q, writeFileCmd, type TaskFamily } from '../types.js';

export const logUnique: TaskFamily = {
  name: 'log-unique',
  generate(r) {
    let log = logLines(r, r.int(20, 45));
    const level = r.pick(['ERROR', 'WARN']);
    if (!log.some((l) => l.includes(` ${level} `))) log = [...log, `2026-03-28 23:59:00 ${level} [db] disk full`];
    const services = [...new Set(log.filter((l) => l.includes(` ${level} `)).map((l) => /\[(\w+)\]/.exec(l)?.[1] ?? ''))].sort();
    const path = `/root/logs/${r.pick(['events', 'system', 'daemon'])}.log`;
    const out = `/root/${r.pick(['services', 'failing', 'report'])}.txt`;
    return {
      instruction: `Write to ${out} the names of the services (the word in square brackets) that logged at least one ${level} line in ${path}: one per line, sorted alphabetically, no duplicates, without the brackets.`,
      setup: [writeFileCmd(path, log.join('\n') + '\n')],
      verifier: `#!/bin/bash\n[ "$(cat ${out})" = ${q(services.join('\n'))} ]\n`,
      params: { path, level, out },
    };
  },
  async expert(task, sh) {
    const { path, level, out } = task.params as { path: string; level: string; out: string };
    const seen = lines((await sh.run(`grep ' ${level} ' ${path}`)).out)
      .map((l) => /\[(\w+)\]/.exec(l)?.[1])
      .filter((x): x is string => !!x);
    const names = [...new Set(seen)].sort();
    await sh.run(`printf '%s\\n' ${names.map(q).join(' ')} > ${out}`);
    await sh.run(`cat ${out}`);
  },
};
