/**
 * Images beyond the default: manifests (checked without root), and images built from a local
 * OCI tarball (a small root tree made in the test from the host's own binaries), run as sessions.
 * Building needs root and the sandbox; skipped with the reason elsewhere.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noSandbox, runAll, text } from '../../backends/real/testkit.js';
import { imagesDir, resolveImage } from './build.js';
import { checkManifest, loadManifest, manifestKey } from './manifest.js';
import { dockerSaveOf, tinyRootTree } from './testkit.js';

describe('image manifests', () => {
  const base = { format: 'terminalworld.image', version: 1, id: 'tools' };

  it('fill in defaults and resolve the OCI path against the manifest folder', () => {
    const m = checkManifest({ ...base, oci: 'img.tar' }, 'x.yaml', '/srv/images');
    expect(m).toMatchObject({ base: 'workstation', packages: [], files: [], setup: [], env: {}, oci: '/srv/images/img.tar' });
  });

  it('name the field that is wrong', () => {
    expect(() => checkManifest({ ...base, id: 'Bad Name' }, 'm.yaml', '/')).toThrow(/m\.yaml: invalid field id/);
    expect(() => checkManifest({ ...base, packages: ['ok', 'NOT OK'] }, 'm.yaml', '/')).toThrow(/invalid field packages\.1: a Debian package name/);
    expect(() => checkManifest({ ...base, files: [{ path: 'rel', content: 'x' }] }, 'm.yaml', '/')).toThrow(/invalid field files\.0\.path/);
    expect(() => checkManifest({ ...base, oci: 'a.tar', packages: ['jq'] }, 'm.yaml', '/')).toThrow(/OCI image brings its own packages/);
    expect(() => checkManifest({ ...base, colour: 'red' }, 'm.yaml', '/')).toThrow(/colour|unrecognized/i);
  });

  it('are keyed by what they ask for', () => {
    const a = checkManifest({ ...base, packages: ['jq'] }, 'a', '/');
    const b = checkManifest({ ...base, packages: ['jq', 'zip'] }, 'b', '/');
    expect(manifestKey(a, null)).toBe(manifestKey(checkManifest({ ...base, packages: ['jq'] }, 'c', '/'), null));
    expect(manifestKey(a, null)).not.toBe(manifestKey(b, null));
    expect(manifestKey(a, 'aa')).not.toBe(manifestKey(a, 'bb'));
  });

  it('a missing or unparsable manifest file says so', () => {
    expect(() => loadManifest('/nonexistent/m.yaml')).toThrow(/does not exist/);
    const dir = mkdtempSync(join(os.tmpdir(), 'tw-manifest-'));
    writeFileSync(join(dir, 'm.yaml'), 'format: [unclosed');
    expect(() => loadManifest(join(dir, 'm.yaml'))).toThrow(/not valid YAML/);
  });
});

describe.skipIf(noSandbox)('images from a local OCI tarball (needs the sandbox)', () => {
  let work: string;
  let tarball: string;
  let cache: string;
  let saved: string | undefined;
  beforeAll(async () => {
    work = mkdtempSync(join(os.tmpdir(), 'tw-image-test-'));
    tarball = await dockerSaveOf(tinyRootTree(), join(work, 'tiny.tar'), { env: ['PATH=/usr/bin:/bin', 'GREETING=hi'], workdir: '/srv/app' });
    // Build into a private cache, so nothing is left in the user's.
    saved = process.env.XDG_CACHE_HOME;
    cache = mkdtempSync(join(os.tmpdir(), 'tw-image-cache-'));
    process.env.XDG_CACHE_HOME = cache;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  it('runs a session in an image unpacked from the tarball, with its environment, workdir and determinism', async () => {
    const [env, where, clock] = await runAll(['echo $GREETING $PATH', 'pwd; ls /', 'touch f; stat -c %y f; date'], { options: { image: tarball } });
    expect(text(env)).toBe('hi /usr/bin:/bin\r\n');
    expect(text(where)).toMatch(/^\/srv\/app\r\n/);
    expect(text(where)).not.toContain('tiny');
    expect(text(clock)).toBe('2026-01-01 00:00:02.000000000 +0000\r\nThu Jan  1 00:00:02 UTC 2026\r\n');
  });

  it('builds a manifest over it once (files, setup, env), then reuses it; a failing step leaves nothing behind', async () => {
    {
      const m = join(work, 'm.yaml');
      writeFileSync(
        m,
        [
          'format: terminalworld.image',
          'version: 1',
          'id: tiny-tools',
          'oci: tiny.tar',
          'files:',
          '  - { path: /etc/motd, content: "welcome\\n" }',
          'setup: ["mkdir -p /opt/data && echo built > /opt/data/stamp"]',
          'env: { MODE: test }',
          'workdir: /opt/data',
          '',
        ].join('\n'),
      );
      const a = await resolveImage(m, { quiet: true });
      const b = await resolveImage(m, { quiet: true });
      expect(b.dir).toBe(a.dir);
      expect(a.stamp).toMatchObject({ id: 'tiny-tools', determinism: 'twdet', workdir: '/opt/data' });
      const [t] = await runAll(['cat /etc/motd stamp; echo $MODE; pwd'], { options: { image: m } });
      expect(text(t)).toBe('welcome\r\nbuilt\r\ntest\r\n/opt/data\r\n');
      const bad = join(work, 'bad.yaml');
      writeFileSync(bad, ['format: terminalworld.image', 'version: 1', 'id: tiny-bad', 'oci: tiny.tar', 'setup: ["true", "no-such-tool --x"]', ''].join('\n'));
      await expect(resolveImage(bad, { quiet: true })).rejects.toThrow(/setup step 2 \(`no-such-tool --x`\) failed with exit 127/);
      expect(readdirSync(imagesDir()).filter((n) => n.includes('tiny-bad'))).toEqual([]);
    }
  });

  // Reaches the Debian mirror (as set-up does); about 30 s.
  it('a manifest naming a package Debian does not have is refused with the package named, and nothing is cached', async () => {
    const m = join(work, 'badpkg.yaml');
    writeFileSync(m, ['format: terminalworld.image', 'version: 1', 'id: bad-pkg', 'base: minbase', 'packages: [jq, no-such-package-xyz]', ''].join('\n'));
    await expect(resolveImage(m, { quiet: true })).rejects.toThrow(/Debian bookworm has no package no-such-package-xyz/);
    expect(readdirSync(imagesDir()).filter((n) => n.includes('bad-pkg'))).toEqual([]);
  }, 180_000);

  it('a file that is not an image tarball is refused by name, and nothing is cached', async () => {
    {
      const f = join(work, 'notanimage.tar');
      writeFileSync(f, 'hello, not a tar');
      await expect(resolveImage(f, { quiet: true })).rejects.toThrow(/notanimage\.tar/);
      expect(existsSync(imagesDir()) ? readdirSync(imagesDir()).filter((n) => n.includes('notanimage')) : []).toEqual([]);
    }
  });
});
