/**
 * Per-session cgroups: a process limit (the `pids` controller: stops fork bombs; root is exempt
 * from RLIMIT_NPROC), a memory limit for the whole session (the `memory` controller: many
 * processes each under RLIMIT_AS could still exhaust the host) and a CPU limit in cores (the `cpu`
 * controller's CFS quota: a busy loop in one session cannot starve the others; default 1 core).
 * cgroup v1 (one hierarchy per controller, e.g. /sys/fs/cgroup/pids, /sys/fs/cgroup/cpu or
 * /sys/fs/cgroup/cpu,cpuacct) or v2 (/sys/fs/cgroup with the controllers enabled).
 * Directories: <hierarchy>/terminalworld/s<owner pid>-<n>.
 *
 * Joining a cgroup (a write to `cgroup.procs`) waits for an RCU grace period in the kernel: 3-30 ms,
 * as much as the rest of a session start. So the host attaches the session's first process
 * asynchronously while it mounts and starts bubblewrap (only our own set-up code runs meanwhile),
 * and before the first command checks that every process of the session is inside (`ensure`).
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TwError } from '../core/errors.js';

type ControllerName = 'pids' | 'memory' | 'cpu';

interface Controller {
  name: ControllerName;
  /** Candidate hierarchy roots, v1 first. */
  roots: string[];
  /** A limit written once to check that the hierarchy is writable. */
  probe: number;
  /** Files to write for a limit (v1 name, v2 name). */
  write(dir: string, v2: boolean, limit: number): void;
}

/** The CFS period for the cpu controller, microseconds (the kernel's default). */
export const CPU_PERIOD_US = 100_000;
/** A session's CPU limit when the caller names none, in cores. */
export const DEFAULT_CPU_CORES = 1;

/** CFS quota for a CPU limit in cores: microseconds of CPU time per CPU_PERIOD_US (the kernel's minimum is 1000). */
export function cpuQuotaUs(cores: number): number {
  if (!Number.isFinite(cores) || cores <= 0)
    throw new TwError(`the CPU limit must be a positive number of cores (got ${cores})`, 'e.g. 1 for one core, 0.5 for half of one');
  return Math.max(1000, Math.round(cores * CPU_PERIOD_US));
}

const CONTROLLERS: Controller[] = [
  {
    name: 'pids',
    roots: ['/sys/fs/cgroup/pids', '/sys/fs/cgroup'],
    probe: 1,
    write: (dir, _v2, limit) => writeFileSync(join(dir, 'pids.max'), String(limit)),
  },
  {
    name: 'memory',
    roots: ['/sys/fs/cgroup/memory', '/sys/fs/cgroup'],
    probe: 64 << 20,
    write: (dir, v2, limit) => {
      if (v2) {
        writeFileSync(join(dir, 'memory.max'), String(limit));
        if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
        return;
      }
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limit));
      // memsw must be >= limit; absent without swap accounting.
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(limit));
    },
  },
  {
    name: 'cpu',
    // v1: cpu alone, or co-mounted with cpuacct (often with `cpu` a symlink to it)
    roots: ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup'],
    probe: CPU_PERIOD_US,
    write: (dir, v2, quotaUs) => {
      if (v2) {
        writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${CPU_PERIOD_US}`);
        return;
      }
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
    },
  },
];

const bases = new Map<string, { base: string; v2: boolean } | null>();
let counter = 0;

function baseFor(c: Controller): { base: string; v2: boolean } | null {
  const known = bases.get(c.name);
  if (known !== undefined) return known;
  let found: { base: string; v2: boolean } | null = null;
  for (const root of c.roots) {
    const v2 = root === '/sys/fs/cgroup';
    if (v2 && !existsSync(join(root, 'cgroup.controllers'))) continue;
    if (!v2 && !existsSync(join(root, 'cgroup.procs'))) continue;
    const base = join(root, 'terminalworld');
    try {
      if (v2) writeFileSync(join(root, 'cgroup.subtree_control'), `+${c.name}`);
      mkdirSync(base, { recursive: true });
      if (v2) writeFileSync(join(base, 'cgroup.subtree_control'), `+${c.name}`);
      const probe = join(base, `probe-${process.pid}`);
      mkdirSync(probe, { recursive: true });
      c.write(probe, v2, c.probe);
      rmdirSync(probe);
      found = { base, v2 };
      sweep(base);
      break;
    } catch {
      /* not writable here: try the next layout */
    }
  }
  bases.set(c.name, found);
  return found;
}

/** Remove empty session cgroups left by processes that no longer exist (crashed runs). */
function sweep(base: string): void {
  for (const name of readdirSync(base)) {
    const m = /^s(\d+)-\d+$/.exec(name);
    if (!m || existsSync(`/proc/${m[1]}`)) continue;
    try {
      rmdirSync(join(base, name));
    } catch {
      /* still has processes */
    }
  }
}

/**
 * All sessions share the parent group `terminalworld/`, which the kernel weighs as one process
 * against the rest of the host: with many busy sessions, each would get a sliver. So the parent's
 * weight follows the number of sessions (v1 cpu.shares 1024 each, v2 cpu.weight 100 each), as
 * if every session were one host process. Counted from the session folders, which every tw
 * process on the machine shares.
 */
function rescaleCpuWeight(): void {
  const b = bases.get('cpu');
  if (!b) return;
  try {
    const n = Math.max(1, readdirSync(b.base).filter((d) => /^s\d+-\d+$/.test(d)).length);
    if (b.v2) writeFileSync(join(b.base, 'cpu.weight'), String(Math.min(10000, 100 * n)));
    else writeFileSync(join(b.base, 'cpu.shares'), String(1024 * n));
  } catch {
    /* a weight we cannot set leaves the default: slower under load, not wrong */
  }
}

export interface SessionCgroups {
  /** The session's cgroup directories (one per hierarchy). */
  dirs: string[];
  pids: boolean;
  memory: boolean;
  cpu: boolean;
  /** The CPU limit in force, in cores (null when no cpu controller could be used). */
  cpuCores: number | null;
  /** Move a process (and the children it forks afterwards) into every cgroup. */
  attach(pid: number): Promise<void>;
  /** Move any of these processes that is not inside yet (forked before attach finished). */
  ensure(pids: readonly number[]): Promise<void>;
  remove(): void;
}

async function join1(dir: string, pid: number): Promise<void> {
  try {
    await writeFile(join(dir, 'cgroup.procs'), String(pid));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** rmdir a session cgroup; its processes may take a moment to be reaped, so retry a few times. */
function removeDir(dir: string, tries = 5): void {
  try {
    rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EBUSY' && tries > 0) setTimeout(() => removeDir(dir, tries - 1), 100 * (6 - tries)).unref();
  }
}

export interface CgroupLimits {
  maxProcs: number;
  memoryBytes: number;
  /** CPU limit in cores (CFS quota per period); default DEFAULT_CPU_CORES. */
  cpuCores?: number;
}

export function makeSessionCgroups(limits: CgroupLimits): SessionCgroups {
  const cpuCores = limits.cpuCores ?? DEFAULT_CPU_CORES;
  const value: Record<ControllerName, number> = { pids: limits.maxProcs, memory: limits.memoryBytes, cpu: cpuQuotaUs(cpuCores) };
  const name = `s${process.pid}-${counter++}`;
  const dirs: string[] = [];
  const got: Record<ControllerName, boolean> = { pids: false, memory: false, cpu: false };
  for (const c of CONTROLLERS) {
    const b = baseFor(c);
    if (!b) continue;
    const dir = join(b.base, name);
    try {
      if (!dirs.includes(dir)) mkdirSync(dir);
      c.write(dir, b.v2, value[c.name]);
      if (!dirs.includes(dir)) dirs.push(dir);
      got[c.name] = true;
    } catch {
      if (!dirs.includes(dir)) removeDir(dir, 0);
    }
  }
  if (got.cpu) rescaleCpuWeight();
  return {
    dirs,
    ...got,
    cpuCores: got.cpu ? cpuCores : null,
    attach: async (pid) => {
      await Promise.all(dirs.map((d) => join1(d, pid)));
    },
    ensure: async (pids) => {
      for (const d of dirs) {
        const inside = new Set((await readFile(join(d, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).map(Number));
        for (const pid of pids) if (!inside.has(pid)) await join1(d, pid);
      }
    },
    remove: () => {
      dirs.forEach((d) => removeDir(d));
      if (got.cpu) rescaleCpuWeight();
    },
  };
}

/** Whether per-session pids, memory and cpu cgroups can be made on this machine. */
export function cgroupSupport(): { pids: boolean; memory: boolean; cpu: boolean } {
  const cg = makeSessionCgroups({ maxProcs: 16, memoryBytes: 64 << 20 });
  cg.remove();
  return { pids: cg.pids, memory: cg.memory, cpu: cg.cpu };
}
