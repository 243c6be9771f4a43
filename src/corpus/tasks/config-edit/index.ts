/** config-edit: change one key in one section of an INI file where the same key also appears in
 *  another section. Expert: grep -n the section headers and the key, work out which line belongs
 *  to the section, rewrite that line with sed, show the result. */
import { FIRST_NAMES, WORDS } from '../../generate/content.js';
import { writeFileCmd, type TaskFamily } from '../types.js';

export const configEdit: TaskFamily = {
  name: 'config-edit',
  generate(r) {
    const key = r.pick(['port', 'host', 'timeout']);
    const val = (): string =>
      key === 'port' ? String(r.int(1000, 9999)) : key === 'host' ? r.pick(['localhost', '10.0.0.5', 'db.internal', '127.0.0.1']) : String(r.int(5, 120));
    const sections = r.shuffle(['server', 'database', 'cache', 'metrics']).slice(0, r.int(2, 4));
    const values: Record<string, string> = {};
    const out: string[] = [];
    for (const s of sections) {
      values[s] = val();
      const extra = [`name = ${r.pick(WORDS)}`, `owner = ${r.pick(FIRST_NAMES)}`, `enabled = ${r.pick(['true', 'false'])}`];
      const body = r.shuffle([`${key} = ${values[s]}`, ...extra.slice(0, r.int(1, 3))]);
      out.push(`[${s}]`, ...body, '');
    }
    const target = r.pick(sections);
    let newVal = val();
    while (newVal === values[target]) newVal = val() + '0';
    const path = `/root/${r.pick(['app', 'service'])}/${r.pick(['settings.ini', 'config.ini', 'app.cfg'])}`;
    const checks = sections.map((s) => `c['${s}']['${key}'] == '${s === target ? newVal : values[s]}'`).join(' and ');
    return {
      instruction: `In ${path}, set ${key} to ${newVal} in the [${target}] section. Do not change anything else.`,
      setup: [writeFileCmd(path, out.join('\n'))],
      verifier: `#!/bin/bash\npython3 - <<'PY'\nimport configparser, sys\nc = configparser.ConfigParser()\nc.read('${path}')\nsys.exit(0 if (${checks}) and len(c.sections()) == ${sections.length} else 1)\nPY\n`,
      params: { path, key, value: newVal, section: target },
    };
  },
  async expert(task, sh) {
    const { path, key, value, section } = task.params as { path: string; key: string; value: string; section: string };
    const hits = (await sh.run(`grep -nE '^\\[|^${key} *=' ${path}`)).out.split('\n');
    let current = '';
    let target = 0;
    for (const h of hits) {
      const m = /^(\d+):(.*)$/.exec(h.trim());
      if (!m) continue;
      const sec = /^\[(.+)\]$/.exec(m[2] ?? '');
      if (sec) current = sec[1] ?? '';
      else if (current === section) target = Number(m[1]);
    }
    if (!target) return;
    await sh.run(`sed -i '${target}s/.*/${key} = ${value}/' ${path}`);
    await sh.run(`cat ${path}`);
  },
};
