import type { Command } from 'commander';
import { TwError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fsutil.js';
import { describeTokenizer } from '../../model/bpe.js';
import { FRAMINGS, type Framing } from '../../model/framing.js';
import { trainTokenizer } from '../../train/data.js';

export function registerTokenizer(program: Command): void {
  const t = program.command('tokenizer').description('the byte-level BPE tokenizer a config with "tokenizer": "bpe" trains with (src/model/bpe.ts)');
  t.command('train')
    .description(
      'learn BPE merges on the training sessions of --data (tw train does the same when its run folder has no tokenizer.json yet; pass this file with tw train --tokenizer to reuse it)',
    )
    .requiredOption('--data <path>', 'a corpus folder or session file; several joined by commas are pooled, as in tw train')
    .requiredOption('--vocab <n>', 'model ids: 263 (bytes and specials) + merges, e.g. 1024')
    .requiredOption('--out <file>', 'the tokenizer.json to write')
    .option('--framing <f>', `the framing whose byte runs are counted (${FRAMINGS.join(', ')})`, 'state')
    .option('--seed <n>', 'the hold-out seed of a corpus without a split (as train.seed)', '1')
    .action(async (o: { data: string; vocab: string; out: string; framing: string; seed: string }) => {
      const vocab = Number(o.vocab);
      if (!Number.isInteger(vocab) || vocab <= 263 || vocab > 65536)
        throw new TwError(`--vocab ${o.vocab} is not a vocabulary size between 264 and 65536`, 'e.g. --vocab 1024 (761 merges)');
      if (!(FRAMINGS as readonly string[]).includes(o.framing)) throw new TwError(`unknown --framing ${o.framing}`, `use one of: ${FRAMINGS.join(', ')}`);
      const log = (s: string): void => void process.stderr.write(s + '\n');
      const tok = await trainTokenizer(o.data, vocab, o.framing as Framing, Number(o.seed), 0.05, log);
      writeFileAtomic(o.out, tok.serialize());
      log(`wrote ${o.out}: ${describeTokenizer(tok)}`);
    });
}
