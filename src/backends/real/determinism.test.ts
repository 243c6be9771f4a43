import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { noSandbox, runAll, text } from './testkit.js';

const SCRIPT = [
  'date; date +%s.%N; echo $RANDOM $RANDOM',
  "(echo $RANDOM); bash -c 'echo $RANDOM $$'",
  'mktemp; mktemp -d; seq 20 | shuf | tr "\\n" " "',
  'python3 -c \'import random,uuid,time,os; print(random.random(), uuid.uuid4(), time.time(), hash("abc"), os.getpid())\'',
  'echo $$ $BASHPID; sleep 0.05 & echo $!; wait',
  'ps -e -o pid,tty,stat,comm',
  'hostname; uptime; free -m; cat /proc/loadavg',
  'sleep 0.3; date +%T.%N',
  'env | sort',
];

const FILE_TIMES = [
  'touch a; mkdir d; echo hi > d/x',
  'touch b; stat -c "%n %y" a b d/x',
  'ls -l a b',
  'touch c; tar cf t.tar a b d; find . -newer a -type f | sort',
  'date; mktemp; echo $RANDOM',
  'ls -t1 a b c t.tar',
  'tar tvf t.tar',
  'stat -c %y /etc/hostname | cut -c1-10',
];

// Needs the sandbox; skipped (with this reason) only on machines that cannot run it.
describe.skipIf(noSandbox)('determinism mode (needs the sandbox)', () => {
  it('replays the same session byte-identically in two fresh sandboxes', async () => {
    const a = await runAll(SCRIPT, { seed: 7 });
    const b = await runAll(SCRIPT, { seed: 7 });
    for (let i = 0; i < SCRIPT.length; i++) {
      expect({ cmd: SCRIPT[i], out: text(b[i]), exit: b[i]?.exit }).toEqual({ cmd: SCRIPT[i], out: text(a[i]), exit: a[i]?.exit });
    }
    expect(text(a[0]).split('\r\n')[0]).toBe('Thu Jan  1 00:00:00 UTC 2026');
    expect(text(a[6]).split('\r\n')[0]).toBe('4b1c0e7d2a9f');
  });

  it('draws different randomness for a different seed', async () => {
    const [a] = await runAll(['echo $RANDOM; mktemp -u; python3 -c "import uuid; print(uuid.uuid4())"'], { seed: 1 });
    const [b] = await runAll(['echo $RANDOM; mktemp -u; python3 -c "import uuid; print(uuid.uuid4())"'], { seed: 2 });
    const la = text(a).split('\r\n');
    const lb = text(b).split('\r\n');
    for (let i = 0; i < 3; i++) expect(la[i]).not.toBe(lb[i]);
  });

  it('file times follow the session clock: one second per turn, the same bytes in two fresh sandboxes and on any day', async () => {
    const a = await runAll(FILE_TIMES, { seed: 3 });
    // Let the real clock move on by more than a second (and a coarse tick), as another day would.
    await new Promise((r) => setTimeout(r, 1200));
    const b = await runAll(FILE_TIMES, { seed: 3 });
    for (let i = 0; i < FILE_TIMES.length; i++) {
      expect({ cmd: FILE_TIMES[i], out: text(b[i]), exit: b[i]?.exit }).toEqual({ cmd: FILE_TIMES[i], out: text(a[i]), exit: a[i]?.exit });
    }
    const lines = (i: number): string[] => text(a[i]).trim().split('\r\n');
    // touch a in turn 0, b in turn 1: the session clock, not the host's.
    expect(lines(1)).toEqual(['a 2026-01-01 00:00:00.000000000 +0000', 'b 2026-01-01 00:00:01.000000000 +0000', 'd/x 2026-01-01 00:00:00.000000000 +0000']);
    expect(text(a[2])).toContain('Jan  1 00:00 a');
    expect(text(a[2])).toContain('Jan  1 00:00 b');
    expect(lines(3)).toEqual(['./b', './c', './t.tar']);
    expect(text(a[4])).toMatch(/^Thu Jan {2}1 00:00:04 UTC 2026\r\n/);
    // ls -t: newest first, by the session clock.
    expect(lines(5)).toEqual(['c', 't.tar', 'b', 'a']);
    expect(text(a[6])).toMatch(/^-rw-r--r-- root\/root +0 2026-01-01 00:00 a\r\n/);
    // Image files are shown at the image epoch, whatever day the image was built.
    expect(lines(7)).toEqual(['2025-12-31']);
  });

  it('documented exception: /dev/urandom is really random', async () => {
    const cmd = 'head -c 16 /dev/urandom | od -An -tx1';
    const [a] = await runAll([cmd]);
    const [b] = await runAll([cmd]);
    expect(text(a)).not.toBe(text(b));
  });

  it('documented exception: uname -r is the host kernel', async () => {
    const [t] = await runAll(['uname -r']);
    expect(text(t)).toBe(`${os.release()}\r\n`);
  });

  it('determinism off: the clock and $RANDOM are real', async () => {
    const [t] = await runAll(['date +%Y; echo $RANDOM'], { deterministic: false });
    const [u] = await runAll(['date +%Y; echo $RANDOM'], { deterministic: false });
    expect(text(t).split('\r\n')[0]).toBe(`${new Date().getUTCFullYear()}`);
    // Two unseeded draws from 0..32767 collide with probability 1/32768.
    expect(text(t).split('\r\n')[1]).not.toBe(text(u).split('\r\n')[1]);
  });
});
