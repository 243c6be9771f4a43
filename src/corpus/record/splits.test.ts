import { describe, expect, it } from 'vitest';
import { newSession, type Session } from '../../session/format.js';
import { assignSplits, checkSplits, COMMON_SESSIONS, hashSplit, type Split } from './splits.js';

function sess(id: string, turns: [string, string][]): Session {
  return newSession({
    id,
    backend: 'test',
    mode: 'pty',
    seed: 0,
    turns: turns.map(([cmd, output]) => ({ cmd, output, exit: 0, cwd: '/root', ms: 0, timedOut: false, truncated: false })),
  });
}
const LONG = 'a distinctive output line that is long enough to count\n';

describe('splits', () => {
  it('hash split is about 90/5/5 and stable', () => {
    const c = { train: 0, valid: 0, test: 0 };
    for (let i = 0; i < 20000; i++) c[hashSplit(`s${i}`)]++;
    expect(c.train / 20000).toBeGreaterThan(0.88);
    expect(c.train / 20000).toBeLessThan(0.92);
    expect(c.valid / 20000).toBeGreaterThan(0.04);
    expect(c.test / 20000).toBeGreaterThan(0.04);
    expect(hashSplit('abc')).toBe(hashSplit('abc'));
  });

  it('keeps sessions sharing a distinctive pair, or identical, in one split', () => {
    const ss: Session[] = [];
    for (let i = 0; i < 200; i++) ss.push(sess(`s${String(i).padStart(3, '0')}`, [[`cat f${i}`, `unique ${i} ${LONG}`]]));
    // pairs shared by 2 sessions, across ids that hash to different splits
    for (let i = 0; i < 40; i++) ss.push(sess(`t${String(i).padStart(3, '0')}`, [[`cat f${i}`, `unique ${i} ${LONG}`]]));
    ss.push(sess('dup-a', [['pwd', '/root\r\n']]), sess('dup-b', [['pwd', '/root\r\n']]));
    const a = assignSplits(ss);
    for (let i = 0; i < 40; i++) expect(a.split.get(`t${String(i).padStart(3, '0')}`)).toBe(a.split.get(`s${String(i).padStart(3, '0')}`));
    expect(a.split.get('dup-a')).toBe(a.split.get('dup-b'));
    const by = new Map<Split, Session[]>([
      ['train', []],
      ['valid', []],
      ['test', []],
    ]);
    for (const s of ss) by.get(a.split.get(s.id) ?? 'train')?.push(s);
    expect(checkSplits(by).ok).toBe(true);
  });

  it('exempts short and common pairs, and the check catches a real leak', () => {
    const common = Array.from({ length: COMMON_SESSIONS }, (_, i) =>
      sess(`c${i}`, [
        ['python3 --version', 'Python 3.11.2 and a long enough tail here\r\n'],
        ['pwd', '/root\r\n'],
        [`echo ${i}`, `${i}`],
      ]),
    );
    const leak = [
      sess('x1', [['cat secret', LONG]]),
      sess('x2', [
        ['cat secret', LONG],
        ['ls', 'a'],
      ]),
    ];
    const by = new Map<Split, Session[]>([
      ['train', [...common.slice(0, 2), leak[0] as Session]],
      ['valid', common.slice(2)],
      ['test', [leak[1] as Session]],
    ]);
    const c = checkSplits(by);
    expect(c.ok).toBe(false);
    expect(c.pairCollisions).toBe(1);
    expect(c.sessionCollisions).toBe(0);
  });
});
