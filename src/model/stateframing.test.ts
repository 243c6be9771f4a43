import { describe, expect, it } from 'vitest';
import type { StateChange } from '../core/terminal.js';
import { CMD, EOT, EXIT, OUT, ROLE_CMD, ROLE_STATUS } from './framing.js';
import {
  CONTENT_MAX,
  DIFF,
  DIFF_FILES_MAX,
  REC,
  STATE,
  SessionState,
  type StateTurn,
  diffRecords,
  encodeStateResult,
  fitStateContext,
  parseStateResult,
  recordKey,
  recordsToChange,
  stateWindows,
} from './stateframing.js';

const enc = new TextEncoder();
const dec = (ts: readonly number[]): string =>
  ts
    .map((t) =>
      t === STATE
        ? '[STATE]'
        : t === DIFF
          ? '[DIFF]'
          : t === REC
            ? '[REC]'
            : t === CMD
              ? '[CMD]'
              : t === OUT
                ? '[OUT]'
                : t === EXIT
                  ? '[EXIT]'
                  : t === EOT
                    ? '[EOT]'
                    : String.fromCharCode(t),
    )
    .join('');

const change = (p: Partial<StateChange>): StateChange => ({
  files: [],
  vars: {},
  unset: [],
  functions: { added: [], removed: [] },
  aliases: { set: {}, unset: [] },
  ...p,
});

describe('state framing', () => {
  it('turns a recorded state change into records, PWD and caches left out', () => {
    const recs = diffRecords(
      change({
        files: [
          { path: '/root/p', op: 'created', kind: 'dir', mode: 0o40755 },
          { path: '/root/p/a.txt', op: 'created', kind: 'file', size: 3, mode: 0o100644, content: 'hi\n' },
          { path: '/root/p/__pycache__/m.pyc', op: 'created', kind: 'file', size: 900, binary: true },
          { path: '/root/bin', op: 'created', kind: 'file', size: 5000, mode: 0o755 },
          { path: '/root/l', op: 'created', kind: 'symlink', target: 'p' },
          { path: '/etc/motd', op: 'deleted', kind: 'whiteout' },
        ],
        vars: { PWD: '/root/p', OLDPWD: '/root', X: '1' },
        unset: ['Y'],
        functions: { added: ['f'], removed: [] },
        aliases: { set: { ll: 'ls -l' }, unset: ['la'] },
      }),
    );
    expect(recs.map((r) => r.text)).toEqual([
      'd /root/p 755',
      'f /root/p/a.txt 644 3\nhi\n',
      'f /root/bin 755 5000 ?',
      'l /root/l -> p',
      'x /etc/motd',
      'v OLDPWD=/root',
      'v X=1',
      'u Y',
      'g f',
      'a ll=ls -l',
      'A la',
    ]);
    for (const r of recs) expect(recordKey(r.text)).toBe(r.key);
    expect(diffRecords(recordsToChange(recs)).map((r) => r.text)).toEqual(recs.map((r) => r.text));
  });

  it('cuts long contents and counts the file records past the per-turn limit', () => {
    const long = 'x'.repeat(CONTENT_MAX + 50);
    const [r] = diffRecords(change({ files: [{ path: '/a', op: 'created', kind: 'file', size: long.length, mode: 0o644, content: long }] }));
    expect(r?.text).toBe(`f /a 644 ${long.length} ~\n${'x'.repeat(CONTENT_MAX)}`);
    const many = diffRecords(
      change({ files: Array.from({ length: DIFF_FILES_MAX + 3 }, (_, i) => ({ path: `/d/${i}`, op: 'created' as const, kind: 'dir' as const })) }),
    );
    expect(many.length).toBe(DIFF_FILES_MAX + 1);
    expect(many.at(-1)?.text).toBe('+ 3');
  });

  it('keeps the latest record of each thing, forgets what the session made and then removed', () => {
    const s = new SessionState('/root');
    s.apply(
      [
        { key: 'p:/root/p', text: 'd /root/p 755' },
        { key: 'p:/root/p/a', text: 'f /root/p/a 644 2\nx\n' },
        { key: 'v:X', text: 'v X=1' },
      ],
      '/root/p',
    );
    s.apply(
      [
        { key: 'v:X', text: 'v X=2' },
        { key: 'p:/etc/motd', text: 'x /etc/motd' },
      ],
      '/root/p',
    );
    expect(s.records().map((r) => r.text)).toEqual(['d /root/p 755', 'f /root/p/a 644 2\nx\n', 'v X=2', 'x /etc/motd']);
    s.apply(
      [
        { key: 'p:/root/p', text: 'x /root/p' },
        { key: 'v:X', text: 'u X' },
      ],
      '/root',
    );
    // removing a made directory forgets it and what was inside; the image file's removal stays
    expect(s.records().map((r) => r.text)).toEqual(['x /etc/motd']);
    expect(s.cwd).toBe('/root');
  });

  it('cuts a header that does not fit: contents first, then the oldest records, counted', () => {
    const s = new SessionState('/w');
    for (let i = 0; i < 6; i++) s.apply([{ key: `p:/w/f${i}`, text: `f /w/f${i} 644 30\n${'c'.repeat(30)}` }], '/w');
    const full = s.header(10_000);
    expect(dec(full)).toContain('c'.repeat(30));
    const h1 = s.header(200);
    expect(h1.length).toBeLessThanOrEqual(200);
    expect(dec(h1)).toContain('f /w/f3 644 30\n' + 'c'.repeat(30)); // newer contents kept
    expect(dec(h1)).toContain('f /w/f5 644 30\n' + 'c'.repeat(30));
    for (const i of [0, 1, 2]) expect(dec(h1)).toContain(`[REC]f /w/f${i} 644 30 ?[REC]`); // oldest contents dropped, records kept
    const h2 = s.header(40);
    expect(h2.length).toBeLessThanOrEqual(40);
    expect(dec(h2)).toMatch(/^\[STATE\]\/w\[REC\]\+ \d/);
    expect(dec(h2)).toContain('f /w/f5');
  });

  it('parses what it encodes, and reads a broken result without throwing', () => {
    const diff = [
      { key: 'p:/root/a', text: 'f /root/a 644 3\nhi\n' },
      { key: 'v:X', text: 'v X=1' },
    ];
    const toks = encodeStateResult(enc.encode('out\r\n'), 2, '/tmp', diff);
    const p = parseStateResult(toks);
    expect([Buffer.from(p.output).toString(), p.exit, p.cwd, p.complete, p.badRecords]).toEqual(['out\r\n', 2, '/tmp', true, 0]);
    expect(p.diff).toEqual(diff);
    const bad = parseStateResult([...enc.encode('x'), EXIT, ...enc.encode('0 /'), DIFF, REC, ...enc.encode('garbage'), REC, ...enc.encode('v Y=2')]);
    expect([bad.complete, bad.badRecords, bad.diff.map((r) => r.key)]).toEqual([false, 1, ['v:Y']]);
    expect(parseStateResult([...enc.encode('no status')]).exit).toBeNull();
  });

  const turns = (n: number): StateTurn[] =>
    Array.from({ length: n }, (_, i) => ({
      cmd: `echo ${i} > f${i}`,
      output: new Uint8Array(0),
      exit: 0,
      cwd: '/root',
      diff: [{ key: `p:/root/f${i}`, text: `f /root/f${i} 644 2\n${i % 10}\n` }],
    }));

  it('builds training windows that start with the state before their first turn', () => {
    const ws = stateWindows(turns(30), 128, '/root');
    expect(ws.length).toBeGreaterThan(2);
    for (const w of ws) {
      expect(w.tokens.length).toBeLessThanOrEqual(129);
      expect(w.tokens[0]).toBe(STATE);
      expect(w.roles[0]).toBe(ROLE_CMD);
    }
    const second = dec((ws[1] as { tokens: number[] }).tokens);
    expect(second.startsWith('[STATE]/root[REC]f /root/f0 644 2\n0\n')).toBe(true);
    // loss falls on the diff tokens
    const w0 = ws[0] as { tokens: number[]; roles: number[] };
    expect(w0.roles[w0.tokens.indexOf(DIFF)]).toBe(ROLE_STATUS);
  });

  it('keeps the context start (and so the KV-cache prefix) while it fits, then moves it forward', () => {
    // one turn in four writes a file
    const ts = turns(40).map((t, i) => (i % 4 === 0 ? t : { ...t, cmd: `cat f${i - (i % 4)}`, output: enc.encode(`${(i - (i % 4)) % 10}\r\n`), diff: [] }));
    let start = 0;
    const starts: number[] = [];
    for (let k = 0; k < ts.length; k++) {
      const r = fitStateContext(ts.slice(0, k), '/root', start, 'ls', 256, 64);
      expect(r.tokens.length).toBeLessThanOrEqual(256 - 64);
      expect(r.tokens[0]).toBe(STATE);
      expect(r.tokens.slice(-4)).toEqual([CMD, ...enc.encode('ls'), OUT]);
      start = r.start;
      starts.push(start);
    }
    expect(new Set(starts).size).toBeGreaterThan(1);
    expect(new Set(starts).size).toBeLessThan(ts.length / 3); // moved every few turns, not every turn
    for (let i = 1; i < starts.length; i++) expect(starts[i]!).toBeGreaterThanOrEqual(starts[i - 1]!);
  });
});
