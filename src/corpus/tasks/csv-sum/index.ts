/** csv-sum: total one column over the rows matching a value in another column.
 *  Expert: read the header to find both columns (their order varies), awk the sum, write it. */
import { PRODUCTS } from '../../generate/content.js';
import { q, writeFileCmd, type TaskFamily } from '../types.js';

const REGIONS = ['north', 'south', 'east', 'west'];

export const csvSum: TaskFamily = {
  name: 'csv-sum',
  generate(r) {
    const cols = r.shuffle(['region', 'amount', 'product', 'day']);
    const rows: Record<string, string>[] = Array.from({ length: r.int(8, 20) }, () => ({
      region: r.pick(REGIONS),
      amount: String(r.int(1, 500)),
      product: r.pick(PRODUCTS),
      day: `2026-04-${String(r.int(1, 28)).padStart(2, '0')}`,
    }));
    const region = (rows[r.int(0, rows.length - 1)] ?? { region: 'north' }).region ?? 'north';
    const total = rows.filter((x) => x.region === region).reduce((s, x) => s + Number(x.amount), 0);
    const text = [cols.join(','), ...rows.map((x) => cols.map((c) => x[c]).join(','))].join('\n') + '\n';
    const path = `/root/data/${r.pick(['sales', 'orders', 'revenue'])}.csv`;
    const out = `/root/${r.pick(['total', 'sum', 'region_total'])}.txt`;
    return {
      instruction: `${path} is a CSV file with a header row. Add up the amount column over the rows whose region is ${region}, and write the total (just the number) to ${out}.`,
      setup: [writeFileCmd(path, text)],
      verifier: `#!/bin/bash\n[ "$(tr -d ' \\n' < ${out})" = "${total}" ]\n`,
      params: { path, region, out },
    };
  },
  async expert(task, sh) {
    const { path, region, out } = task.params as { path: string; region: string; out: string };
    const header = (await sh.run(`head -n 1 ${path}`)).out.trim().split(',');
    const ri = header.indexOf('region') + 1;
    const ai = header.indexOf('amount') + 1;
    if (ri === 0 || ai === 0) return;
    const res = await sh.run(`awk -F, -v r=${q(region)} 'NR>1 && $${ri}==r {s+=$${ai}} END {print s+0}' ${path}`);
    const total = /-?\d+/.exec(res.out)?.[0] ?? '0';
    await sh.run(`echo ${total} > ${out} && cat ${out}`);
  },
};
