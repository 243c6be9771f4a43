import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TwError } from '../core/errors.js';
import { cgroupSupport, cpuQuotaUs, makeSessionCgroups, type SessionCgroups } from './cgroup.js';

describe('cpuQuotaUs', () => {
  it('turns cores into a CFS quota per 100 ms period', () => {
    expect(cpuQuotaUs(1)).toBe(100_000);
    expect(cpuQuotaUs(0.5)).toBe(50_000);
    expect(cpuQuotaUs(2.25)).toBe(225_000);
    expect(cpuQuotaUs(0.001)).toBe(1000); // the kernel's minimum quota
  });
  it('refuses a limit that is not a positive number, before creating anything', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => makeSessionCgroups({ maxProcs: 16, memoryBytes: 64 << 20, cpuCores: bad })).toThrow(TwError);
    }
  });
});

function skipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root to create cgroups';
  if (!cgroupSupport().cpu) return 'no writable cpu cgroup controller (v1 /sys/fs/cgroup/cpu or v2 with +cpu)';
  return null;
}
const reason = skipReason();

/** The session's cpu cgroup: its limit as "QUOTA PERIOD" (v2 cpu.max; v1 from the cfs files). */
function cpuMax(cg: SessionCgroups): { dir: string; max: string; v2: boolean } {
  for (const dir of cg.dirs) {
    if (existsSync(join(dir, 'cpu.max'))) return { dir, max: readFileSync(join(dir, 'cpu.max'), 'utf8').trim(), v2: true };
    if (existsSync(join(dir, 'cpu.cfs_quota_us'))) {
      const q = readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim();
      const p = readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8').trim();
      return { dir, max: `${q} ${p}`, v2: false };
    }
  }
  throw new Error(`no cpu controller files in ${cg.dirs.join(', ')}`);
}

describe('session cpu cgroup', () => {
  const suffix = reason ? ` (skipped: ${reason})` : '';
  it.skipIf(reason !== null)(`writes the limit in cores as the CFS quota, default 1 core${suffix}`, () => {
    const half = makeSessionCgroups({ maxProcs: 16, memoryBytes: 64 << 20, cpuCores: 0.5 });
    const dflt = makeSessionCgroups({ maxProcs: 16, memoryBytes: 64 << 20 });
    try {
      expect(half.cpu).toBe(true);
      expect(half.cpuCores).toBe(0.5);
      expect(cpuMax(half).max).toBe('50000 100000');
      expect(dflt.cpuCores).toBe(1);
      expect(cpuMax(dflt).max).toBe('100000 100000');
    } finally {
      half.remove();
      dflt.remove();
    }
    expect(existsSync(half.dirs[0]!)).toBe(false);
  });

  it.skipIf(reason !== null)(`throttles a busy process attached to a 0.1-core session${suffix}`, async () => {
    const cg = makeSessionCgroups({ maxProcs: 16, memoryBytes: 256 << 20, cpuCores: 0.1 });
    const busy = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    try {
      await cg.attach(busy.pid ?? -1);
      await new Promise((r) => setTimeout(r, 500));
      const { dir } = cpuMax(cg);
      const stat = readFileSync(join(dir, 'cpu.stat'), 'utf8');
      const throttled = Number(/^nr_throttled (\d+)$/m.exec(stat)?.[1] ?? 'NaN');
      expect(throttled).toBeGreaterThan(0);
    } finally {
      busy.kill('SIGKILL');
      await new Promise((r) => busy.once('exit', r));
      cg.remove();
    }
  });
});
