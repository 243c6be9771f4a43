/** `tw report [RUN_DIR...] --out report.html`: one self-contained HTML evaluation report. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { buildReport } from '../../report/index.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      "one self-contained HTML evaluation report (Tier 1, Tier 2, conformance, bench, model card) of run folders or results files; none named: the shipped default's committed results",
    )
    .argument('[runs...]', 'run folders (tw eval tier1 --out) or results JSON files (tw probe/conformance/bench --json, card.json)')
    .option('-o, --out <file>', 'HTML file to write', 'report.html')
    .option('--title <text>', 'page title')
    .option('--viewer <url>', 'link failing probes to a running `tw view` at this URL')
    .option('--charts <dir>', 'also write every chart as its own SVG file in this folder (for a README)')
    .action(async (runs: string[], o: { out: string; title?: string; viewer?: string; charts?: string }) => {
      const t0 = performance.now();
      const charts = new Map<string, string>();
      const { html, loaded } = await buildReport(runs, { title: o.title, viewerUrl: o.viewer, charts });
      mkdirSync(dirname(o.out) || '.', { recursive: true });
      writeFileSync(o.out, html);
      if (o.charts) {
        mkdirSync(o.charts, { recursive: true });
        for (const [name, svg] of charts) writeFileSync(join(o.charts, `${name}.svg`), svg + '\n');
        process.stdout.write(`wrote ${charts.size} charts to ${o.charts}/\n`);
      }
      for (const n of loaded.notes) process.stderr.write(`note: ${n.part}${n.file ? ` (${n.file})` : ''}: ${n.message}\n`);
      process.stdout.write(
        `wrote ${o.out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, ${loaded.parts.length} results files, ${loaded.notes.length} notes) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
    });
}
