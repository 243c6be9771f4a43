import type { Command } from 'commander';
import { TwError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { EOT, fitContext, parseResult } from '../../model/framing.js';
import { Sampler } from '../../model/sampler.js';
import { readAllSessions } from '../../session/io.js';
import { sessionTurns } from '../../train/data.js';

interface SampleOpts {
  model: string;
  prompt: string;
  transcript?: string;
  raw: boolean;
  maxTokens: string;
  temperature: string;
  topP: string;
  seed: string;
  n: string;
  logprobs: boolean;
  json: boolean;
}

const num = (v: string, name: string): number => {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new TwError(`${name} ${v} is not a number`, `e.g. ${name} 0.8`);
  return x;
};

export function registerSample(program: Command): void {
  program
    .command('sample')
    .description('continue a transcript with a trained model: predict the output, exit code and cwd of a command')
    .requiredOption('--model <dir>', 'checkpoint folder or `tw train` run folder')
    .requiredOption('--prompt <text>', 'the next command (or, with --raw, raw text to continue)')
    .option('--transcript <file>', 'session .jsonl whose first session is the history before --prompt')
    .option('--raw', 'treat --prompt as raw bytes to continue (no framing, no stop token)', false)
    .option('--max-tokens <n>', 'most tokens to generate', '256')
    .option('--temperature <t>', '0 = greedy', '0')
    .option('--top-p <p>', 'nucleus sampling mass', '1')
    .option('--seed <n>', 'sampling seed', '0')
    .option('-n <count>', 'independent samples, decoded as one batch', '1')
    .option('--logprobs', 'print the log-probability of every generated token', false)
    .option('--json', 'print JSON', false)
    .action(async (o: SampleOpts) => {
      const sampler = await Sampler.load(o.model);
      const T = sampler.config.context;
      const tok = sampler.tokenizer; // bytes, or the model's BPE (its prompt and output in its ids)
      const maxTokens = num(o.maxTokens, '--max-tokens');
      let prompt: number[];
      if (o.raw) prompt = tok.encodeBytes(Buffer.from(o.prompt, 'utf8')).slice(-(T - 1));
      else {
        const history = o.transcript ? sessionTurns((await readAllSessions(o.transcript))[0] ?? ({ turns: [] } as never)) : [];
        prompt = fitContext(history, o.prompt, T, Math.min(maxTokens, T >> 1), tok.kind === 'bytes' ? undefined : tok);
      }
      const n = Math.max(1, Math.floor(num(o.n, '-n')));
      const gens = await sampler.generate(
        Array.from({ length: n }, () => prompt),
        {
          maxTokens,
          temperature: num(o.temperature, '--temperature'),
          topP: num(o.topP, '--top-p'),
          stop: o.raw ? [] : [EOT],
          rng: new Rng(num(o.seed, '--seed')),
        },
      );
      for (const g of gens) {
        const parsed = o.raw ? null : parseResult(tok.expand(g.tokens));
        const text = o.raw ? Buffer.from(tok.decode(g.tokens)).toString('utf8') : Buffer.from(parsed?.output ?? []).toString('utf8');
        const sumLp = g.logprobs.reduce((a, b) => a + b, 0);
        if (o.json) {
          process.stdout.write(
            JSON.stringify({
              output: text,
              exit: parsed?.exit ?? null,
              cwd: parsed?.cwd ?? null,
              complete: parsed?.complete ?? null,
              finish: g.finish,
              tokens: g.tokens,
              logprobs: o.logprobs ? g.logprobs : undefined,
              sumLogprob: sumLp,
            }) + '\n',
          );
          continue;
        }
        process.stdout.write(text);
        if (parsed)
          process.stdout.write(
            `${text.endsWith('\n') || text === '' ? '' : '\n'}[exit ${parsed.exit ?? '?'}] [cwd ${parsed.cwd ?? '?'}]${parsed.complete ? '' : ' (incomplete)'}\n`,
          );
        if (o.logprobs) process.stdout.write(`logprobs: ${g.logprobs.map((l) => l.toFixed(3)).join(' ')}\n`);
        process.stderr.write(`(${g.tokens.length} tokens, finish: ${g.finish}, total log-prob ${sumLp.toFixed(3)})\n`);
      }
      await sampler.release();
    });
}
