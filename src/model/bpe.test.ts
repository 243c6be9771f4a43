import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { BYTES, BpeTokenizer, BpeTrainer, FIRST_MERGE, MAX_CHUNK, TOKENIZER_FORMAT, byteRuns, readTokenizer, splitChunks } from './bpe.js';
import { CMD, EOT, EXIT, OUT, ROLE_CMD, VOCAB, encodeTurns, fitContext, maskFor, parseResult, tokenizeEncoded, windows } from './framing.js';
import { diffRecords, encodeStateTurn, fitStateContext, parseStateResult, SessionState, stateWindows, type StateTurn } from './stateframing.js';

import type { Session } from '../session/format.js';
import { sessionTurns } from '../train/data.js';

const b = (s: string): number[] => [...Buffer.from(s)];

/** A small corpus of shell-like text, and a tokenizer trained on it. */
const corpus = [
  'ls -la /root/project\r\n',
  'total 12\r\ndrwxr-xr-x 2 root root 4096 Jan  1 00:00 .\r\ndrwxr-xr-x 3 root root 4096 Jan  1 00:00 ..\r\n',
  'cat /root/project/README.md\r\n# project\r\nhello world\r\n',
  'bash: foo: command not found\r\n',
  'echo hello > /root/project/a.txt && cat /root/project/a.txt\r\nhello\r\n',
  '0 /root/project',
  'f /root/project/a.txt 644 6\nhello\n',
];
function trained(vocab = 400): BpeTokenizer {
  const t = new BpeTrainer();
  for (let k = 0; k < 5; k++) for (const s of corpus) t.add(b(s));
  return t.train(vocab);
}

function randomBytes(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => (rng.u32() % 4 === 0 ? b(' /.\r\n-abc0')[rng.u32() % 10]! : rng.u32() & 255));
}

describe('bpe', () => {
  it('merged ids start right after the specials', () => {
    expect(FIRST_MERGE).toBe(VOCAB);
    const tok = trained();
    expect(tok.merges.length).toBeGreaterThan(50);
    const ids = tok.encodeBytes(b('hello world'));
    expect(ids.length).toBeLessThan(11);
    expect(ids.some((i) => i >= FIRST_MERGE)).toBe(true);
    expect(ids.every((i) => i < 256 || (i >= FIRST_MERGE && i < tok.size))).toBe(true);
  });

  it('pre-splits like GPT-4 on bytes: every byte kept, words with one leading mark, chunks capped', () => {
    const s = 'cd /root/my-app && ls -la\r\n  x=12345 ÿ\x00\x1b[0m';
    const chunks = splitChunks(b(s));
    expect(chunks.join('')).toBe(Buffer.from(s).toString('latin1'));
    expect(chunks.slice(0, 6)).toEqual(['cd', ' /', 'root', '/my', '-app', ' &&']);
    expect(chunks).toContain('123');
    const long = splitChunks(b('='.repeat(200)));
    expect(long.every((c) => c.length <= MAX_CHUNK)).toBe(true);
    expect(long.join('')).toBe('='.repeat(200));
  });

  it('round-trips any byte string (random bytes, every byte value, real-looking sessions)', () => {
    const tok = trained();
    const rng = new Rng(15);
    for (let k = 0; k < 300; k++) {
      const bytes = randomBytes(rng, rng.u32() % 300);
      expect(Array.from(tok.decode(tok.encodeBytes(bytes)))).toEqual(bytes);
    }
    const all = Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(tok.decode(tok.encodeBytes(all)))).toEqual(all);
    for (const s of corpus) expect(Buffer.from(tok.decode(tok.encodeBytes(b(s)))).toString()).toBe(s);
    // invalid UTF-8 and lone continuation bytes
    const odd = [0xc3, 0x28, 0x80, 0xff, 0xe2, 0x82, 0x20, 0x0d, 0x0a];
    expect(Array.from(tok.decode(tok.encodeBytes(odd)))).toEqual(odd);
  });

  it('round-trips the byte runs of real recorded sessions (data/corpus), trained on other sessions', () => {
    const lines = readFileSync('data/corpus/test.jsonl', 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .slice(0, 40);
    const runs = lines.map((l) => JSON.parse(l) as Session).map((s) => byteRuns(encodeTurns(sessionTurns(s)).tokens));
    const t = new BpeTrainer();
    for (const r of runs.slice(0, 20).flat()) t.add(r);
    const tok = t.train(600);
    let bytes = 0;
    let ids = 0;
    for (const r of runs.slice(20).flat()) {
      const e = tok.encodeBytes(r);
      expect(Array.from(tok.decode(e))).toEqual(r);
      bytes += r.length;
      ids += e.length;
    }
    // held-out sessions still compress
    expect(bytes / ids).toBeGreaterThan(1.5);
  });

  it('trains deterministically, whatever order the runs come in', () => {
    const a = new BpeTrainer();
    const z = new BpeTrainer();
    for (const s of corpus) a.add(b(s), 5);
    for (const s of [...corpus].reverse()) for (let k = 0; k < 5; k++) z.add(b(s));
    const ta = a.train(330);
    const tz = z.train(330);
    expect(ta.merges).toEqual(tz.merges);
    expect(ta.hash).toBe(tz.hash);
    expect(ta.merges.length).toBe(330 - FIRST_MERGE);
  });

  it('never merges across a special and keeps specials as they are', () => {
    const tok = trained();
    const framed = [CMD, ...b('ls'), OUT, ...b('hello'), EXIT, ...b('0 /root/project'), EOT];
    const ids = tok.framed(framed);
    expect(ids.filter((i) => i >= 256 && i < FIRST_MERGE)).toEqual([CMD, OUT, EXIT, EOT]);
    expect(tok.expand(ids)).toEqual(framed);
    expect(byteRuns(framed).map((r) => Buffer.from(r).toString())).toEqual(['ls', 'hello', '0 /root/project']);
    expect(BYTES.framed(framed)).toEqual(framed);
  });

  it('saves and reads back the same tokenizer; a bad file is refused with a fix', () => {
    const tok = trained();
    const dir = mkdtempSync(join(tmpdir(), 'bpe-'));
    const f = join(dir, 'tokenizer.json');
    writeFileSync(f, tok.serialize());
    const back = readTokenizer(f, 512);
    expect(back.merges).toEqual(tok.merges);
    expect(back.hash).toBe(tok.hash);
    expect(back.size).toBe(512);
    expect(back.encodeBytes(b('cat /root/project/a.txt'))).toEqual(tok.encodeBytes(b('cat /root/project/a.txt')));
    writeFileSync(f, JSON.stringify({ format: TOKENIZER_FORMAT, version: 9, kind: 'bpe', firstMerge: 263, split: 'x', maxChunk: 64, merges: [] }));
    expect(() => readTokenizer(f)).toThrow(/version 9/);
    expect(() => new BpeTokenizer([[263, 1]])).toThrow(/only bytes and earlier merges/);
  });
});

describe('framings with BPE ids', () => {
  const tok = trained();
  const turn = (cmd: string, out: string, exit = 0, cwd = '/root/project') => ({ cmd, output: Buffer.from(out), exit, cwd });

  it('turns framing: the world mask covers exactly the output and status ids', () => {
    const e = tokenizeEncoded(encodeTurns([turn('ls -la /root/project', 'hello world\r\n'), turn('cat /root/project/a.txt', 'hello\r\n', 1)]), tok);
    expect(tok.expand(e.tokens)).toEqual(
      encodeTurns([turn('ls -la /root/project', 'hello world\r\n'), turn('cat /root/project/a.txt', 'hello\r\n', 1)]).tokens,
    );
    expect(e.turnStarts.map((i) => e.tokens[i])).toEqual([CMD, CMD]);
    const m = maskFor('world', e.roles);
    // per token: loss exactly on what follows [OUT] up to and including [EOT]
    let inResult = false;
    e.tokens.forEach((t, i) => {
      expect(m[i]).toBe(inResult ? 1 : 0);
      if (t === OUT) inResult = true;
      if (t === EOT) inResult = false;
    });
    expect(e.tokens.length).toBeLessThan(
      encodeTurns([turn('ls -la /root/project', 'hello world\r\n'), turn('cat /root/project/a.txt', 'hello\r\n', 1)]).tokens.length,
    );
  });

  it('windows, fitContext and parseResult work on ids', () => {
    const turns = Array.from({ length: 12 }, (_, i) => turn(`echo hello > /root/project/f${i}.txt`, i % 2 ? 'hello world\r\n' : ''));
    const e = tokenizeEncoded(encodeTurns(turns), tok);
    const ws = windows(e, 40);
    expect(ws.every((w) => w.tokens[0] === CMD && w.tokens.length <= 41)).toBe(true);
    expect(ws.flatMap((w) => w.tokens)).toEqual(e.tokens);
    const ctx = fitContext(turns, 'ls', 64, 16, tok);
    expect(ctx.length).toBeLessThanOrEqual(48);
    expect(ctx.slice(-tok.framed([CMD, ...b('ls'), OUT]).length)).toEqual(tok.framed([CMD, ...b('ls'), OUT]));
    // more turns fit than with bytes
    const nBpe = fitContext(turns, 'ls', 200, 0, tok).filter((t) => t === CMD).length;
    const nBytes = fitContext(turns, 'ls', 200, 0).filter((t) => t === CMD).length;
    expect(nBpe).toBeGreaterThan(nBytes);
    const gen = tok.framed([...b('hello world\r\n'), EXIT, ...b('0 /root/project'), EOT]);
    const r = parseResult(tok.expand(gen));
    expect(Buffer.from(r.output).toString()).toBe('hello world\r\n');
    expect(r).toMatchObject({ exit: 0, cwd: '/root/project', complete: true });
  });

  it('state framing: header, windows and parsing in ids; roles uniform over every byte run', () => {
    const st: StateTurn[] = Array.from({ length: 10 }, (_, i) => ({
      ...turn(`echo hello > a${i}.txt`, ''),
      diff: diffRecords({
        files: [{ path: `/root/project/a${i}.txt`, op: 'created', kind: 'file', mode: 0o644, size: 6, content: 'hello\n' }],
        vars: {},
        unset: [],
        functions: { added: [], removed: [] },
        aliases: { set: {}, unset: [] },
      }),
    }));
    for (const t of st) {
      const e = encodeStateTurn(t);
      // a byte run never mixes roles, so merging inside runs keeps the mask exact
      let prev = -1;
      e.tokens.forEach((x, i) => {
        if (x < 256 && prev >= 0 && e.tokens[i - 1]! < 256) expect(e.roles[i]).toBe(prev);
        prev = e.roles[i]!;
      });
    }
    const state = new SessionState('/root');
    for (const t of st) state.apply(t.diff, t.cwd);
    const h = state.header(64, tok);
    expect(h.length).toBeLessThanOrEqual(64);
    expect(h.length).toBeGreaterThan(state.header(64).length / 3);
    // the BPE header fits more records than the byte header in the same budget
    expect(tok.expand(h).filter((x) => x === 262).length).toBeGreaterThan(state.header(64).filter((x) => x === 262).length);
    const ws = stateWindows(st, 48, '/root', tok);
    expect(ws.every((w) => w.tokens.length <= 49 && w.roles.length === w.tokens.length)).toBe(true);
    for (const w of ws) {
      const m = maskFor('world', w.roles);
      w.tokens.forEach((x, i) => x === OUT && expect(m[i]).toBe(0));
      expect(w.roles.filter((r) => r === ROLE_CMD).length).toBeLessThan(w.roles.length);
    }
    const { tokens } = fitStateContext(st, '/root', 0, 'cat a1.txt', 96, 24, tok);
    expect(tokens.length).toBeLessThanOrEqual(72);
    const parsed = parseStateResult(tok.expand(tok.framed([...b('hello\r\n'), EXIT, ...b('0 /root/project'), 261, 262, ...b('v X=1'), EOT])));
    expect(parsed).toMatchObject({ exit: 0, cwd: '/root/project', complete: true, diff: [{ key: 'v:X', text: 'v X=1' }] });
  });
});
