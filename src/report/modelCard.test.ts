import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TwError } from '../core/errors.js';
import { TOKENIZER_FILE } from '../model/bpe.js';
import { loadModel } from '../model/checkpoint.js';
import { loadConfig } from '../model/config.js';
import { writeSyntheticSessions } from '../train/fixtures.js';
import { train } from '../train/run.js';
import { CARD_FORMAT, shipModel } from './modelCard.js';

describe('shipModel', () => {
  it('ships the latest checkpoint with its card and training curve, loadable on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-ship-'));
    const data = join(dir, 'syn.jsonl');
    writeSyntheticSessions(data, 40, 3);
    const c = loadConfig('tiny');
    const run = join(dir, 'run');
    await train({
      data,
      config: { ...c, train: { ...c.train, steps: 20, evalEvery: 10, checkpointEvery: 10, threads: 1 } },
      out: run,
      progress: false,
      log: () => {},
    });
    const out = join(dir, 'model');
    const card = await shipModel(run, out);
    expect(card.format).toBe(CARD_FORMAT);
    expect(card.step).toBe(20);
    expect(typeof card.finalValidLoss).toBe('number');
    for (const f of ['config.json', 'model.safetensors', 'metrics.jsonl', 'card.json', 'training-curve.svg']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'training-curve.svg'), 'utf8')).toContain('held-out');
    expect(loadModel(out).info.step).toBe(20);
  });

  it('ships a BPE model with its tokenizer (loadable on its own), and a byte model over it leaves no tokenizer behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-ship-bpe-'));
    const data = join(dir, 'syn.jsonl');
    writeSyntheticSessions(data, 40, 3);
    const c = loadConfig('tiny');
    const steps = { ...c.train, steps: 10, evalEvery: 10, checkpointEvery: 10, threads: 1 };
    await train({
      data,
      config: { ...c, model: { ...c.model, tokenizer: 'bpe', vocab: 300 }, train: steps },
      out: join(dir, 'bpe'),
      progress: false,
      log: () => {},
    });
    await train({ data, config: { ...c, train: steps }, out: join(dir, 'bytes'), progress: false, log: () => {} });
    const out = join(dir, 'model');
    await shipModel(join(dir, 'bpe'), out);
    expect(readFileSync(join(out, TOKENIZER_FILE), 'utf8')).toBe(readFileSync(join(dir, 'bpe', TOKENIZER_FILE), 'utf8'));
    expect(loadModel(out).info.model.tokenizer).toBe('bpe');
    await shipModel(join(dir, 'bytes'), out);
    expect(existsSync(join(out, TOKENIZER_FILE))).toBe(false);
    expect(loadModel(out).info.model.tokenizer).toBe('bytes');
  });

  it('names the problem when the run folder holds no checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-ship-'));
    await expect(shipModel(dir, join(dir, 'out'))).rejects.toThrow(TwError);
  });
});
