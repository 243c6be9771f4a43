import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStamp, requireRootfs, rootfsDir, ROOTFS_ID, ROOTFS_VERSION, setupRootfs, stampPath, twdetHash } from './rootfs.js';

let cache: string;
let saved: string | undefined;

beforeEach(() => {
  saved = process.env.XDG_CACHE_HOME;
  cache = mkdtempSync(join(os.tmpdir(), 'tw-rootfs-test-'));
  process.env.XDG_CACHE_HOME = cache;
});
afterEach(() => {
  if (saved === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = saved;
  rmSync(cache, { recursive: true, force: true });
});

function stamp(version: number): string {
  return JSON.stringify({
    format: 'terminalworld.rootfs',
    id: ROOTFS_ID,
    version,
    suite: 'bookworm',
    packages: [],
    builtAt: 'now',
    build: { startNs: '1', endNs: '2', epoch: '2025-12-31 00:00:00' },
    determinism: 'twdet',
    twdet: twdetHash(),
    hostname: 'h',
  });
}

describe('root tree cache', () => {
  it('lives under $XDG_CACHE_HOME/terminalworld/rootfs-v<N>, its stamp beside it (nothing of ours inside the tree)', () => {
    expect(rootfsDir()).toBe(join(cache, 'terminalworld', `rootfs-v${ROOTFS_VERSION}`));
    expect(stampPath(rootfsDir())).toBe(`${rootfsDir()}.json`);
  });

  it('a missing tree is an error that says how to build it', () => {
    expect(() => requireRootfs()).toThrow(/root tree is missing/);
    try {
      requireRootfs();
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/tw sandbox setup/);
    }
  });

  it('an older version directory is reported stale', () => {
    mkdirSync(join(cache, 'terminalworld', 'rootfs-v0'), { recursive: true });
    expect(() => requireRootfs()).toThrow(/stale: found rootfs-v0/);
  });

  it('a stamp with another version is stale; a damaged stamp is not trusted', () => {
    const dir = rootfsDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(stampPath(dir), stamp(ROOTFS_VERSION + 1));
    expect(() => requireRootfs()).toThrow(/is stale/);
    writeFileSync(stampPath(dir), '{not json');
    expect(readStamp(dir)).toBeNull();
    expect(() => requireRootfs()).toThrow(/missing/);
    writeFileSync(stampPath(dir), stamp(ROOTFS_VERSION));
    expect(requireRootfs().stamp.version).toBe(ROOTFS_VERSION);
  });

  it('setup is a no-op when the tree is current', async () => {
    mkdirSync(rootfsDir(), { recursive: true });
    writeFileSync(stampPath(rootfsDir()), stamp(ROOTFS_VERSION));
    const r = await setupRootfs({ quiet: true });
    expect(r.built).toBe(false);
  });

  const canBuild = process.getuid?.() === 0 && existsSync('/usr/sbin/debootstrap');
  // Needs root and debootstrap (CI after setup.sh); the mirror is unreachable on purpose.
  it.skipIf(!canBuild)('a failed build leaves no tree and no temp dir behind', async () => {
    await expect(setupRootfs({ quiet: true, mirror: 'http://127.0.0.1:9/debian' })).rejects.toThrow(/debootstrap .* failed/);
    expect(existsSync(rootfsDir())).toBe(false);
    expect(readdirSync(join(cache, 'terminalworld'))).toEqual([]);
  });
});
