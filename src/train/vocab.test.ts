/**
 * Warm-starting a BPE model from a byte model (--init across tokenizers, transferVocab): the bytes' and
 * specials' rows are copied, each merged id starts at the mean of its bytes' rows, the first loss is the
 * source's knowledge (far below a seeded BPE init's), meta.json records how, and the other direction
 * (BPE -> bytes) is refused with both tokenizers named.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BpeTokenizer, readTokenizer } from '../model/bpe.js';
import { loadModel } from '../model/checkpoint.js';
import { type Config, loadConfig } from '../model/config.js';
import { VOCAB } from '../model/framing.js';
import { quiet, trainLosses, writeSyntheticSessions } from './fixtures.js';
import { train, transferVocab } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'tw-train-vocab-'));
const data = join(dir, 'syn.jsonl');
writeSyntheticSessions(data, 120, 7);

function tiny(steps: number, tokenizer: 'bytes' | 'bpe'): Config {
  const c = loadConfig('tiny');
  const model = tokenizer === 'bpe' ? { ...c.model, tokenizer, vocab: 320 } : { ...c.model, tokenizer };
  return { ...c, name: `tiny-${tokenizer}`, model, train: { ...c.train, steps, threads: 1 } };
}

describe('--init from a byte model into a BPE config', () => {
  it('copies the bytes and specials, starts each merge at the mean of its bytes, and remembers it', async () => {
    await train({ data, config: tiny(60, 'bytes'), out: join(dir, 'src'), ...quiet });
    const lines: string[] = [];
    await train({ data, config: tiny(2, 'bpe'), out: join(dir, 'warm'), init: join(dir, 'src'), progress: false, log: (l) => void lines.push(l) });
    await train({ data, config: tiny(2, 'bpe'), out: join(dir, 'fresh'), ...quiet });
    expect(lines.join('\n')).toMatch(
      /is a byte model, --config tiny-bpe BPE: bytes -> bpe \(vocab 264 -> 320\): wte rows of the 263 bytes and specials copied, each of the 57 merged ids the mean of its bytes' rows/,
    );

    // the transfer itself, on the source's weights and the run's own tokenizer
    const C = tiny(1, 'bytes').model.d;
    const src = loadModel(join(dir, 'src')).params.get('wte');
    expect(src).toBeDefined();
    const tok = readTokenizer(join(dir, 'warm', 'tokenizer.json'), 320);
    const wte = transferVocab(src!, 264, 320, C, tok);
    expect(wte.length).toBe(320 * C);
    expect(Array.from(wte.subarray(0, VOCAB * C))).toEqual(Array.from(src!.subarray(0, VOCAB * C)));
    const id = VOCAB + 5;
    const bytes = tok.bytesOf(id);
    expect(bytes.length).toBeGreaterThan(1);
    for (const c of [0, 7, C - 1]) {
      let mean = 0;
      for (const b of bytes) mean += src![b * C + c]! / bytes.length;
      expect(wte[id * C + c]).toBeCloseTo(mean, 6);
    }

    // the first loss is taken before any update: the byte model's knowledge shows through the new ids
    const warm = trainLosses(join(dir, 'warm'));
    const fresh = trainLosses(join(dir, 'fresh'));
    expect(warm[0]!).toBeLessThan(fresh[0]! - 1);
    const meta = JSON.parse(readFileSync(join(dir, 'warm', 'meta.json'), 'utf8')) as { init: { step: number; tokenizer: string } };
    expect(meta.init.step).toBe(60);
    expect(meta.init.tokenizer).toMatch(/^bytes -> bpe \(vocab 264 -> 320\)/);
    // the run resumes from its checkpoint (the tokenizer and the warm start unchanged) for one more step
    await train({ data, config: tiny(2, 'bpe'), out: join(dir, 'warm'), resume: true, steps: 3, ...quiet });
    expect(trainLosses(join(dir, 'warm'))).toHaveLength(3);
  });

  it('a BPE warm start of a BPE run keeps its tokenizer, and refuses another one', async () => {
    const lines: string[] = [];
    await train({ data, config: tiny(1, 'bpe'), out: join(dir, 'again'), init: join(dir, 'warm'), progress: false, log: (l) => void lines.push(l) });
    expect(lines.join('\n')).toMatch(/tokenizer: the warm start's \(.*warm.*tokenizer\.json\)/);
    expect(readFileSync(join(dir, 'again', 'tokenizer.json'), 'utf8')).toBe(readFileSync(join(dir, 'warm', 'tokenizer.json'), 'utf8'));
    // its first loss is the source's (same ids, same weights), not a fresh start's
    expect(trainLosses(join(dir, 'again'))[0]!).toBeLessThan(trainLosses(join(dir, 'fresh'))[0]! - 1);
    const other = join(dir, 'other-tokenizer.json');
    writeFileSync(other, new BpeTokenizer([[104, 101]], 320).serialize());
    await expect(train({ data, config: tiny(1, 'bpe'), out: join(dir, 'clash'), init: join(dir, 'warm'), tokenizer: other, ...quiet })).rejects.toThrow(
      /--init .*warm was trained with BPE merges of sha256 [0-9a-f]{12}…, this run's tokenizer is [0-9a-f]{12}…/,
    );
  });

  it('refuses a BPE model as the warm start of a byte model, naming both tokenizers', async () => {
    await expect(train({ data, config: tiny(1, 'bytes'), out: join(dir, 'back'), init: join(dir, 'fresh'), ...quiet })).rejects.toThrow(
      /--init .*fresh was trained with tokenizer "bpe", --config tiny-bytes asks for "bytes"/,
    );
  });
});
