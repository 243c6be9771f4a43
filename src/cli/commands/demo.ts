import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_MODEL_DIR } from '../../backends/learned/index.js';
import { backendName } from '../../backends/registry.js';
import { TwError } from '../../core/errors.js';
import { runMeta } from '../../core/meta.js';
import { formatRate } from '../../core/stats.js';
import { DEMO_SCRIPT } from '../../demo/script.js';
import { renderSideBySide, runSideBySide } from '../../demo/sideBySide.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job: one agent-like session on the real sandbox and on the shipped learned terminal, side by side')
    .option('--backends <list>', 'comma-separated; the first is the reference', 'real,learned,justbash,null')
    .option('--out <dir>', 'where to write the run folder', 'runs')
    .action(async (o: { backends: string; out: string }) => {
      const backends = o.backends
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map(backendName);
      if (backends.length < 2) throw new TwError('--backends needs at least two names', 'e.g. --backends real,learned');
      if (backends.includes('learned') && !process.env.TW_MODEL && !existsSync(DEFAULT_MODEL_DIR)) {
        throw new TwError(
          `the shipped model is missing (${DEFAULT_MODEL_DIR})`,
          'check out the full repository, or train it: see "Reproduce the shipped checkpoint" in the README',
        );
      }
      const seed = 0;
      const r = await runSideBySide(DEMO_SCRIPT, backends, { seed });
      process.stdout.write(renderSideBySide(r, DEMO_SCRIPT, process.stdout.isTTY === true));
      process.stdout.write(`\nexact match with ${backends[0]} (output bytes and exit code), 95% interval:\n`);
      for (const b of backends.slice(1)) {
        const all = r.exact[b],
          ne = r.exactNonEmpty[b];
        if (all && ne) process.stdout.write(`  ${b.padEnd(9)} all turns ${formatRate(all)}   non-empty outputs ${formatRate(ne)}\n`);
      }
      const id = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      const dir = join(o.out, id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(runMeta('tw.demo', 1, seed, { backends, script: DEMO_SCRIPT }), null, 2));
      writeFileSync(
        join(dir, 'sessions.json'),
        JSON.stringify(
          {
            format: 'terminalworld.demo',
            version: 1,
            backends,
            turns: r.turns.map((row, i) => ({
              cmd: DEMO_SCRIPT[i],
              results: row.map((t) => ({ output: t.output.toString('utf8'), exit: t.exit, cwd: t.cwd })),
            })),
            exact: r.exact,
            exactNonEmpty: r.exactNonEmpty,
          },
          null,
          2,
        ),
      );
      process.stdout.write(`\nrun folder: ${dir}\n`);
    });
}
