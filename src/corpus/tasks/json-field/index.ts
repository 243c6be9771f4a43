/** json-field: write one nested value of a JSON file to a file. Expert: cat the JSON, parse what
 *  it printed, follow the dotted path, write the value. */
import { FIRST_NAMES, PROJECTS, SERVICES } from '../../generate/content.js';
import { q, writeFileCmd, type TaskFamily } from '../types.js';

export const jsonField: TaskFamily = {
  name: 'json-field',
  generate(r) {
    const doc = {
      name: r.pick(PROJECTS),
      service: { host: r.pick(['api.internal', 'localhost', '10.1.2.3']), port: r.int(1024, 65000), replicas: r.int(1, 9) },
      database: { engine: r.pick(['postgres', 'mysql', 'sqlite']), pool: { min: r.int(1, 4), max: r.int(5, 40) } },
      owners: r.shuffle([...FIRST_NAMES]).slice(0, 3),
      tags: { tier: r.pick(['gold', 'silver', 'bronze']), team: r.pick(SERVICES) },
    };
    const paths: [string, string][] = [
      ['service.port', String(doc.service.port)],
      ['service.host', doc.service.host],
      ['database.pool.max', String(doc.database.pool.max)],
      ['database.engine', doc.database.engine],
      ['tags.team', doc.tags.team],
      ['service.replicas', String(doc.service.replicas)],
    ];
    const [path, value] = r.pick(paths);
    const file = `/root/${r.pick(['config', 'deploy', 'settings'])}/${r.pick(['app', 'service', 'stack'])}.json`;
    const out = `/root/${r.pick(['value', 'answer', 'field'])}.txt`;
    return {
      instruction: `Read ${file} and write the value of ${path} (the dotted path into the JSON object) to ${out}, with nothing else in the file.`,
      setup: [writeFileCmd(file, JSON.stringify(doc, null, r.pick([2, 4])) + '\n')],
      verifier: `#!/bin/bash\n[ "$(cat ${out})" = ${q(value)} ]\n`,
      params: { path: file, key: path, out },
    };
  },
  async expert(task, sh) {
    const { path, key, out } = task.params as { path: string; key: string; out: string };
    const shown = (await sh.run(`cat ${path}`)).out;
    let v: unknown;
    try {
      v = JSON.parse(shown);
    } catch {
      return;
    }
    for (const k of key.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    if (v === undefined) return;
    await sh.run(`printf '%s\\n' ${q(String(v))} > ${out} && cat ${out}`);
  },
};
