/**
 * The determinism layer on the host, without the sandbox: compiled with the clock file at a test
 * path and preloaded into real coreutils and python3. Needs a C compiler (CI has one after
 * scripts/setup.sh); skipped with the reason elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionClock, writeClockFile } from '../clock.js';
import { compileTwdet } from './build.js';

function hasCc(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(os.tmpdir(), 'tw-twdet-'));
const clockPath = join(dir, 'clock');
const lib = join(dir, 'libtwdet.so');
const canRun = hasCc() && process.getuid?.() === 0;
if (canRun) compileTwdet(lib, [`CLOCK_PATH="${clockPath}"`]);

function run(cmd: string, args: string[], preload = true): string {
  return execFileSync(cmd, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC', ...(preload ? { LD_PRELOAD: lib } : {}) },
    encoding: 'utf8',
  });
}

const settings = { clockStart: '2026-01-01 00:00:00', turnSeconds: 1, clockStep: 0.001, clockRate: 1, seed: 11 };
const epoch = Date.UTC(2025, 11, 31) / 1000;

describe.skipIf(!canRun)('twdet, the determinism layer (needs cc and root, for PID namespaces)', () => {
  it('fakes the wall clock by turn and by clock read; file times by the turn they were changed in', () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    // The "image" was built a minute ago: times inside that window show at the image epoch.
    writeClockFile(clockPath, settings, { loNs: now - 60_000_000_000n, hiNs: now - 30_000_000_000n, epochS: epoch });
    writeFileSync(join(dir, 'old'), '');
    execFileSync('touch', ['-d', '@' + String(Number(now / 1_000_000_000n) - 45), join(dir, 'old')]);
    const clock = SessionClock.open(clockPath);
    clock.stamp(); // turn 0
    expect(run('date', ['+%F %T.%N'])).toBe('2026-01-01 00:00:00.001000000\n');
    run('touch', ['a']);
    clock.stamp(); // turn 1
    clock.stamp(); // turn 2
    run('touch', ['b']);
    expect(run('date', ['+%F %T'])).toBe('2026-01-01 00:00:02\n');
    // stat (statx), ls (statx) and python (fstatat) agree.
    expect(run('stat', ['-c', '%n %y', 'a', 'b', 'old'])).toBe(
      'a 2026-01-01 00:00:00.000000000 +0000\nb 2026-01-01 00:00:02.000000000 +0000\nold 2025-12-31 00:00:00.000000000 +0000\n',
    );
    expect(run('python3', ['-c', 'import os; print(int(os.stat("b").st_mtime), int(os.lstat("a").st_mtime))'])).toBe(
      `${Date.UTC(2026, 0, 1) / 1000 + 2} ${Date.UTC(2026, 0, 1) / 1000}\n`,
    );
    expect(run('find', ['.', '-newer', 'a', '-name', '[ab]'])).toBe('./b\n');
    // Explicit dates before the image window are shown as set.
    run('touch', ['-d', '2020-05-05 12:00:00', 'c']);
    expect(run('stat', ['-c', '%y', 'c'])).toBe('2020-05-05 12:00:00.000000000 +0000\n');
    // Each clock read moves the clock on by the step: python reads it several times.
    const t = Number(run('python3', ['-c', 'import time; a=time.time(); b=time.time(); print(round((b-a)*1000))']));
    expect(t).toBe(1);
    clock.close();
  });

  it('getrandom is a seeded stream: the same for the same seed, process and turn; another seed, another stream', () => {
    writeClockFile(clockPath, settings, { loNs: 0n, hiNs: 1n, epochS: epoch });
    // The stream is keyed by PID, which the sandbox's PID namespace makes deterministic: here a
    // fresh PID namespace gives the process PID 1 each time.
    const py = ['--pid', '--fork', 'python3', '-c', 'import os, uuid; print(os.urandom(8).hex(), uuid.uuid4())'];
    const a = run('unshare', py);
    expect(a).toMatch(/^[0-9a-f]{16} [0-9a-f-]{36}\n$/);
    expect(run('unshare', py)).toBe(a);
    writeClockFile(clockPath, { ...settings, seed: 12 }, { loNs: 0n, hiNs: 1n, epochS: epoch });
    expect(run('unshare', py)).not.toBe(a);
    // mktemp draws from it too.
    expect(run('unshare', ['--pid', '--fork', 'mktemp', '-u'])).toBe(run('unshare', ['--pid', '--fork', 'mktemp', '-u']));
  });

  it('without a clock file everything is real', () => {
    execFileSync('rm', ['-f', clockPath]);
    expect(Number(run('date', ['+%Y']))).toBe(new Date().getUTCFullYear());
    expect(run('mktemp', ['-u'])).not.toBe(run('mktemp', ['-u']));
  });
});
