/**
 * The ablation table of scripts/ablation-state.sh: one row per arm (runs/ablation-state/<arm>/),
 * from its tier1.json (or another Tier-1 file: FILE) and probes.json, as Markdown.
 * Usage: node --import tsx scripts/ablation-table.ts DIR [FILE]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatRate, type Rate } from '../src/core/stats.js';
import type { Tier1Results } from '../src/eval/tier1/index.js';

const dir = process.argv[2] ?? 'runs/ablation-state';
const file = process.argv[3] ?? 'tier1.json';
const pct = (r: Rate | undefined): string => (r && r.total > 0 ? formatRate(r) : '—');
const rows: string[] = [
  '| arm | exact, teacher-forced | exact, free-running | non-empty outputs, free | T=10 free | T=25 free | state accuracy, free | bits/byte (tf) | Tier 2 |',
  '|---|---|---|---|---|---|---|---|---|',
];
let nullRow = '';
for (const arm of readdirSync(dir).sort()) {
  const t1f = join(dir, arm, file);
  const prf = join(dir, arm, 'probes.json');
  if (!existsSync(t1f)) continue;
  const t = JSON.parse(readFileSync(t1f, 'utf8')) as Tier1Results;
  const p = existsSync(prf) ? (JSON.parse(readFileSync(prf, 'utf8')) as { aggregate: number; passed: number; total: number }) : null;
  const fr = t.freeRunning.exact;
  const tf = t.teacherForced.exact;
  rows.push(
    `| ${arm} | ${pct(tf.overall.target)} | ${pct(fr.overall.target)} | ${pct(fr.overall.targetNonEmpty)} | ${pct(fr.byDepth['10']?.target)} | ${pct(fr.byDepth['25']?.target)} | ${pct(t.state?.overall.target)} | ${t.teacherForced.scores?.crossEntropy.overall.bitsPerByte.toFixed(3) ?? '—'} | ${p ? `${(p.aggregate * 100).toFixed(1)}% (${p.passed}/${p.total})` : '—'} |`,
  );
  nullRow = `| null (floor) | ${pct(tf.overall.baseline)} | ${pct(fr.overall.baseline)} | ${pct(fr.overall.baselineNonEmpty)} | ${pct(fr.byDepth['10']?.baseline)} | ${pct(fr.byDepth['25']?.baseline)} | ${pct(t.state?.overall.baseline)} | 8 (uniform) | see docs/probes.md |`;
}
if (nullRow) rows.push(nullRow);
process.stdout.write(rows.join('\n') + '\n');
