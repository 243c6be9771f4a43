import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelDir } from '../backends/learned/testkit.js';
import { compareSession, heatRuns, visibleText } from './compare.js';
import { CorpusIndex } from './corpusIndex.js';
import { startViewServer, type ViewServer } from './server.js';
import { resolveViewSources } from './sources.js';

const session = (i: number): string =>
  JSON.stringify({
    format: 'terminalworld.session',
    version: 1,
    id: `s-${i}`,
    backend: 'real',
    image: null,
    mode: 'pty',
    determinism: null,
    seed: i,
    setup: [],
    turns: [{ cmd: `echo ${i}`, output: `${i}\r\n`, exit: 0, cwd: '/root', ms: 1, timedOut: false, truncated: false, family: 'text' }],
  });

let file: string;
let view: ViewServer;

beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'tw-view-')), 'big.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < 12_000; i++) lines.push(i === 7 ? '{"format":"terminalworld.session","version":1,"id":"x"' : session(i));
  writeFileSync(file, lines.join('\n') + '\n\n');
  view = await startViewServer({ corpora: [file], port: 0, compareBackend: 'null', liveBackends: ['null'] });
});
afterAll(async () => {
  await view?.close();
});

const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const r = await fetch(`${view.url}${path}`);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

/** A GET with another Host header (fetch does not let one set it). */
const getWithHost = (path: string, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const u = new URL(view.url);
    request({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });

describe('the viewer server', () => {
  it('indexes a 12,000-session file and serves it a page at a time', async () => {
    const ix = await CorpusIndex.open(file);
    expect(ix.count).toBe(12_000);
    expect(ix.session(11_999).id).toBe('s-11999');
    const r = await get('/api/sessions?source=0&offset=11990&limit=50');
    expect(r.body.total).toBe(12_000);
    expect((r.body.items as unknown[]).length).toBe(10);
    const big = await get('/api/sessions?source=0&offset=0&limit=100000');
    expect((big.body.items as unknown[]).length).toBe(200); // capped
  });

  it('finds sessions by id or command, reading a line at a time', async () => {
    const r = await get('/api/search?source=0&q=s-11998');
    expect((r.body.items as { index: number }[]).map((x) => x.index)).toEqual([11998]);
    expect(r.body.next).toBe(-1);
    const many = await get('/api/search?source=0&q=echo%201&limit=5');
    expect((many.body.items as unknown[]).length).toBe(5);
    expect(many.body.next).toBeGreaterThan(0);
    expect((await get('/api/search?source=0&q=x')).status).toBe(400);
  });

  it('reports a bad line for that session only', async () => {
    const bad = await get('/api/session?source=0&index=7');
    expect(bad.status).toBe(422);
    expect(String(bad.body.error)).toMatch(/big\.jsonl:8: not valid JSON/);
    const good = await get('/api/session?source=0&index=8');
    expect(good.status).toBe(200);
    expect(good.body.id).toBe('s-8');
  });

  it('replays a session on a backend beside the real output', async () => {
    const r = await get('/api/compare?source=0&index=3&backend=null');
    const t = (r.body.turns as { exact: boolean; firstDiff: number; segments: { op: string; text: string }[] }[])[0];
    expect(t?.exact).toBe(false);
    expect(t?.firstDiff).toBe(0);
    expect(t?.segments).toEqual([{ op: 'del', text: '3\\r⏎\n' }]);
  });

  it('refuses other Host headers and non-JSON posts', async () => {
    expect(await getWithHost('/api/info', 'evil.example:80')).toBe(421);
    expect(await getWithHost('/api/info', new URL(view.url).host)).toBe(200);
    const r = await fetch(`${view.url}/api/live/start`, { method: 'POST', body: 'backends=null' });
    expect(r.status).toBe(415);
  });

  it('replays on the learned backend teacher-forced, with a confidence per character', async () => {
    const ix = await CorpusIndex.open(file);
    const s = ix.session(42);
    s.turns.push({ ...s.turns[0]!, cmd: 'echo again' });
    const r = await compareSession(s, 'learned', 'teacher', { model: tinyModelDir() });
    expect(r.reseeded).toBe(true);
    expect(r.turns).toHaveLength(2);
    for (const t of r.turns) {
      expect('error' in t.sim).toBe(false);
      if ('error' in t.sim) continue;
      // the heat map covers the visible output exactly
      expect((t.sim.heat ?? []).map(([text]) => text).join('')).toBe(t.sim.output);
      expect((t.sim.heat ?? []).every(([, level]) => level >= -1 && level <= 9)).toBe(true);
    }
  }, 60_000);

  it('maps per-byte log-probabilities onto visible characters', () => {
    const out = Buffer.from('aé\n');
    const { heat, mean } = heatRuns(out, [Math.log(0.95), Math.log(0.3), Math.log(0.9), Math.log(0.99)]);
    expect(heat).toEqual([
      ['a', 9],
      ['é', 3],
      ['⏎\n', 9],
    ]);
    expect(mean).toBeCloseTo((0.95 + 0.3 + 0.99) / 3);
    expect(visibleText(Buffer.from('a\tb\x1b'))).toBe('a\\tb\\x1b');
  });

  it('resolves session files, corpus folders, gym stores and Tier-1 run folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-view-src-'));
    mkdirSync(join(dir, 'gym'));
    writeFileSync(join(dir, 'gym', 'episodes.jsonl'), '');
    mkdirSync(join(dir, 'run'));
    copyFileSync(join(import.meta.dirname, '..', '..', 'docs/results/tier1-learned-test.json'), join(dir, 'run', 'results.json'));
    const cwd = process.cwd();
    process.chdir(join(import.meta.dirname, '..', '..'));
    try {
      const s = resolveViewSources([file, join(dir, 'gym'), join(dir, 'run'), 'data/corpus']);
      expect(s[0]).toEqual({ file, label: file });
      expect(s[1]?.label).toMatch(/gym trajectories/);
      expect(s[2]).toMatchObject({ file: 'data/corpus/test.jsonl', backend: 'learned', model: 'models/terminal-state' });
      expect(s.slice(3).map((x) => x.file)).toContain('data/corpus/valid.jsonl');
      expect(() => resolveViewSources([join(dir, 'nope')])).toThrow(/no such file or folder/);
    } finally {
      process.chdir(cwd);
    }
  });
});
