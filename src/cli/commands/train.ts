import type { Command } from 'commander';
import { TwError } from '../../core/errors.js';
import { loadConfig } from '../../model/config.js';
import { train } from '../../train/run.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train the GPT (bytes, or BPE with model.tokenizer "bpe") on session JSONL (run folder with meta.json, metrics.jsonl, checkpoints)')
    .requiredOption(
      '--data <path>',
      'a session .jsonl file, or a folder (train.jsonl + valid.jsonl, or any .jsonl files); several joined by commas are pooled (a mixture)',
    )
    .option('--config <name|file>', 'a named config (configs/<name>.json) or a config file', 'terminal-small')
    .requiredOption('--out <dir>', 'run folder')
    .option('--steps <n>', 'override train.steps')
    .option('--resume', 'continue the run in --out from its latest checkpoint', false)
    .option(
      '--init <dir>',
      'warm start: take the weights of this model checkpoint (same shape as --config; across positions learned/rotary, wpe is dropped or initialised); optimizer and schedule start fresh',
    )
    .option('--tokenizer <file>', 'a config with "tokenizer": "bpe": use this tokenizer.json (tw tokenizer train) instead of learning one on --data')
    .option(
      '--max-minutes <m>',
      'stop after M minutes of training in this invocation, with a checkpoint (the schedule still runs to train.steps; --resume goes on)',
    )
    .option('--quiet', 'no progress bar', false)
    .action(
      async (o: {
        data: string;
        config: string;
        out: string;
        steps?: string;
        resume: boolean;
        quiet: boolean;
        init?: string;
        tokenizer?: string;
        maxMinutes?: string;
      }) => {
        const maxMinutes = o.maxMinutes === undefined ? undefined : Number(o.maxMinutes);
        if (maxMinutes !== undefined && !(maxMinutes > 0)) throw new TwError(`--max-minutes ${o.maxMinutes} is not a positive number`, 'e.g. --max-minutes 30');
        const steps = o.steps === undefined ? undefined : Number(o.steps);
        if (steps !== undefined && (!Number.isInteger(steps) || steps <= 0))
          throw new TwError(`--steps ${o.steps} is not a positive integer`, 'e.g. --steps 2000');
        await train({
          data: o.data,
          config: loadConfig(o.config),
          out: o.out,
          steps,
          resume: o.resume,
          progress: !o.quiet,
          ...(o.init !== undefined ? { init: o.init } : {}),
          ...(o.tokenizer !== undefined ? { tokenizer: o.tokenizer } : {}),
          ...(maxMinutes !== undefined ? { maxMinutes } : {}),
        });
      },
    );
}
