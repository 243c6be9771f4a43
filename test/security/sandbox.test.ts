/**
 * Security: from inside a session, try to break out. Each attempt is its own test, and each
 * checks the host is unchanged. Needs the sandbox (root + namespaces + root tree): CI runs these
 * as root after scripts/setup.sh; elsewhere they are skipped with the reason.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { noSandbox, runAll, text, withSession } from '../../src/backends/real/testkit.js';
import { rootfsDir } from '../../src/sandbox/rootfs.js';

const tag = `tw-sec-${randomBytes(6).toString('hex')}`;

describe.skipIf(noSandbox)('sandbox security (needs the sandbox)', () => {
  it('cannot write host files (changes stay in the session overlay)', async () => {
    const t = await runAll([`echo pwned > /tmp/${tag}; echo pwned > /etc/${tag}; echo pwned > /root/${tag}; cat /etc/${tag}`]);
    expect(text(t[0])).toBe('pwned\r\n');
    for (const p of [`/tmp/${tag}`, `/etc/${tag}`, `/root/${tag}`, `${rootfsDir()}/etc/${tag}`]) expect(existsSync(p)).toBe(false);
    // A second session starts from the clean tree.
    const [u] = await runAll([`cat /etc/${tag}`]);
    expect(text(u)).toBe(`cat: /etc/${tag}: No such file or directory\r\n`);
  });

  it('cannot read files outside the sandbox', async () => {
    const secret = `/tmp/${tag}-secret`;
    writeFileSync(secret, 'host secret\n');
    try {
      const [t] = await runAll([`cat ${secret}; ls /work /home/*/ 2>&1 | head -3; find / -xdev -name '${tag}*' 2>/dev/null | wc -l`]);
      expect(text(t)).toContain(`cat: ${secret}: No such file or directory`);
      expect(text(t)).toContain("ls: cannot access '/work'");
      expect(text(t).trim().split('\r\n').pop()).toBe('0');
      expect(text(t)).not.toContain('host secret');
    } finally {
      rmSync(secret, { force: true });
    }
  });

  it('cannot reach the network', async () => {
    const [t] = await runAll([
      [
        'python3 -c "import socket; s=socket.socket(); s.settimeout(2); s.connect((\'1.1.1.1\', 80))" 2>&1 | tail -1',
        "awk 'NR>2{print $1}' /proc/net/dev",
      ].join('; '),
    ]);
    expect(text(t)).toBe('OSError: [Errno 101] Network is unreachable\r\nlo:\r\n');
  });

  it('cannot see or kill host processes', async () => {
    const victim = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      const pid = victim.pid ?? -1;
      const [t] = await runAll([`ps -e -o pid= | wc -l; kill -9 ${pid}; kill -9 1; ls /proc | grep -c '^[0-9]'`]);
      const lines = text(t).trim().split('\r\n');
      expect(Number(lines[0])).toBeLessThan(8);
      expect(lines[1]).toBe(`bash: kill: (${pid}) - No such process`);
      expect(Number(lines[2])).toBeLessThan(8);
      expect(victim.exitCode).toBeNull();
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('contains a fork bomb (pids limit) and the session survives', async () => {
    await withSession({ timeoutMs: 3000, options: { maxProcs: 64 } }, async (term) => {
      expect((term.info.limits as { pidsCgroup: boolean }).pidsCgroup).toBe(true);
      const bomb = await term.run('f(){ f|f& }; f; sleep 1; echo done');
      // The limit is hit (fork fails inside) instead of swamping the host.
      expect(text(bomb)).toMatch(/fork: (retry: )?Resource temporarily unavailable/);
      // If the bomb outlived its turn (it runs in the background), the user can clean up
      // inside: `kill -9 -1` is a builtin, so it needs no free process slot.
      const after = await term.run('kill -9 -1; sleep 0.3; echo alive; ps -e -o pid= | wc -l');
      const m = /alive\r\n(\d+)\r\n/.exec(text(after));
      expect(m, text(after)).not.toBeNull();
      expect(Number(m?.[1])).toBeLessThan(8);
    });
  });

  it('cannot fill the disk beyond its tmpfs', async () => {
    const [t] = await runAll(["dd if=/dev/zero of=/tmp/big bs=1M count=200 2>&1 | head -1; df -m / | tail -1 | awk '{print $2}'"], {
      options: { diskBytes: 32 * 2 ** 20 },
    });
    expect(text(t)).toBe("dd: error writing '/tmp/big': No space left on device\r\n32\r\n");
  });

  it('cannot allocate memory without bound', async () => {
    const [t] = await runAll(['python3 -c "x = bytearray(1024**3)" 2>&1 | tail -1'], { options: { memBytes: 512 * 2 ** 20 } });
    expect(text(t)).toBe('MemoryError\r\n');
  });

  it('cannot exhaust memory with many processes (session memory cgroup)', async () => {
    await withSession({ timeoutMs: 30_000, options: { memBytes: 192 * 2 ** 20, diskBytes: 64 * 2 ** 20 } }, async (term) => {
      expect((term.info.limits as { memoryCgroup: boolean }).memoryCgroup).toBe(true);
      // Each process stays under RLIMIT_AS (192 MiB); together they exceed the session's 256 MiB.
      const t = await term.run(
        'for i in 1 2 3 4; do python3 -c "x = bytearray(150*1024**2); import time; time.sleep(1); print(\'survived\')" & done; wait; echo done',
      );
      const out = text(t);
      expect(out.match(/Killed/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      expect(out.match(/^survived\r$/gm)?.length ?? 0).toBeLessThanOrEqual(2);
      expect(out.endsWith('done\r\n')).toBe(true);
    });
  });

  it('cannot escape through /proc or symlinks', async () => {
    const before = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    try {
      const [t] = await runAll([
        [
          `echo '|/bin/sh -c touch /tmp/${tag}' > /proc/sys/kernel/core_pattern`,
          'ln -s / /tmp/up; ls /tmp/up/root/../.. | head -3 | tr "\\n" " "; echo',
          'echo inside > /tmp/mark; cat /proc/1/root/tmp/mark; cat /proc/self/root/tmp/mark',
          'grep CapEff /proc/self/status',
          'mount -t tmpfs x /mnt 2>&1 | head -1; unshare -r true 2>&1; chroot / true 2>&1',
        ].join('; '),
      ]);
      const out = text(t);
      expect(out).toContain('/proc/sys/kernel/core_pattern: Read-only file system');
      expect(out).toContain('bin boot dev ');
      expect(out).toContain('inside\r\ninside\r\n');
      expect(out).toContain('CapEff:\t0000000000000000');
      expect(out).toContain('mount: /mnt: permission denied.');
      // The seccomp filter refuses new namespaces outright (before: the uid map write failed).
      expect(out).toContain('unshare: unshare failed: Operation not permitted');
      expect(out).toContain("chroot: cannot change root directory to '/': Operation not permitted");
      expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(before);
      expect(existsSync(`/tmp/${tag}`)).toBe(false);
    } finally {
      if (readFileSync('/proc/sys/kernel/core_pattern', 'utf8') !== before) writeFileSync('/proc/sys/kernel/core_pattern', before);
    }
  });
});
