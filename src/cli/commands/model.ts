import type { Command } from 'commander';
import { shipModel } from '../../report/modelCard.js';

export function registerModel(program: Command): void {
  const model = program.command('model').description('ship trained models');
  model
    .command('ship')
    .description("copy a run's latest checkpoint into a self-contained model folder with its card and training curve")
    .requiredOption('--run <dir>', 'the `tw train --out` run folder')
    .option('--out <dir>', 'model folder to write', 'models/terminal-state')
    .action(async (o: { run: string; out: string }) => {
      const card = await shipModel(o.run, o.out);
      process.stdout.write(`shipped step ${String(card.step)} to ${o.out} (final held-out loss ${String(card.finalValidLoss)})\n`);
    });
}
