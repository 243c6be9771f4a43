/**
 * The standing attack suite: what a policy rewarded for getting out could try. Loopback only,
 * non-destructive (markers, never host damage); each attempt checks the host is unchanged. The
 * count of attempts and of attempts contained is printed at the end (README, "Hardening").
 * Needs the sandbox; skipped with the reason elsewhere.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { noSandbox, runAll, text } from '../../src/backends/real/testkit.js';
import { DENIED_SYSCALLS, X86_64_SYSCALLS } from '../../src/sandbox/seccomp.js';

const tag = `tw-atk-${randomBytes(6).toString('hex')}`;
const tally = { attempts: 0, contained: 0 };
function attempt(contained: boolean): boolean {
  tally.attempts++;
  if (contained) tally.contained++;
  return contained;
}

afterAll(() => {
  if (tally.attempts > 0) process.stdout.write(`\nattack suite: ${tally.attempts} attempts, ${tally.contained} contained\n`);
});

describe.skipIf(noSandbox)('attack suite (needs the sandbox)', () => {
  it('every syscall a container runtime refuses is refused (EPERM; clone3: ENOSYS, so glibc falls back to clone)', async () => {
    const calls = DENIED_SYSCALLS.map((n) => `${n}:${X86_64_SYSCALLS[n]}`).join(' ');
    const py = [
      'import ctypes, sys',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'for item in sys.argv[1:]:',
      '    name, nr = item.split(":")',
      '    r = libc.syscall(int(nr), 0, 0, 0, 0, 0, 0)',
      '    print(name, r, ctypes.get_errno())',
    ].join('\n');
    const [t] = await runAll([`python3 -c '${py}' ${calls} clone3:435`]);
    const lines = text(t).trim().split('\r\n');
    expect(lines.length).toBe(DENIED_SYSCALLS.length + 1);
    const open: string[] = [];
    for (const l of lines) {
      const [name, r, errno] = l.split(' ');
      const want = name === 'clone3' ? '38' : '1';
      if (!attempt(r === '-1' && errno === want)) open.push(l);
    }
    expect(open).toEqual([]);
  });

  it('descriptors the launching process holds on host paths do not reach the sandbox', async () => {
    // A parent with fds 3 and 7 open (not close-on-exec) on the host's / and /etc, as in the issue.
    const root = openSync('/', 'r');
    const etc = openSync('/etc', 'r');
    const marker = `/tmp/${tag}-fd`;
    try {
      const tw = join(process.cwd(), 'bin', 'tw.js');
      const script = `ls /proc/$$/fd | tr '\\n' ' '; echo; for n in 3 7 19 255 300; do head -c 4 /proc/self/fd/$n/etc/hostname 2>/dev/null && echo LEAK$n; done; echo x > /proc/self/fd/3/${marker.slice(1)} 2>/dev/null; echo done`;
      const r = await new Promise<string>((res) => {
        const p = spawn('node', [tw, 'exec', '--json', script], { stdio: ['ignore', 'pipe', 'inherit', root, 'ignore', 'ignore', 'ignore', etc] });
        let out = '';
        p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        p.on('close', () => res(out));
      });
      const turn = (JSON.parse(r) as { turns: { output: string }[] }).turns[0]?.output ?? '';
      expect(attempt(!turn.includes('LEAK'))).toBe(true);
      expect(attempt(!existsSync(marker))).toBe(true);
      expect(turn.split('\r\n')[0]).toBe('0 1 2 255 ');
    } finally {
      closeSync(root);
      closeSync(etc);
      rmSync(marker, { force: true });
    }
  });

  it('host keyrings, kernel timers and memory are masked', async () => {
    const [t] = await runAll([
      'cat /proc/keys /proc/key-users 2>&1 | wc -c; cat /proc/timer_list 2>/dev/null | wc -c; keyctl show 2>&1 | head -1; ls /proc/acpi | wc -l',
    ]);
    const [keys, timers, , acpi] = text(t).trim().split('\r\n');
    expect(attempt(keys === '0')).toBe(true);
    expect(attempt(timers === '0')).toBe(true);
    expect(attempt(acpi === '0')).toBe(true);
  });

  it('no new namespaces, mounts or io_uring from inside', async () => {
    const [t] = await runAll([
      [
        'unshare -U true 2>&1 | head -1',
        'unshare -n true 2>&1 | head -1',
        'mount -t tmpfs x /mnt 2>&1 | head -1',
        "python3 -c 'import ctypes; l=ctypes.CDLL(None, use_errno=True); print(l.syscall(425, 8, 0), ctypes.get_errno())'",
      ].join('; '),
    ]);
    const out = text(t).split('\r\n');
    expect(attempt(out[0] === 'unshare: unshare failed: Operation not permitted')).toBe(true);
    expect(attempt(out[1] === 'unshare: unshare failed: Operation not permitted')).toBe(true);
    expect(attempt(/permission denied|not permitted/i.test(out[2] ?? ''))).toBe(true);
    expect(attempt(out[3] === '-1 1')).toBe(true);
  });

  it('a session gets one core however many busy loops it starts', async () => {
    const [t] = await runAll(['for i in 1 2 3 4; do (while :; do :; done) & done; sleep 3; ps -o times= $(jobs -p); kill $(jobs -p)'], { timeoutMs: 20_000 });
    const cpu = text(t)
      .trim()
      .split('\r\n')
      .filter((l) => /^\s*\d+$/.test(l))
      .reduce((a, l) => a + Number(l), 0);
    // 4 loops for 3 s on a 2-core host would take ~6 CPU-seconds; one core's quota allows ~3.
    expect(attempt(cpu <= 4)).toBe(true);
  });

  it('shows no host resolver, host name or host paths', async () => {
    const [t] = await runAll(['cat /etc/resolv.conf; hostname; cat /proc/self/mountinfo | grep -c "/tmp/tw-sbx\\|/root/.cache\\|/work"']);
    const host = readFileSync('/etc/hostname', 'utf8').trim();
    expect(attempt(!/nameserver/.test(text(t)))).toBe(true);
    expect(attempt(!text(t).includes(host) || host === '')).toBe(true);
    expect(attempt(text(t).trim().split('\r\n').pop() === '0')).toBe(true);
  });

  // Each: a command that must print the refusal shown (a regular expression) and change nothing
  // on the host. All in one session, in order.
  const REFUSED: [string, RegExp][] = [
    ...[
      'kernel/core_pattern',
      'kernel/hostname',
      'vm/drop_caches',
      'kernel/sysrq',
      'net/ipv4/ip_forward',
      'kernel/modprobe',
      'fs/protected_symlinks',
      'kernel/panic',
    ].map((f): [string, RegExp] => [`echo 1 > /proc/sys/${f}`, /Read-only file system|Permission denied|No such file/]),
    ['echo b > /proc/sysrq-trigger', /Read-only file system|Permission denied|No such file/],
    ['mknod /tmp/sda b 8 0', /Operation not permitted/],
    ['cat /dev/mem', /No such file or directory/],
    ['cat /dev/kmsg', /No such file or directory/],
    ['dmesg', /Operation not permitted/],
    ['sysctl -w kernel.hostname=x', /Read-only file system|permission denied/i],
    ['ls /sys/class/net 2>&1; echo sys:$(ls /sys | wc -l)', /sys:0/],
    ['hostname pwned', /Operation not permitted|must be root/],
    ['date -s "2030-01-01"', /Operation not permitted|cannot set date/],
    ['swapon -a 2>&1; swapon /dev/null', /Operation not permitted|swapon failed|Invalid argument|not a block device|insecure permissions|read swap header/],
    ['reboot -f', /Operation not permitted|Failed|not found/],
    ['chroot /proc/1/root /bin/true', /Operation not permitted/],
    ['nsenter -t 1 -m true', /Operation not permitted|cannot open/],
    ['python3 -c "import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)"', /PermissionError|Operation not permitted/],
    ['python3 -c "import socket; s=socket.socket(); s.settimeout(1); s.connect((\'10.0.2.2\', 22))"', /Network is unreachable/],
    ['curl -sS -m 2 http://example.com', /Could not resolve host/],
    ['ip link add dummy0 type dummy', /Operation not permitted/],
    ['cat /proc/1/environ | tr "\\0" "\\n" | grep -c "^TW_" ; echo envcheck', /^0\r\nenvcheck/],
    ['insmod /nonexistent.ko', /Operation not permitted|No such file|not found/],
    ['setcap cap_sys_admin+ep /bin/true 2>&1 || echo refused', /refused|not permitted|not found/],
    ['python3 -c \'import fcntl, termios; fcntl.ioctl(0, termios.TIOCSTI, b"x")\'', /Operation not permitted/],
  ];

  it('writes to kernel settings, devices, clocks, modules and the network are refused', async () => {
    const turns = await runAll(
      REFUSED.map(([c]) => `${c} 2>&1`),
      { timeoutMs: 8000 },
    );
    const open: string[] = [];
    for (const [i, [cmd, want]] of REFUSED.entries()) {
      if (!attempt(want.test(text(turns[i])))) open.push(`${cmd} -> ${JSON.stringify(text(turns[i]))}`);
    }
    expect(open).toEqual([]);
  });

  it('terminal sequences from a session reach the user only as visible text (tw exec)', () => {
    const tw = join(process.cwd(), 'bin', 'tw.js');
    const r = spawnSync('node', [tw, 'exec', "printf '\\033]52;c;aGk=\\a\\033]0;pwned\\a\\033c'"], { encoding: 'utf8' });
    expect(attempt(!r.stdout.includes('\x1b'))).toBe(true);
    expect(r.stdout).toContain('^[]52;c;aGk=^G');
  });
});
