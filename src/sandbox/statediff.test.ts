import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparePaths, diffUpper, lowerStatter, snapshotUpper, upperContentReader, type FsChange, type UpperSnapshot } from './statediff.js';

const isRoot = process.getuid?.() === 0;
const rootReason = isRoot ? null : 'not root: mknod of a whiteout (char device 0:0) needs CAP_MKNOD';

function tmp(): string {
  return mkdtempSync(join(os.tmpdir(), 'tw-statediff-'));
}
function whiteout(path: string): void {
  execFileSync('mknod', [path, 'c', '0', '0']);
}
function diff(a: UpperSnapshot, b: UpperSnapshot, opts: Parameters<typeof diffUpper>[3] = {}): FsChange[] {
  return diffUpper(a, b, upperContentReader(b), opts);
}
/** A past mtime, so that a rewrite in the same test is seen even on a coarse clock. */
function age(path: string): void {
  utimesSync(path, 1_000_000, 1_000_000);
}

describe('snapshotUpper', () => {
  it('records kinds, sizes, permission bits, symlink targets and session paths in sorted walk order', () => {
    const u = tmp();
    mkdirSync(join(u, 'etc/app'), { recursive: true });
    writeFileSync(join(u, 'etc/app/conf'), 'k=v\n');
    chmodSync(join(u, 'etc/app/conf'), 0o4640);
    writeFileSync(join(u, 'etc-b'), '');
    symlinkSync('/nowhere/at/all', join(u, 'etc/link'));
    const s = snapshotUpper(u);
    expect([...s.entries.keys()]).toEqual(['/etc', '/etc/app', '/etc/app/conf', '/etc/link', '/etc-b']);
    expect(s.entries.get('/etc/app/conf')).toMatchObject({ kind: 'file', size: 4, mode: 0o4640 });
    expect(typeof s.entries.get('/etc/app/conf')?.mtimeNs).toBe('bigint');
    expect(s.entries.get('/etc/link')).toMatchObject({ kind: 'symlink', target: '/nowhere/at/all' });
    expect(s.entries.get('/etc')?.kind).toBe('dir');
    expect(s.truncated).toBe(false);
  });

  it('does not follow a symlink to a directory (a host folder stays unwalked)', () => {
    const u = tmp();
    const outside = tmp();
    writeFileSync(join(outside, 'secret'), 'x');
    symlinkSync(outside, join(u, 'd'));
    const s = snapshotUpper(u);
    expect([...s.entries.keys()]).toEqual(['/d']);
    expect(s.entries.get('/d')?.kind).toBe('symlink');
  });

  it('stops at maxEntries, marking the snapshot truncated after the last path walked', () => {
    const u = tmp();
    for (let i = 0; i < 10; i++) writeFileSync(join(u, `f${i}`), String(i));
    const s = snapshotUpper(u, { maxEntries: 4 });
    expect(s.truncated).toBe(true);
    expect([...s.entries.keys()]).toEqual(['/f0', '/f1', '/f2', '/f3']);
    expect(s.last).toBe('/f3');
  });

  it('keeps names that are not UTF-8 apart and readable back', () => {
    const u = tmp();
    const name = Buffer.concat([Buffer.from(join(u, 'bad')), Buffer.from([0xff, 0x41])]);
    writeFileSync(name, 'hi');
    const s = snapshotUpper(u);
    expect([...s.entries.keys()]).toEqual(['/bad\\xffA']);
    expect(upperContentReader(s)('/bad\\xffA', 10)?.toString()).toBe('hi');
  });

  it.skipIf(!isRoot)(`reads a char device 0:0 as a whiteout${rootReason ? ` (skipped: ${rootReason})` : ''}`, () => {
    const u = tmp();
    whiteout(join(u, 'gone'));
    expect(snapshotUpper(u).entries.get('/gone')).toMatchObject({ kind: 'whiteout' });
  });
});

describe('comparePaths', () => {
  it('orders by component, so a directory is followed by its own entries', () => {
    const ps = ['/a-b', '/a/x', '/a', '/b', '/a/x/y'];
    expect([...ps].sort(comparePaths)).toEqual(['/a', '/a/x', '/a/x/y', '/a-b', '/b']);
  });
});

describe('diffUpper', () => {
  it('reports created, modified and mode changes with text content, sorted by path', () => {
    const u = tmp();
    mkdirSync(join(u, 'etc'));
    writeFileSync(join(u, 'etc/keep'), 'same');
    writeFileSync(join(u, 'etc/edit'), 'old');
    writeFileSync(join(u, 'etc/perm'), 'p');
    age(join(u, 'etc/edit'));
    const a = snapshotUpper(u);
    writeFileSync(join(u, 'etc/edit'), 'new text\n');
    chmodSync(join(u, 'etc/perm'), 0o600);
    mkdirSync(join(u, 'srv'));
    writeFileSync(join(u, 'srv/new.txt'), 'héllo\n');
    symlinkSync('/etc/keep', join(u, 'srv/ln'));
    const b = snapshotUpper(u);
    expect(diff(a, b)).toEqual([
      { path: '/etc/edit', op: 'modified', kind: 'file', size: 9, mode: b.entries.get('/etc/edit')?.mode, content: 'new text\n' },
      { path: '/etc/perm', op: 'mode', kind: 'file', mode: 0o600 },
      { path: '/srv', op: 'created', kind: 'dir', size: b.entries.get('/srv')?.size, mode: b.entries.get('/srv')?.mode },
      { path: '/srv/ln', op: 'created', kind: 'symlink', size: 9, mode: 0o777, target: '/etc/keep' },
      { path: '/srv/new.txt', op: 'created', kind: 'file', size: 7, mode: b.entries.get('/srv/new.txt')?.mode, content: 'héllo\n' },
    ]);
    expect(diff(b, b)).toEqual([]);
  });

  it('sees a same-size rewrite through mtime, and a replaced file through its inode', () => {
    const u = tmp();
    writeFileSync(join(u, 'a'), 'AAAA');
    writeFileSync(join(u, 'b'), 'BBBB');
    age(join(u, 'a'));
    age(join(u, 'b'));
    const s1 = snapshotUpper(u);
    writeFileSync(join(u, 'a'), 'aaaa');
    // sed -i style: a new file renamed over the old one, with the old mtime copied onto it.
    writeFileSync(join(u, 'b.tmp'), 'bbbb');
    age(join(u, 'b.tmp'));
    renameSync(join(u, 'b.tmp'), join(u, 'b'));
    const s2 = snapshotUpper(u);
    const ch = diff(s1, s2);
    expect(ch.map((c) => [c.path, c.op, c.content])).toEqual([
      ['/a', 'modified', 'aaaa'],
      ['/b', 'modified', 'bbbb'],
    ]);
  });

  it('keeps the first maxContentBytes of a long text file, and marks binary files without content', () => {
    const u = tmp();
    const a = snapshotUpper(u);
    writeFileSync(join(u, 'long.txt'), 'x'.repeat(5000));
    // 'é' is 2 bytes: a limit of 8 cuts the 5th one in half; the cut half is dropped.
    writeFileSync(join(u, 'accents.txt'), 'é'.repeat(10));
    writeFileSync(join(u, 'nul.bin'), Buffer.from([0x61, 0x00, 0x62]));
    writeFileSync(join(u, 'latin1.bin'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    writeFileSync(join(u, 'empty'), '');
    const b = snapshotUpper(u);
    const byPath = new Map(diff(a, b).map((c) => [c.path, c]));
    expect(byPath.get('/long.txt')).toMatchObject({ content: 'x'.repeat(2048), contentTruncated: true, size: 5000 });
    expect(byPath.get('/nul.bin')).toMatchObject({ binary: true, size: 3 });
    expect(byPath.get('/nul.bin')?.content).toBeUndefined();
    expect(byPath.get('/latin1.bin')).toMatchObject({ binary: true });
    expect(byPath.get('/empty')).toMatchObject({ content: '', size: 0 });
    expect(byPath.get('/empty')?.contentTruncated).toBeUndefined();
    const small = new Map(diff(a, b, { maxContentBytes: 8 }).map((c) => [c.path, c]));
    expect(small.get('/accents.txt')).toMatchObject({ content: 'éééé', contentTruncated: true });
    expect(small.get('/long.txt')?.content).toBe('xxxxxxxx');
  });

  it('reports a file removed from the upper layer as deleted, and a removed directory once', () => {
    const u = tmp();
    mkdirSync(join(u, 'tmp/work/deep'), { recursive: true });
    writeFileSync(join(u, 'tmp/work/deep/f'), '1');
    writeFileSync(join(u, 'tmp/work/g'), '2');
    writeFileSync(join(u, 'tmp/h'), '3');
    const a = snapshotUpper(u);
    rmSync(join(u, 'tmp/work'), { recursive: true });
    unlinkSync(join(u, 'tmp/h'));
    const b = snapshotUpper(u);
    expect(diff(a, b)).toEqual([
      { path: '/tmp/h', op: 'deleted', kind: 'file' },
      { path: '/tmp/work', op: 'deleted', kind: 'dir' },
    ]);
  });

  it('leaves out the session clock always, and the caller-given paths with what is below them', () => {
    const u = tmp();
    mkdirSync(join(u, 'usr/lib/terminalworld'), { recursive: true });
    writeFileSync(join(u, 'usr/lib/terminalworld/clock'), 'a');
    age(join(u, 'usr/lib/terminalworld/clock'));
    const a = snapshotUpper(u);
    writeFileSync(join(u, 'usr/lib/terminalworld/clock'), 'b');
    mkdirSync(join(u, 'run/tw'), { recursive: true });
    writeFileSync(join(u, 'run/tw/x'), '');
    writeFileSync(join(u, 'run/kept'), '');
    const b = snapshotUpper(u);
    expect(diff(a, b, { exclude: ['/run/tw'] }).map((c) => c.path)).toEqual(['/run', '/run/kept']);
    expect(diff(a, b).map((c) => c.path)).toEqual(['/run', '/run/kept', '/run/tw', '/run/tw/x']);
  });

  it('compares only what both snapshots walked when one was truncated', () => {
    const u = tmp();
    for (const n of ['a', 'b', 'c', 'd']) writeFileSync(join(u, n), n);
    const a = snapshotUpper(u);
    writeFileSync(join(u, 'a0'), 'new');
    const b = snapshotUpper(u, { maxEntries: 3 }); // /a, /a0, /b
    expect(b.truncated).toBe(true);
    // /c and /d were not walked in b: not taken for deleted.
    expect(diff(a, b).map((c) => [c.path, c.op])).toEqual([['/a0', 'created']]);
  });

  it('tells a copy-up of an unchanged lower entry from a change, given the lower layer', () => {
    const lower = tmp();
    const u = tmp();
    mkdirSync(join(lower, 'etc'));
    writeFileSync(join(lower, 'etc/hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(lower, 'etc/motd'), 'hi\n');
    age(join(lower, 'etc/hosts'));
    age(join(lower, 'etc/motd'));
    const a = snapshotUpper(u);
    // What overlayfs does: the parent directory and both files are copied up, attributes kept.
    mkdirSync(join(u, 'etc'), 0o755);
    chmodSync(join(u, 'etc'), 0o755);
    chmodSync(join(lower, 'etc'), 0o755);
    writeFileSync(join(u, 'etc/hosts'), '127.0.0.1 localhost\n10.0.0.1 db\n');
    writeFileSync(join(u, 'etc/motd'), 'hi\n');
    chmodSync(join(u, 'etc/motd'), 0o600);
    chmodSync(join(lower, 'etc/motd'), 0o644);
    age(join(u, 'etc/motd'));
    writeFileSync(join(u, 'etc/new'), 'n');
    const b = snapshotUpper(u);
    expect(diff(a, b, { lower: lowerStatter(lower) }).map((c) => [c.path, c.op])).toEqual([
      ['/etc/hosts', 'modified'],
      ['/etc/motd', 'mode'],
      ['/etc/new', 'created'],
    ]);
    // Without the lower layer the copied-up directory looks created.
    expect(diff(a, b).map((c) => [c.path, c.op])).toEqual([
      ['/etc', 'created'],
      ['/etc/hosts', 'created'],
      ['/etc/motd', 'created'],
      ['/etc/new', 'created'],
    ]);
  });

  it('does not read a file the session swapped for a symlink after the snapshot', () => {
    const u = tmp();
    const host = tmp();
    writeFileSync(join(host, 'secret'), 'host data');
    const a = snapshotUpper(u);
    writeFileSync(join(u, 'f'), 'mine');
    const b = snapshotUpper(u);
    unlinkSync(join(u, 'f'));
    symlinkSync(join(host, 'secret'), join(u, 'f'));
    const ch = diff(a, b);
    expect(ch).toEqual([{ path: '/f', op: 'created', kind: 'file', size: 4, mode: b.entries.get('/f')?.mode }]);
  });

  it('does not read a host file when the session swaps a parent directory for a symlink', () => {
    const u = tmp();
    const host = tmp();
    writeFileSync(join(host, 'f'), 'host data');
    mkdirSync(join(u, 'd'));
    writeFileSync(join(u, 'd/f'), 'mine');
    const s = snapshotUpper(u);
    const read = upperContentReader(s);
    expect(read('/d/f', 100)?.toString()).toBe('mine');
    renameSync(join(u, 'd'), join(u, 'd.old'));
    symlinkSync(host, join(u, 'd'));
    expect(read('/d/f', 100)).toBeNull();
  });

  it.skipIf(!isRoot)(
    `reports a whiteout as deleted, with the kind it had, and nothing below a deleted directory${rootReason ? ` (skipped: ${rootReason})` : ''}`,
    () => {
      const lower = tmp();
      const u = tmp();
      writeFileSync(join(lower, 'lowfile'), 'l');
      mkdirSync(join(u, 'opt/app'), { recursive: true });
      writeFileSync(join(u, 'opt/app/cfg'), 'c');
      writeFileSync(join(u, 'mine'), 'm');
      const a = snapshotUpper(u);
      rmSync(join(u, 'opt/app'), { recursive: true });
      whiteout(join(u, 'opt/app')); // as overlayfs does when /opt/app is also in the lower layer
      unlinkSync(join(u, 'mine'));
      whiteout(join(u, 'mine'));
      whiteout(join(u, 'lowfile'));
      const b = snapshotUpper(u);
      expect(diff(a, b, { lower: lowerStatter(lower) })).toEqual([
        { path: '/lowfile', op: 'deleted', kind: 'file' },
        { path: '/mine', op: 'deleted', kind: 'file' },
        { path: '/opt/app', op: 'deleted', kind: 'dir' },
      ]);
      // Without the lower layer a lower file's kind is unknown.
      expect(diff(a, b).find((c) => c.path === '/lowfile')).toEqual({ path: '/lowfile', op: 'deleted', kind: 'whiteout' });
      // A whiteout replaced by a new file: created.
      unlinkSync(join(u, 'mine'));
      writeFileSync(join(u, 'mine'), 'again');
      expect(diff(b, snapshotUpper(u)).map((c) => [c.path, c.op, c.content])).toEqual([['/mine', 'created', 'again']]);
    },
  );
});

// The real thing: a kernel overlay, changed through its merged view as a session would.
const canMount = isRoot && spawnSync('unshare', ['--mount', 'true']).status === 0;
const mountReason = canMount ? null : 'needs root and unshare --mount (a private mount namespace for the overlay)';
describe.skipIf(!canMount)(`diffUpper on a kernel overlay${mountReason ? ` (skipped: ${mountReason})` : ''}`, () => {
  it('sees files written, chmodded and deleted through overlayfs', () => {
    const d = tmp();
    for (const x of ['l', 'u', 'w', 'r']) mkdirSync(join(d, x));
    mkdirSync(join(d, 'l/etc'));
    writeFileSync(join(d, 'l/etc/hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(d, 'l/etc/motd'), 'hi\n');
    writeFileSync(join(d, 'l/etc/shells'), '/bin/sh\n');
    mkdirSync(join(d, 'l/var/cache'), { recursive: true });
    writeFileSync(join(d, 'l/var/cache/a'), 'a');
    const inOverlay = (script: string): void => {
      execFileSync(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-ec', `mount -t overlay -o lowerdir=l,upperdir=u,workdir=w overlay r; cd r; ${script}`],
        { cwd: d },
      );
    };
    const lower = lowerStatter(join(d, 'l'));
    const s0 = snapshotUpper(join(d, 'u'));
    inOverlay('echo "10.0.0.1 db" >> etc/hosts; chmod 600 etc/motd; rm etc/shells; rm -r var/cache; mkdir -p srv && echo hello > srv/index');
    const s1 = snapshotUpper(join(d, 'u'));
    expect(diffUpper(s0, s1, upperContentReader(s1), { lower })).toEqual([
      { path: '/etc/hosts', op: 'modified', kind: 'file', size: 32, mode: lower('/etc/hosts')?.mode, content: '127.0.0.1 localhost\n10.0.0.1 db\n' },
      { path: '/etc/motd', op: 'mode', kind: 'file', mode: 0o600 },
      { path: '/etc/shells', op: 'deleted', kind: 'file' },
      { path: '/srv', op: 'created', kind: 'dir', size: s1.entries.get('/srv')?.size, mode: s1.entries.get('/srv')?.mode },
      { path: '/srv/index', op: 'created', kind: 'file', size: 6, mode: s1.entries.get('/srv/index')?.mode, content: 'hello\n' },
      { path: '/var/cache', op: 'deleted', kind: 'dir' },
    ]);
    // A lower directory deleted and made again: the new one is opaque (hides the lower files); it
    // shows as created once its whiteout is seen.
    inOverlay('mkdir var/cache && echo b > var/cache/b');
    const s2 = snapshotUpper(join(d, 'u'));
    expect(diffUpper(s1, s2, upperContentReader(s2), { lower }).map((c) => [c.path, c.op])).toEqual([
      ['/var/cache', 'created'],
      ['/var/cache/b', 'created'],
    ]);
  });
});
