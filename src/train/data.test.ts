import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CMD } from '../model/framing.js';
import { syntheticSessions } from './fixtures.js';
import { BatchStream, loadDataset } from './data.js';

const dir = mkdtempSync(join(tmpdir(), 'tw-data-'));
const lines = (n: number, seed: number): string =>
  syntheticSessions(n, seed)
    .map((s) => JSON.stringify(s) + '\n')
    .join('');

describe('training data', () => {
  it('uses train.jsonl / valid.jsonl when --data is a folder holding them', async () => {
    const d = join(dir, 'split');
    mkdirSync(d);
    writeFileSync(join(d, 'train.jsonl'), lines(10, 1));
    writeFileSync(join(d, 'valid.jsonl'), lines(3, 2));
    const ds = await loadDataset(d, 64, 1, 0.05);
    expect(ds.sessions).toEqual({ train: 10, valid: 3 });
  });

  it('several paths joined by commas pool their sessions (a mixture), and the hash covers each', async () => {
    const d = join(dir, 'split');
    const f = join(dir, 'mix.jsonl');
    writeFileSync(f, lines(20, 5));
    const one = await loadDataset(d, 64, 1, 0.1);
    const other = await loadDataset(f, 64, 1, 0.1);
    const mix = await loadDataset(`${d},${f}`, 64, 1, 0.1);
    expect(mix.sessions).toEqual({ train: 10 + 18, valid: 3 + 2 });
    expect(mix.train.length).toBe(one.train.length + other.train.length);
    expect(mix.files).toEqual([...one.files, ...other.files]);
    expect(mix.hash).not.toBe(one.hash);
    expect((await loadDataset(`${f},${d}`, 64, 1, 0.1)).hash).not.toBe(mix.hash);
  });

  it('otherwise holds out a seeded fraction of sessions', async () => {
    const f = join(dir, 'all.jsonl');
    writeFileSync(f, lines(40, 3));
    const a = await loadDataset(f, 64, 1, 0.1);
    const b = await loadDataset(f, 64, 1, 0.1);
    expect(a.sessions).toEqual({ train: 36, valid: 4 });
    expect(a.valid.map((w) => w.tokens.join())).toEqual(b.valid.map((w) => w.tokens.join()));
    expect(a.hash).toBe(b.hash);
  });

  it('batches start at [CMD], never weight the first token, and the cursor replays exactly', async () => {
    const f = join(dir, 'all.jsonl');
    const ds = await loadDataset(f, 64, 1, 0.1);
    const s1 = new BatchStream(ds.train, 4, 64, 'world', 9);
    for (let i = 0; i < 7; i++) s1.next();
    const cursor = { ...s1.cursor };
    const want = s1.next();
    const s2 = new BatchStream(ds.train, 4, 64, 'world', 9, cursor);
    const got = s2.next();
    expect(Array.from(got.tokens)).toEqual(Array.from(want.tokens));
    for (let r = 0; r < 4; r++) {
      expect(want.tokens[r * 65]).toBe(CMD);
      expect(want.mask[r * 65]).toBe(0);
      // packed: every segment starts at [CMD] with no loss on it
      for (let i = 1; i < 65; i++) {
        if (want.seg[r * 65 + i] !== want.seg[r * 65 + i - 1] && want.tokens[r * 65 + i] !== 0) {
          expect(want.tokens[r * 65 + i]).toBe(CMD);
          expect(want.mask[r * 65 + i]).toBe(0);
        }
      }
    }
    // at T=256 whole synthetic sessions are shorter than a row: rows hold several windows
    const wide = await loadDataset(f, 256, 1, 0.1);
    const packed = new BatchStream(wide.train, 4, 256, 'world', 9).next();
    expect(Math.max(...Array.from(packed.seg))).toBeGreaterThan(1);
    const unpacked = new BatchStream(wide.train, 4, 256, 'world', 9, { epoch: 0, index: 0 }, false).next();
    expect(Math.max(...Array.from(unpacked.seg))).toBe(1); // one window + its padding
  });
});
