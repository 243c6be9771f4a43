/**
 * The sandbox root tree: a Debian bookworm "agent workstation" built with debootstrap, cached
 * per user and versioned. Layout:
 *
 *   ${XDG_CACHE_HOME:-~/.cache}/terminalworld/rootfs-v<ROOTFS_VERSION>/       the tree (read-only lower layer)
 *   ${XDG_CACHE_HOME:-~/.cache}/terminalworld/rootfs-v<ROOTFS_VERSION>.json   its stamp (beside the
 *                                                                           tree, so nothing of ours shows at /)
 *
 * A build goes into a temporary sibling directory and is renamed into place only when
 * complete, so a crash never leaves a half tree that looks finished. Every tree (this one, the
 * manifest images and unpacked OCI images of src/sandbox/image) is finished by `finishTree`:
 * fixed hostname, no host resolver, static /proc values, the determinism layer, and file times
 * clamped to the image epoch.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { TwError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fsutil.js';
import { kernelNowNs } from './clock.js';
import { compileTwdet, TWDET_SRC } from './native/build.js';
import { preflight } from './preflight.js';

/** Bump when the package list or the post-processing changes: every cached tree is then stale. */
export const ROOTFS_VERSION = 2;
export const ROOTFS_ID = 'tw-bookworm-workstation';
export const ROOTFS_SUITE = 'bookworm';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
/** What the containers terminal agents work in commonly hold (Terminal-Bench / Harbor task
 *  images, python images with build tools). git comes with no identity, as it does. */
export const ROOTFS_PACKAGES = [
  // shell and core tools
  'bash',
  'coreutils',
  'findutils',
  'grep',
  'sed',
  'gawk',
  'diffutils',
  'patch',
  'procps',
  'psmisc',
  'less',
  'file',
  'tree',
  'util-linux',
  'bsdextrautils',
  'bsdmainutils',
  'ncurses-bin',
  'bc',
  'time',
  'lsof',
  'strace',
  // archives
  'tar',
  'gzip',
  'bzip2',
  'xz-utils',
  'zip',
  'unzip',
  'zstd',
  // build and version control
  'build-essential',
  'git',
  'pkg-config',
  // editors and viewers
  'vim',
  'nano',
  'xxd',
  'jq',
  // python
  'python3',
  'python3-pip',
  'python3-venv',
  'python3-dev',
  // data and network clients (no network inside: they fail as a machine without one does)
  'sqlite3',
  'curl',
  'wget',
  'ca-certificates',
  'openssh-client',
  'iproute2',
  'iputils-ping',
  'netcat-openbsd',
];
/** Image files are shown at this date (their build time would differ per machine and day). */
export const IMAGE_EPOCH = '2025-12-31 00:00:00';
/** The sandbox's host name: a container id, as Docker gives one. */
export const SANDBOX_HOSTNAME = '4b1c0e7d2a9f';

const stampSchema = z.object({
  format: z.literal('terminalworld.rootfs'),
  id: z.string(),
  version: z.union([z.number().int(), z.string()]),
  suite: z.string(),
  packages: z.array(z.string()),
  builtAt: z.string(),
  /** Real times (ns, decimal) bracketing the build, and the date its files are shown at. */
  build: z.object({ startNs: z.string(), endNs: z.string(), epoch: z.string() }),
  /** Whether the determinism layer (src/sandbox/native) loads in this tree, and the sha256 of the
   *  source it was compiled from (a changed source is recompiled into the tree by setup). */
  determinism: z.enum(['twdet', 'unavailable']),
  twdet: z.string(),
  hostname: z.string(),
  /** Manifest images: extra environment variables and the directory sessions start in. */
  env: z.record(z.string(), z.string()).optional(),
  workdir: z.string().optional(),
});
export type RootfsStamp = z.infer<typeof stampSchema>;

export function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME !== '' ? process.env.XDG_CACHE_HOME : join(os.homedir(), '.cache');
  return join(base, 'terminalworld');
}

export function rootfsDir(version: number = ROOTFS_VERSION): string {
  return join(cacheRoot(), `rootfs-v${version}`);
}

/** The stamp of a tree: `<dir>.json`, beside it. */
export function stampPath(dir: string): string {
  return `${dir}.json`;
}

export function readStamp(dir: string): RootfsStamp | null {
  const f = stampPath(dir);
  if (!existsSync(f) || !existsSync(dir)) return null;
  try {
    const parsed = stampSchema.safeParse(JSON.parse(readFileSync(f, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface Rootfs {
  dir: string;
  stamp: RootfsStamp;
}

/** The current root tree, or a TwError saying it is missing or stale and how to build it. */
export function requireRootfs(): Rootfs {
  const dir = rootfsDir();
  const stamp = readStamp(dir);
  if (stamp && stamp.version === ROOTFS_VERSION && stamp.id === ROOTFS_ID) {
    if (stamp.twdet === twdetHash()) return { dir, stamp };
    throw new TwError(
      `the determinism layer in the sandbox root tree ${dir} is out of date (src/sandbox/native/twdet.c changed)`,
      'run `npx tw sandbox setup` (it recompiles the layer into the tree in a second)',
    );
  }
  const older = existsSync(cacheRoot()) ? readdirSync(cacheRoot()).filter((n) => /^rootfs-v\d+$/.test(n) && n !== `rootfs-v${ROOTFS_VERSION}`) : [];
  const why = stamp
    ? `the sandbox root tree at ${dir} is stale (stamp ${stamp.id} v${stamp.version}, this build needs ${ROOTFS_ID} v${ROOTFS_VERSION})`
    : older.length > 0
      ? `the sandbox root tree is stale: found ${older.join(', ')} in ${cacheRoot()}, this build needs rootfs-v${ROOTFS_VERSION}`
      : `the sandbox root tree is missing (expected ${dir})`;
  throw new TwError(why, 'build it with `npx tw sandbox setup` (or `bash scripts/setup.sh`); it takes about two minutes');
}

/** Run a build step; its last 4,000 bytes of stderr go into the error. */
export function runStep(cmd: string, args: string[], quiet: boolean, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // The tail of both streams goes into the error (debootstrap says which package is missing on stdout).
    let err = '';
    const keep =
      (toUser: NodeJS.WriteStream) =>
      (d: Buffer): void => {
        err = (err + d.toString()).slice(-4000);
        if (!quiet) toUser.write(d);
      };
    p.stdout.on('data', keep(process.stdout));
    p.stderr.on('data', keep(process.stderr));
    p.on('error', (e) => reject(new TwError(`could not run ${cmd}: ${e.message}`, 'install it: bash scripts/setup.sh')));
    p.on('close', (code) => {
      if (code === 0) return resolve(err);
      const missing = /Couldn't find these debs: (.*)/.exec(err) ?? /Unable to locate package (\S+)/.exec(err);
      if (missing) {
        reject(
          new TwError(
            `${what}: Debian ${ROOTFS_SUITE} has no package ${missing[1]?.trim() ?? '?'}`,
            'check the name with `apt-cache search NAME` (or packages.debian.org) and fix the package list',
          ),
        );
        return;
      }
      reject(
        new TwError(
          `${what}: ${cmd} ${args.slice(0, 3).join(' ')} failed (exit ${code}):\n${err.trim()}`,
          'check the network access to the Debian mirror and the disk space, then run `tw sandbox setup` again',
        ),
      );
    });
  });
}

/** Static /proc files bound over the real ones in determinism mode (they would leak the host). */
export const STATIC_PROC: Record<string, string> = {
  uptime: '1000.00 900.00\n',
  loadavg: '0.00 0.00 0.00 1/1 1\n',
  meminfo: [
    'MemTotal:        4194304 kB',
    'MemFree:         3145728 kB',
    'MemAvailable:    3670016 kB',
    'Buffers:           65536 kB',
    'Cached:           524288 kB',
    'SwapCached:            0 kB',
    'SwapTotal:             0 kB',
    'SwapFree:              0 kB',
    'Shmem:                 0 kB',
    '',
  ].join('\n'),
};
export const STATIC_PROC_DIR = '/usr/lib/terminalworld/proc';
/** The determinism layer inside a tree (preloaded through /etc/ld.so.preload). */
export const TWDET_PATH = '/usr/lib/terminalworld/libtwdet.so';

export interface SetupResult {
  dir: string;
  built: boolean;
  stamp: RootfsStamp;
}

/** Kernel file time now (see clock.ts), measured in the cache folder. */
export function nowNs(): bigint {
  mkdirSync(cacheRoot(), { recursive: true });
  return kernelNowNs(cacheRoot());
}

/** Compile the determinism layer (src/sandbox/native/twdet.c) with the host's C compiler. */
let twdetSha: string | null = null;
/** Bump when the in-place finishing (static /proc files, the layer) changes: setup redoes it in a second. */
const FINISH_VERSION = 3;
/** Hash of what `tw sandbox setup` can redo in place: the layer's source and the finishing steps. */
export function twdetHash(): string {
  twdetSha ??= createHash('sha256').update(readFileSync(TWDET_SRC)).update(`finish-${FINISH_VERSION}`).digest('hex');
  return twdetSha;
}

export interface FinishOptions {
  id: string;
  version: number | string;
  suite: string;
  packages: string[];
  buildStartNs: bigint;
}

/**
 * Post-process a built or unpacked tree in place and write its stamp beside `finalDir`'s name
 * (the caller renames `tmp` to `finalDir` after this). Needs root (chroot to check the layer).
 */
export function finishTree(tmp: string, o: FinishOptions): RootfsStamp {
  const hostname = SANDBOX_HOSTNAME;
  mkdirSync(join(tmp, 'etc'), { recursive: true });
  writeEtc(tmp, hostname);
  writeStaticProc(tmp);
  for (const sub of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    const d = join(tmp, sub);
    if (existsSync(d)) for (const f of readdirSync(d)) if (f.endsWith('.deb') || f.endsWith('_Packages')) rmSync(join(d, f), { force: true });
  }
  const determinism = installTwdet(tmp);
  clampTimes(tmp);
  const stamp: RootfsStamp = {
    format: 'terminalworld.rootfs',
    id: o.id,
    version: o.version,
    suite: o.suite,
    packages: o.packages,
    builtAt: new Date().toISOString(),
    build: { startNs: String(o.buildStartNs), endNs: String(nowNs()), epoch: IMAGE_EPOCH },
    determinism,
    twdet: twdetHash(),
    hostname,
  };
  return stamp;
}

/**
 * The determinism layer: preloaded through /etc/ld.so.preload, so no variable shows in the
 * environment. If the image's C library cannot load it (musl, a glibc older than 2.17), the
 * image runs without determinism, and its stamp says so.
 */
function installTwdet(tree: string): RootfsStamp['determinism'] {
  mkdirSync(join(tree, dirname(TWDET_PATH).slice(1)), { recursive: true });
  compileTwdet(join(tree, TWDET_PATH.slice(1)));
  writeFileSync(join(tree, 'etc/ld.so.preload'), `${TWDET_PATH}\n`);
  let ok = true;
  try {
    const r = execFileSync('chroot', [tree, '/bin/sh', '-c', 'echo ok'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    ok = r === 'ok\n';
  } catch {
    ok = false;
  }
  if (!ok) rmSync(join(tree, 'etc/ld.so.preload'), { force: true });
  return ok ? 'twdet' : 'unavailable';
}

/** Everything newer than the image epoch (written by the build) is shown at the epoch. */
function clampTimes(tree: string): void {
  const epoch = Math.floor(Date.parse(IMAGE_EPOCH.replace(' ', 'T') + 'Z') / 1000);
  execFileSync('find', [tree, '-newermt', `@${epoch}`, '-exec', 'touch', '-h', '-d', `@${epoch}`, '{}', '+'], { stdio: 'ignore' });
}

/** /etc/hostname, /etc/hosts and an empty resolver, written anew (mode 0644): debootstrap copies
 *  the host's files, their modes and the host's resolver; the sandbox has no network, and must
 *  not show the host's address. */
function writeEtc(tree: string, hostname: string): void {
  for (const [f, text] of [
    ['etc/hostname', `${hostname}\n`],
    ['etc/hosts', `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`],
    ['etc/resolv.conf', ''],
  ] as const) {
    rmSync(join(tree, f), { force: true });
    writeFileSync(join(tree, f), text, { mode: 0o644 });
  }
}

function writeStaticProc(tree: string): void {
  mkdirSync(join(tree, STATIC_PROC_DIR.slice(1)), { recursive: true });
  for (const [name, text] of Object.entries(STATIC_PROC)) writeFileSync(join(tree, STATIC_PROC_DIR.slice(1), name), text);
  // Bound over the /proc files Docker masks (src/sandbox/launch.ts).
  writeFileSync(join(tree, STATIC_PROC_DIR.slice(1), 'empty'), '');
}

/** Redo the in-place finishing of an existing tree (no rebuild): the layer, the static files. */
function refreshTwdet(dir: string, stamp: RootfsStamp): RootfsStamp {
  writeEtc(dir, stamp.hostname);
  writeStaticProc(dir);
  const determinism = installTwdet(dir);
  clampTimes(dir);
  const next: RootfsStamp = { ...stamp, determinism, twdet: twdetHash(), build: { ...stamp.build, endNs: String(nowNs()) } };
  writeFileAtomic(stampPath(dir), JSON.stringify(next, null, 2) + '\n');
  return next;
}

/** Move a finished tree and its stamp into place atomically (old tree aside, new in, old removed). */
export function installTree(tmp: string, dir: string, stamp: RootfsStamp): void {
  const old = `${dir}.old-${process.pid}`;
  rmSync(stampPath(dir), { force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  writeFileAtomic(stampPath(dir), JSON.stringify(stamp, null, 2) + '\n');
  rmSync(old, { recursive: true, force: true });
}

/** Build the root tree if it is missing or stale (idempotent). */
export async function setupRootfs(opts: { quiet?: boolean; force?: boolean; mirror?: string } = {}): Promise<SetupResult> {
  const quiet = opts.quiet ?? false;
  const dir = rootfsDir();
  const current = readStamp(dir);
  if (!opts.force && current && current.version === ROOTFS_VERSION && current.id === ROOTFS_ID) {
    if (current.twdet === twdetHash()) return { dir, built: false, stamp: current };
    if (process.getuid?.() !== 0)
      throw new TwError('updating the determinism layer in the root tree needs root (it checks the layer with chroot)', 'run `sudo npx tw sandbox setup`');
    return { dir, built: true, stamp: refreshTwdet(dir, current) };
  }
  preflight();
  if (process.getuid?.() !== 0) {
    throw new TwError(
      'building the sandbox root tree needs root (debootstrap makes device nodes and chroots)',
      'run `sudo npx tw sandbox setup` once, or run scripts/setup.sh as root',
    );
  }
  mkdirSync(cacheRoot(), { recursive: true });
  const tmp = join(cacheRoot(), `.rootfs-v${ROOTFS_VERSION}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const say = (s: string): void => {
    if (!quiet) process.stderr.write(`sandbox: ${s}\n`);
  };
  try {
    const buildStartNs = nowNs();
    say(`building ${ROOTFS_ID} v${ROOTFS_VERSION} with debootstrap into ${tmp} (about two minutes)`);
    const mirror = opts.mirror ?? process.env.TW_DEBIAN_MIRROR ?? DEFAULT_MIRROR;
    await runStep('debootstrap', ['--variant=minbase', `--include=${ROOTFS_PACKAGES.join(',')}`, ROOTFS_SUITE, tmp, mirror], quiet, `building ${ROOTFS_ID}`);
    const stamp = finishTree(tmp, { id: ROOTFS_ID, version: ROOTFS_VERSION, suite: ROOTFS_SUITE, packages: ROOTFS_PACKAGES, buildStartNs });
    installTree(tmp, dir, stamp);
    for (const n of readdirSync(cacheRoot())) {
      const m = /^rootfs-v(\d+)(\.json)?$/.exec(n);
      if (m && Number(m[1]) !== ROOTFS_VERSION) {
        say(`removing stale ${n}`);
        rmSync(join(cacheRoot(), n), { recursive: true, force: true });
      }
    }
    say(`ready: ${dir}`);
    return { dir, built: true, stamp };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
