import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Header, create as tarCreate } from 'tar';
import { describe, expect, it } from 'vitest';
import { TwError } from '../../core/errors.js';
import { ociEnvToRecord, unpackOciTarball } from './oci.js';

// ---------------------------------------------------------------------------------------------
// Building inputs

function tmp(prefix: string): string {
  return mkdtempSync(join(os.tmpdir(), prefix));
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** A tar of the tree under `dir` (made with node-tar), optionally gzipped. */
async function tarOf(dir: string, gzip = false): Promise<Buffer> {
  const file = join(tmp('tw-oci-layer-'), gzip ? 'layer.tar.gz' : 'layer.tar');
  await tarCreate({ cwd: dir, file, gzip }, readdirSync(dir));
  return readFileSync(file);
}

/** Write files: path -> content (string), or { link } for a symlink, or { dir: true }. */
type Spec = Record<string, string | { symlink: string } | { hardlink: string } | { dir: true }>;
function tree(spec: Spec): string {
  const root = tmp('tw-oci-tree-');
  for (const [p, v] of Object.entries(spec)) {
    const abs = join(root, p);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof v === 'string') writeFileSync(abs, v);
    else if ('symlink' in v) symlinkSync(v.symlink, abs);
    else if ('hardlink' in v) linkSync(join(root, v.hardlink), abs);
    else mkdirSync(abs, { recursive: true });
  }
  return root;
}

interface RawEntry {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  body?: string;
  linkpath?: string;
  mode?: number;
}

/** A tar written header by header, for entries no filesystem can hold (`../x`, devices as non-root). */
function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = new Header({
      path: e.path,
      type: e.type,
      mode: e.mode ?? (e.type === 'Directory' ? 0o755 : 0o644),
      size: e.type === 'File' ? body.length : 0,
      linkpath: e.linkpath,
      mtime: new Date(1_000_000_000_000),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const CONFIG = {
  os: 'linux',
  architecture: 'amd64',
  config: {
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'GREETING=a=b'],
    WorkingDir: '/app',
    Cmd: ['bash', '-l'],
    Entrypoint: ['/entry.sh'],
    User: '1000:1000',
  },
  rootfs: { type: 'layers', diff_ids: [] as string[] },
};

/** A `docker save`-style tarball: manifest.json, <hex>.json config, <n>/layer.tar. */
async function dockerSave(layers: Buffer[], config: object = CONFIG, omit?: string): Promise<string> {
  const dir = tmp('tw-oci-save-');
  const cfg = Buffer.from(JSON.stringify(config));
  const cfgName = `${sha256(cfg)}.json`;
  writeFileSync(join(dir, cfgName), cfg);
  const layerPaths = layers.map((buf, i) => {
    mkdirSync(join(dir, `layer${i}`));
    writeFileSync(join(dir, `layer${i}`, 'layer.tar'), buf);
    return `layer${i}/layer.tar`;
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: cfgName, RepoTags: ['test:latest'], Layers: layerPaths }]));
  if (omit) rmSync(join(dir, omit));
  const out = join(tmp('tw-oci-out-'), 'image.tar');
  await tarCreate({ cwd: dir, file: out }, readdirSync(dir));
  return out;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
const LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';

/** An OCI image layout being assembled: blobs/sha256/<hex>, then oci-layout + index.json. */
class OciLayout {
  readonly dir = tmp('tw-oci-layout-');

  blob(buf: Buffer, mediaType: string): Descriptor {
    const hex = sha256(buf);
    mkdirSync(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(this.dir, 'blobs', 'sha256', hex), buf);
    return { mediaType, digest: `sha256:${hex}`, size: buf.length };
  }

  json(obj: object, mediaType: string): Descriptor {
    return this.blob(Buffer.from(JSON.stringify(obj)), mediaType);
  }

  image(layers: { buf: Buffer; mediaType: string }[], config: object = CONFIG): { manifest: Descriptor; layers: Descriptor[] } {
    const ls = layers.map((l) => this.blob(l.buf, l.mediaType));
    const cfg = this.json(config, 'application/vnd.oci.image.config.v1+json');
    const manifest = this.json({ schemaVersion: 2, mediaType: MANIFEST, config: cfg, layers: ls }, MANIFEST);
    return { manifest, layers: ls };
  }

  async pack(manifests: Descriptor[]): Promise<string> {
    writeFileSync(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests }));
    const out = join(tmp('tw-oci-out-'), 'image.tar');
    await tarCreate({ cwd: this.dir, file: out }, readdirSync(this.dir));
    return out;
  }
}

/** Every path in a tree, relative, sorted. */
function walk(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel))) {
    const p = rel === '' ? name : `${rel}/${name}`;
    out.push(p);
    if (lstatSync(join(root, p)).isDirectory()) out.push(...walk(root, p));
  }
  return out.sort();
}

const mode = (p: string): number => lstatSync(p).mode & 0o7777;

async function expectTwError(p: Promise<unknown>): Promise<TwError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TwError);
    return e as TwError;
  }
  throw new Error('expected a TwError, but the unpack succeeded');
}

// ---------------------------------------------------------------------------------------------

describe('unpackOciTarball: docker save', () => {
  it('applies 3 layers with whiteouts and an opaque dir, keeping modes, mtimes, symlinks and hard links', async () => {
    const old = new Date('2001-02-03T04:05:06Z');
    const l1 = tree({
      'etc/os-release': 'base\n',
      'etc/keep.conf': 'k\n',
      'gone.txt': 'bye\n',
      'opt/app/old1': 'o1\n',
      'opt/app/sub/old2': 'o2\n',
      'usr/bin/tool': '#!/bin/sh\necho tool\n',
      'usr/bin/tool-alias': { hardlink: 'usr/bin/tool' },
      'usr/lib/libx.so.1': 'ELF\n',
      'usr/lib/libx.so': { symlink: 'libx.so.1' },
      'bin/suid': 'suid\n',
      secret: 's\n',
      'var/d750/inner': 'i\n',
      tmp: { dir: true },
    });
    chmodSync(join(l1, 'usr/bin/tool'), 0o755);
    chmodSync(join(l1, 'bin/suid'), 0o4755);
    chmodSync(join(l1, 'secret'), 0o600);
    chmodSync(join(l1, 'tmp'), 0o1777);
    chmodSync(join(l1, 'var/d750'), 0o750);
    utimesSync(join(l1, 'etc/os-release'), old, old);
    utimesSync(join(l1, 'usr/bin/tool'), old, old);
    utimesSync(join(l1, 'var/d750'), old, old);
    const l2 = tree({
      '.wh.gone.txt': '',
      'opt/app/.wh..wh..opq': '',
      'opt/app/new1': 'n1\n',
      'etc/os-release': 'updated\n',
    });
    const l3 = tree({ 'etc/.wh.keep.conf': '', 'opt/app/sub/new2': 'n2\n' });
    const layers = [await tarOf(l1), await tarOf(l2, true), await tarOf(l3)];
    const image = await dockerSave(layers);

    const dest = tmp('tw-oci-dest-');
    const info = await unpackOciTarball(image, dest);

    expect(info.format).toBe('docker-save');
    expect(info.layers).toEqual(layers.map((b) => `sha256:${sha256(b)}`));
    expect(info.digest).toBe(sha256(readFileSync(image)));
    expect(info.platform).toBe('linux/amd64');
    expect(info.skipped).toBe(0);
    expect(info.config).toEqual({
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'GREETING=a=b'],
      workingDir: '/app',
      cmd: ['bash', '-l'],
      entrypoint: ['/entry.sh'],
      user: '1000:1000',
    });

    // Whiteouts and the opaque directory.
    expect(existsSync(join(dest, 'gone.txt'))).toBe(false);
    expect(existsSync(join(dest, 'etc/keep.conf'))).toBe(false);
    expect(readFileSync(join(dest, 'etc/os-release'), 'utf8')).toBe('updated\n');
    expect(walk(join(dest, 'opt/app'))).toEqual(['new1', 'sub', 'sub/new2']);
    expect(walk(dest).filter((p) => p.split('/').some((c) => c.startsWith('.wh.')))).toEqual([]);

    // Symlink and hard link.
    expect(lstatSync(join(dest, 'usr/lib/libx.so')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dest, 'usr/lib/libx.so'))).toBe('libx.so.1');
    const tool = statSync(join(dest, 'usr/bin/tool'));
    const alias = statSync(join(dest, 'usr/bin/tool-alias'));
    expect(alias.ino).toBe(tool.ino);
    expect(tool.nlink).toBe(2);

    // Modes and mtimes (directories' too, though files were written into them later).
    expect(mode(join(dest, 'usr/bin/tool'))).toBe(0o755);
    expect(mode(join(dest, 'bin/suid'))).toBe(0o4755);
    expect(mode(join(dest, 'secret'))).toBe(0o600);
    expect(mode(join(dest, 'tmp'))).toBe(0o1777);
    expect(mode(join(dest, 'var/d750'))).toBe(0o750);
    expect(statSync(join(dest, 'var/d750')).mtime.getTime()).toBe(old.getTime());
    expect(statSync(join(dest, 'usr/bin/tool')).mtime.getTime()).toBe(old.getTime());
    // Layer 2 replaced os-release: its mtime is layer 2's, not the old one.
    expect(statSync(join(dest, 'etc/os-release')).mtime.getTime()).not.toBe(old.getTime());

    // The staging directory beside dest is gone.
    expect(readdirSync(dirname(dest)).filter((n) => n.startsWith('.tw-oci-staging-'))).toEqual([]);
  });

  it('keeps what the same layer wrote when the opaque marker comes after it, and skips devices and fifos', async () => {
    const l1 = rawTar([
      { path: 'srv/', type: 'Directory' },
      { path: 'srv/lower', type: 'File', body: 'lower' },
      { path: 'srv/keepdir/', type: 'Directory' },
      { path: 'srv/keepdir/lower2', type: 'File', body: 'lower2' },
      { path: 'x', type: 'File', body: 'x' },
    ]);
    const l2 = rawTar([
      { path: 'srv/', type: 'Directory' },
      { path: 'srv/mine', type: 'File', body: 'mine' },
      { path: 'srv/keepdir/new', type: 'File', body: 'new' },
      { path: 'srv/.wh..wh..opq', type: 'File' },
      { path: 'y', type: 'File', body: 'y' },
      { path: '.wh.y', type: 'File' }, // whiteouts hide lower layers only
      { path: 'dev/null', type: 'CharacterDevice', mode: 0o666 },
      { path: 'run/fifo', type: 'FIFO' },
    ]);
    const dest = tmp('tw-oci-dest-');
    const info = await unpackOciTarball(await dockerSave([l1, l2]), dest);
    expect(walk(join(dest, 'srv'))).toEqual(['keepdir', 'keepdir/new', 'mine']);
    expect(readFileSync(join(dest, 'y'), 'utf8')).toBe('y');
    expect(readFileSync(join(dest, 'x'), 'utf8')).toBe('x');
    expect(info.skipped).toBe(2);
    expect(existsSync(join(dest, 'dev/null'))).toBe(false);
    expect(existsSync(join(dest, 'run/fifo'))).toBe(false);
  });

  it('refuses a non-empty destination and leaves it alone', async () => {
    const dest = tmp('tw-oci-dest-');
    writeFileSync(join(dest, 'mine'), 'precious');
    const err = await expectTwError(unpackOciTarball(await dockerSave([rawTar([{ path: 'a', type: 'File', body: 'a' }])]), dest));
    expect(err.message).toMatch(/not empty/);
    expect(readdirSync(dest)).toEqual(['mine']);
  });
});

describe('unpackOciTarball: OCI layout', () => {
  it('follows an image index to the linux/amd64 manifest, with a gzip layer, and honours opts.platform', async () => {
    const layout = new OciLayout();
    const base = { buf: await tarOf(tree({ 'etc/hostname': 'box\n' }), true), mediaType: LAYER_GZIP };
    const amd = layout.image([base, { buf: await tarOf(tree({ arch: 'amd64\n' })), mediaType: LAYER_TAR }]);
    const arm = layout.image([base, { buf: await tarOf(tree({ arch: 'arm64\n' })), mediaType: LAYER_TAR }], {
      ...CONFIG,
      architecture: 'arm64',
      variant: 'v8',
    });
    const index = layout.json(
      {
        schemaVersion: 2,
        mediaType: INDEX,
        manifests: [
          { ...arm.manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { ...amd.manifest, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      },
      INDEX,
    );
    const image = await layout.pack([index]);

    const dest = tmp('tw-oci-dest-');
    const info = await unpackOciTarball(image, dest);
    expect(info.format).toBe('oci-layout');
    expect(info.platform).toBe('linux/amd64');
    expect(info.layers).toEqual(amd.layers.map((d) => d.digest));
    expect(info.digest).toBe(sha256(readFileSync(image)));
    expect(readFileSync(join(dest, 'arch'), 'utf8')).toBe('amd64\n');
    expect(readFileSync(join(dest, 'etc/hostname'), 'utf8')).toBe('box\n');
    expect(ociEnvToRecord(info.config.env)).toEqual({ PATH: '/usr/local/bin:/usr/bin:/bin', GREETING: 'a=b' });

    const destArm = tmp('tw-oci-dest-');
    const infoArm = await unpackOciTarball(image, destArm, { platform: 'linux/arm64' });
    expect(infoArm.platform).toBe('linux/arm64/v8');
    expect(readFileSync(join(destArm, 'arch'), 'utf8')).toBe('arm64\n');

    const destNone = tmp('tw-oci-dest-');
    const err = await expectTwError(unpackOciTarball(image, destNone, { platform: 'linux/s390x' }));
    expect(err.message).toMatch(/no linux\/s390x image/);
    expect(err.message).toMatch(/linux\/arm64\/v8/);
    expect(err.message).toMatch(/linux\/amd64/);
    expect(readdirSync(destNone)).toEqual([]);
  });

  it('reads a single-manifest layout whose descriptor has no platform (from the config)', async () => {
    const layout = new OciLayout();
    const img = layout.image([{ buf: await tarOf(tree({ 'hello.txt': 'hi\n' }), true), mediaType: LAYER_GZIP }]);
    const dest = tmp('tw-oci-dest-');
    const info = await unpackOciTarball(await layout.pack([img.manifest]), dest);
    expect(info.platform).toBe('linux/amd64');
    expect(readFileSync(join(dest, 'hello.txt'), 'utf8')).toBe('hi\n');
  });

  it('names a missing layer blob and leaves dest empty', async () => {
    const layout = new OciLayout();
    const img = layout.image([
      { buf: await tarOf(tree({ a: 'a' })), mediaType: LAYER_TAR },
      { buf: await tarOf(tree({ b: 'b' })), mediaType: LAYER_TAR },
    ]);
    rmSync(join(layout.dir, 'blobs', 'sha256', img.layers[1]!.digest.slice('sha256:'.length)));
    const dest = tmp('tw-oci-dest-');
    const err = await expectTwError(unpackOciTarball(await layout.pack([img.manifest]), dest));
    expect(err.message).toContain(img.layers[1]!.digest);
    expect(err.message).toMatch(/missing/);
    expect(err.hint).toMatch(/docker save IMAGE -o image\.tar/);
    expect(err.hint).toMatch(/skopeo copy docker:\/\/IMAGE oci-archive:image\.tar/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('rejects a blob whose content does not match its digest', async () => {
    const layout = new OciLayout();
    const img = layout.image([{ buf: await tarOf(tree({ a: 'a' })), mediaType: LAYER_TAR }]);
    writeFileSync(join(layout.dir, 'blobs', 'sha256', img.layers[0]!.digest.slice('sha256:'.length)), rawTar([{ path: 'evil', type: 'File', body: 'x' }]));
    const dest = tmp('tw-oci-dest-');
    const err = await expectTwError(unpackOciTarball(await layout.pack([img.manifest]), dest));
    expect(err.message).toContain(img.layers[0]!.digest);
    expect(err.message).toMatch(/corrupt/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('refuses a zstd layer by name and media type, removing the layers already applied', async () => {
    const layout = new OciLayout();
    const zstdish = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(60)]);
    const img = layout.image([
      { buf: await tarOf(tree({ 'first/file': 'applied before the failure\n' })), mediaType: LAYER_TAR },
      { buf: zstdish, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
    ]);
    const dest = tmp('tw-oci-dest-');
    const err = await expectTwError(unpackOciTarball(await layout.pack([img.manifest]), dest));
    expect(err.message).toContain(img.layers[1]!.digest);
    expect(err.message).toContain('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(err.message).toMatch(/zstd/);
    expect(readdirSync(dest)).toEqual([]);
  });
});

describe('unpackOciTarball: safety', () => {
  it('rejects path-traversal entries and cleans up what earlier layers wrote', async () => {
    for (const evil of ['../evil.txt', 'a/../../evil.txt']) {
      const good = await tarOf(tree({ 'etc/ok': 'ok\n' }));
      const bad = rawTar([{ path: evil, type: 'File', body: 'pwned' }]);
      const dest = tmp('tw-oci-dest-');
      const err = await expectTwError(unpackOciTarball(await dockerSave([good, bad]), dest));
      expect(err.message).toMatch(/outside the root tree/);
      expect(err.message).toContain(evil);
      expect(readdirSync(dest)).toEqual([]);
      expect(existsSync(join(dirname(dest), 'evil.txt'))).toBe(false);
    }
    const dest = tmp('tw-oci-dest-');
    const link = rawTar([{ path: 'passwd', type: 'Link', linkpath: '../../../../etc/passwd' }]);
    const err = await expectTwError(unpackOciTarball(await dockerSave([link]), dest));
    expect(err.message).toMatch(/hard link .*outside the root tree/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('resolves symlinks inside the tree, so writes through them never leave dest', async () => {
    const outside = tmp('tw-oci-host-');
    writeFileSync(join(outside, 'secret'), 'host secret\n');
    const l1 = rawTar([
      { path: 'esc', type: 'SymbolicLink', linkpath: outside },
      { path: 'up', type: 'SymbolicLink', linkpath: '../../../../../../..' },
      { path: 'esc2', type: 'SymbolicLink', linkpath: outside },
    ]);
    const l2 = rawTar([
      { path: 'esc/pwned', type: 'File', body: 'x' },
      { path: 'esc/secret', type: 'File', body: 'overwritten' },
      { path: 'up/pwned2', type: 'File', body: 'y' },
      { path: 'esc2/', type: 'Directory' },
      { path: 'esc2/f', type: 'File', body: 'z' },
    ]);
    const dest = tmp('tw-oci-dest-');
    await unpackOciTarball(await dockerSave([l1, l2]), dest);

    // The host directory is untouched.
    expect(readdirSync(outside)).toEqual(['secret']);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('host secret\n');
    expect(existsSync(join(dirname(dest), 'pwned2'))).toBe(false);
    // The writes landed where the image itself would see them: inside the tree.
    expect(readlinkSync(join(dest, 'esc'))).toBe(outside);
    expect(readFileSync(join(dest, outside, 'pwned'), 'utf8')).toBe('x');
    expect(readFileSync(join(dest, outside, 'secret'), 'utf8')).toBe('overwritten');
    expect(readFileSync(join(dest, 'pwned2'), 'utf8')).toBe('y');
    // A directory entry over a symlink replaces the symlink by a real directory.
    expect(lstatSync(join(dest, 'esc2')).isDirectory()).toBe(true);
    expect(readFileSync(join(dest, 'esc2/f'), 'utf8')).toBe('z');
  });

  it('does not hard-link a host file reached through a symlink', async () => {
    const outside = tmp('tw-oci-host-');
    writeFileSync(join(outside, 'secret'), 'host secret\n');
    const l1 = rawTar([
      { path: 'esc', type: 'SymbolicLink', linkpath: outside },
      { path: 'stolen', type: 'Link', linkpath: 'esc/secret' },
    ]);
    const dest = tmp('tw-oci-dest-');
    const err = await expectTwError(unpackOciTarball(await dockerSave([l1]), dest));
    expect(err.message).toMatch(/target is not in the tree/);
    expect(statSync(join(outside, 'secret')).nlink).toBe(1);
    expect(readdirSync(dest)).toEqual([]);
  });
});

describe('unpackOciTarball: bad input', () => {
  it('says a non-tar file is not a tar archive, small or large', async () => {
    for (const content of ['hello, I am not a tarball\n', 'not a tar\n'.repeat(500)]) {
      const file = join(tmp('tw-oci-in-'), 'image.tar');
      writeFileSync(file, content);
      const dest = tmp('tw-oci-dest-');
      const err = await expectTwError(unpackOciTarball(file, dest));
      expect(err.message).toContain(file);
      expect(err.message).toMatch(/not a tar archive/);
      expect(err.hint).toMatch(/docker save IMAGE -o image\.tar/);
      expect(readdirSync(dest)).toEqual([]);
    }
  });

  it('says a tar of something else is not a container image', async () => {
    const file = join(tmp('tw-oci-in-'), 'notimage.tar');
    await tarCreate({ cwd: tree({ 'hello.txt': 'hi\n' }), file }, ['hello.txt']);
    const dest = tmp('tw-oci-dest-');
    const err = await expectTwError(unpackOciTarball(file, dest));
    expect(err.message).toMatch(/neither manifest\.json .* nor index\.json/);
    expect(err.message).toContain('hello.txt');
    expect(err.hint).toMatch(/skopeo copy docker:\/\/IMAGE oci-archive:image\.tar/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('names a layer missing from a docker save tarball', async () => {
    const image = await dockerSave(
      [rawTar([{ path: 'a', type: 'File', body: 'a' }]), rawTar([{ path: 'b', type: 'File', body: 'b' }])],
      CONFIG,
      'layer1/layer.tar',
    );
    const dest = tmp('tw-oci-dest-');
    const err = await expectTwError(unpackOciTarball(image, dest));
    expect(err.message).toMatch(/layer 2\/2 layer1\/layer\.tar is missing/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('says a missing file does not exist', async () => {
    const err = await expectTwError(unpackOciTarball(join(tmp('tw-oci-in-'), 'nope.tar'), tmp('tw-oci-dest-')));
    expect(err.message).toMatch(/does not exist/);
  });
});

describe('ociEnvToRecord', () => {
  it('splits at the first =, lets later entries win and drops malformed ones', () => {
    expect(ociEnvToRecord(['A=1', 'B=x=y', 'EMPTY=', 'NOEQ', '=nokey', 'A=2'])).toEqual({ A: '2', B: 'x=y', EMPTY: '' });
  });
});
