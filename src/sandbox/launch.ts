/**
 * How one sandboxed shell is started. On the host:
 *
 *   twlaunch (src/sandbox/native/twlaunch.c, one process): close inherited descriptors; a private
 *     mount namespace; tmpfs (size-limited) -> overlay(lower=root tree, upper=tmpfs, mounted with
 *     relative paths so no host path shows inside) -> the session clock file into the writable
 *     layer -> RLIMIT_AS -> ASLR off -> the seccomp program on fd 9
 *       exec bwrap --bind OVERLAY / --unshare-all --as-pid-1 --cap-drop ALL --seccomp 9 --clearenv ...
 *         bash                            (PID 1 of its own PID namespace, as in a container)
 *
 * The session directory on the host only holds empty mount points (the mounts live in the
 * private namespace and vanish with it), the initial clock file, the seccomp program and, in
 * pipe mode, the stdout/stderr FIFOs. The host reaches the running session's root (and its
 * clock) through /proc/<launcher pid>/root (`hostRootFor`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { DeterminismSettings, Mode } from '../core/terminal.js';
import { TwError } from '../core/errors.js';
import { makeSessionCgroups, type SessionCgroups } from './cgroup.js';
import { seccompProgram } from './seccomp.js';
import { parseClockStart, writeClockFile, type ClockSettings, type ImageTimes } from './clock.js';
import { launcherPath } from './native/build.js';
import { cacheRoot, STATIC_PROC, STATIC_PROC_DIR, type Rootfs, type RootfsStamp } from './rootfs.js';

/** Files of /proc that show the host's kernel state (Docker's default masked paths). */
const MASKED_PROC = ['/proc/keys', '/proc/key-users', '/proc/kcore', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/scsi'];

/** Seconds the session clock moves on per turn. */
export const DEFAULT_TURN_SECONDS = 1;

export interface Limits {
  /** Size of the writable tmpfs layer, bytes. */
  diskBytes: number;
  /** Max processes (pids cgroup) per session. */
  maxProcs: number;
  /** RLIMIT_AS per process, and (plus diskBytes, as tmpfs pages count) the session's memory cgroup limit, bytes. */
  memBytes: number;
  /** CPU time per wall second for the whole session (cgroup cpu.max), in cores. */
  cpuCores: number;
}
export const DEFAULT_LIMITS: Limits = { diskBytes: 256 * 2 ** 20, maxProcs: 256, memBytes: 2 * 2 ** 30, cpuCores: 1 };

let seccompBytes: Buffer | null = null;

export interface LaunchSpec {
  rootfs: Rootfs;
  mode: Mode;
  determinism: DeterminismSettings;
  cols: number;
  rows: number;
  limits: Limits;
}

export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
  dir: string;
  /** pipe mode: FIFOs the shell's stdout and stderr go to. */
  fifos: { out: string; err: string } | null;
  cgroups: SessionCgroups;
  cleanup(): void;
}

export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The session's environment: what a plain container's shell has (no variable of ours). */
export function sandboxEnv(spec: LaunchSpec): Record<string, string> {
  const image = spec.rootfs.stamp.env ?? {};
  return {
    ...image,
    PATH: image.PATH ?? SANDBOX_PATH,
    HOSTNAME: spec.rootfs.stamp.hostname,
    HOME: '/root',
    LANG: 'C.UTF-8',
    TERM: spec.mode === 'pty' ? 'xterm' : 'dumb',
    // Pagers would wait for keys that nobody types (git log, man); CI machines set this too.
    PAGER: 'cat',
  };
}

/** The session clock's settings from the determinism settings (src/sandbox/clock.ts). */
export function clockSettings(d: DeterminismSettings): ClockSettings {
  return { clockStart: d.clockStart, turnSeconds: d.turnSeconds ?? DEFAULT_TURN_SECONDS, clockStep: d.clockStep ?? 0, clockRate: d.clockRate, seed: d.seed };
}

export function imageTimes(stamp: RootfsStamp): ImageTimes {
  return { loNs: BigInt(stamp.build.startNs), hiNs: BigInt(stamp.build.endNs), epochS: parseClockStart(stamp.build.epoch) };
}

/** The running session's root directory as the host sees it (bwrap's parent lives in the private
 *  mount namespace where the overlay is mounted). */
export function hostRootFor(launch: Launch, bwrapPid: number): string {
  return `/proc/${bwrapPid}/root${launch.dir}/m/r`;
}

/** The session's writable layer (the overlay's upper directory) as the host sees it. */
export function hostUpperFor(launch: Launch, bwrapPid: number): string {
  return `/proc/${bwrapPid}/root${launch.dir}/m/u`;
}

let swept = false;
/** Remove session directories of crashed runs (their owner PID is gone; they hold only empty mount points). */
function sweepSessionDirs(): void {
  swept = true;
  for (const name of readdirSync(os.tmpdir())) {
    const m = /^tw-sbx-(\d+)-/.exec(name);
    if (m && !existsSync(`/proc/${m[1]}`)) rmSync(join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

export function buildLaunch(spec: LaunchSpec): Launch {
  if (!swept) sweepSessionDirs();
  const dir = mkdtempSync(join(os.tmpdir(), `tw-sbx-${process.pid}-`));
  mkdirSync(join(dir, 'm'));
  const mnt = join(dir, 'm', 'r');
  let fifos: Launch['fifos'] = null;
  if (spec.mode === 'pipe') {
    fifos = { out: join(dir, 'out'), err: join(dir, 'err') };
    execFileSync('mkfifo', ['-m', '600', fifos.out, fifos.err]);
  }
  let clock: string | null = null;
  if (spec.determinism.enabled) {
    if (spec.rootfs.stamp.determinism !== 'twdet') {
      throw new TwError(
        `the image ${spec.rootfs.stamp.id} cannot run the determinism layer (its C library does not load it)`,
        'start the session with determinism off (--no-deterministic), or use a glibc-based image',
      );
    }
    clock = join(dir, 'clock');
    writeClockFile(clock, clockSettings(spec.determinism), imageTimes(spec.rootfs.stamp));
  }
  const seccompFile = join(dir, 'seccomp.bpf');
  seccompBytes ??= seccompProgram();
  writeFileSync(seccompFile, seccompBytes, { mode: 0o600 });
  const cgroups = makeSessionCgroups({
    maxProcs: spec.limits.maxProcs,
    memoryBytes: spec.limits.memBytes + spec.limits.diskBytes,
    cpuCores: spec.limits.cpuCores,
  });
  const bwrap = [
    'bwrap',
    '--bind',
    mnt,
    '/',
    '--proc',
    '/proc',
    // The sandbox's root is host uid 0 without capabilities, and sysctl files check the uid,
    // not capabilities: /proc/sys must be read-only (bwrap skips it when access() says EACCES).
    '--ro-bind',
    '/proc/sys',
    '/proc/sys',
    '--ro-bind-try',
    '/proc/sysrq-trigger',
    '/proc/sysrq-trigger',
    '--dev',
    '/dev',
    // What Docker masks in /proc: host keyrings (the sandbox's root is host uid 0), kernel memory
    // and timers, ACPI and SCSI (read-only, empty).
    ...MASKED_PROC.filter((f) => existsSync(f)).flatMap((f) => ['--ro-bind', join(mnt, STATIC_PROC_DIR, 'empty'), f]),
    ...(existsSync('/proc/acpi') ? ['--tmpfs', '/proc/acpi', '--remount-ro', '/proc/acpi'] : []),
    '--unshare-all',
    // A user namespace of its own (uid 0 mapped to 0), in which no further one can be made (as Flatpak
    // does; the seccomp filter refuses new namespaces too).
    '--unshare-user',
    '--disable-userns',
    '--as-pid-1',
    '--hostname',
    spec.rootfs.stamp.hostname,
    '--cap-drop',
    'ALL',
    '--die-with-parent',
    // The syscalls a container runtime refuses (src/sandbox/seccomp.ts), loaded last by bwrap.
    '--seccomp',
    '9',
    '--clearenv',
    '--chdir',
    spec.rootfs.stamp.workdir ?? '/root',
  ];
  for (const [k, v] of Object.entries(sandboxEnv(spec))) bwrap.push('--setenv', k, v);
  if (spec.determinism.enabled) {
    for (const name of Object.keys(STATIC_PROC)) bwrap.push('--ro-bind', join(mnt, STATIC_PROC_DIR, name), `/proc/${name}`);
  }
  // bash is interactive by itself when stdin and stderr are terminals (pty mode); pipe mode says so.
  bwrap.push('--', 'bash', ...(spec.mode === 'pipe' ? ['-i'] : []));
  const env: Record<string, string> = {
    PATH: SANDBOX_PATH,
    TW_DIR: dir,
    TW_ROOT: spec.rootfs.dir,
    TW_DISK: String(spec.limits.diskBytes),
    TW_AS_KB: String(Math.floor(spec.limits.memBytes / 1024)),
    TW_OUT: fifos?.out ?? '',
    TW_ERR: fifos?.err ?? '',
    TW_CLOCK: clock ?? '',
    TW_SECCOMP: seccompFile,
  };
  return {
    file: launcherPath(cacheRoot()),
    args: bwrap,
    env,
    dir,
    fifos,
    cgroups,
    cleanup() {
      cgroups.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
