/**
 * Images beyond the default: a manifest (src/sandbox/image/manifest.ts) or a bare OCI tarball,
 * built once into ${cache}/images/<id>-<hash>/ (stamp beside it, as for the default tree) and
 * reused while its content hash holds. A build goes into a temporary sibling and is renamed into
 * place only when complete: a failed build (unknown package, broken tarball, failing setup step)
 * leaves nothing in the cache.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TwError } from '../../core/errors.js';
import { preflight } from '../preflight.js';
import {
  cacheRoot,
  DEFAULT_MIRROR,
  finishTree,
  installTree,
  readStamp,
  requireRootfs,
  ROOTFS_PACKAGES,
  ROOTFS_SUITE,
  runStep,
  nowNs,
  twdetHash,
  type Rootfs,
} from '../rootfs.js';
import { checkManifest, loadManifest, manifestKey, type ImageManifest } from './manifest.js';
import { ociEnvToRecord, unpackOciTarball } from './oci.js';

/** The default image's name, for --image. */
export const DEFAULT_IMAGE = 'workstation';
/** minbase: the smallest Debian (debootstrap's own set plus what a session needs). */
const MINBASE_PACKAGES = ['bash', 'coreutils', 'procps', 'less', 'file'];

export function imagesDir(): string {
  return join(cacheRoot(), 'images');
}

/** chroot on the host's PATH (the build step's own environment is the image's). */
function hostChroot(): string {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) if (d && existsSync(join(d, 'chroot'))) return join(d, 'chroot');
  throw new TwError('chroot is not installed on this machine', 'install coreutils (it provides chroot)');
}

function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', (e) => rej(new TwError(`cannot read ${path}: ${e.message}`, 'check the path')))
      .on('end', () => res(h.digest('hex')));
  });
}

/**
 * The image a session asks for: undefined or "workstation" (the default tree), a manifest file
 * (.yaml, .yml, .json), or an OCI / `docker save` tarball (.tar, .tar.gz, .tgz, .oci). Builds it
 * when it is not cached yet (needs root and, for Debian packages, the mirror).
 */
export async function resolveImage(ref: string | undefined, opts: { quiet?: boolean; mirror?: string } = {}): Promise<Rootfs> {
  if (ref === undefined || ref === DEFAULT_IMAGE) return requireRootfs();
  let m: ImageManifest;
  if (/\.(ya?ml|json)$/.test(ref)) m = loadManifest(ref);
  else if (/\.(tar|tar\.gz|tgz|oci)$/.test(ref)) {
    const id =
      basename(ref)
        .replace(/\.(tar|tar\.gz|tgz|oci)$/, '')
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^[^a-z0-9]+/, '') || 'oci';
    m = checkManifest({ format: 'terminalworld.image', version: 1, id, oci: ref }, ref, dirname(ref));
  } else {
    throw new TwError(
      `unknown image "${ref}"`,
      `use "${DEFAULT_IMAGE}" (the default), a manifest file (.yaml/.json) or an OCI / docker-save tarball (.tar, .tar.gz)`,
    );
  }
  return buildImage(m, opts);
}

export async function buildImage(m: ImageManifest, opts: { quiet?: boolean; mirror?: string } = {}): Promise<Rootfs> {
  const digest = m.oci === undefined ? null : await sha256File(m.oci);
  const key = manifestKey(m, digest);
  const dir = join(imagesDir(), `${m.id}-${key}`);
  const have = readStamp(dir);
  if (have && have.twdet === twdetHash()) return { dir, stamp: have };
  preflight();
  if (process.getuid?.() !== 0)
    throw new TwError(
      `building the image ${m.id} needs root (it unpacks device nodes and chroots)`,
      'run it as root once; later sessions reuse the cached image',
    );
  const say = (s: string): void => {
    if (!opts.quiet) process.stderr.write(`image: ${s}\n`);
  };
  mkdirSync(imagesDir(), { recursive: true });
  const tmp = join(imagesDir(), `.${m.id}-${key}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const start = nowNs();
  try {
    let packages: string[];
    let env = m.env;
    let workdir = m.workdir ?? '/root';
    if (m.oci !== undefined) {
      say(`unpacking ${m.oci} into ${tmp}`);
      mkdirSync(tmp);
      const info = await unpackOciTarball(m.oci, tmp);
      env = { ...ociEnvToRecord(info.config.env), ...m.env };
      if (m.workdir === undefined && info.config.workingDir !== '/' && info.config.workingDir !== '') workdir = info.config.workingDir;
      packages = [];
    } else {
      packages = [...(m.base === 'workstation' ? ROOTFS_PACKAGES : MINBASE_PACKAGES), ...m.packages];
      say(`building ${m.id} (${m.base} + ${m.packages.length} packages) with debootstrap into ${tmp}`);
      await runStep(
        'debootstrap',
        ['--variant=minbase', `--include=${packages.join(',')}`, ROOTFS_SUITE, tmp, opts.mirror ?? process.env.TW_DEBIAN_MIRROR ?? DEFAULT_MIRROR],
        opts.quiet ?? false,
        `building image ${m.id}`,
      );
    }
    if (!['bin/bash', 'usr/bin/bash'].some((p) => existsSync(join(tmp, p)))) {
      throw new TwError(
        `the image ${m.id} has no bash (/bin/bash or /usr/bin/bash)`,
        'sessions run an interactive bash: use an image that has it, or add it in the image',
      );
    }
    for (const f of m.files) {
      const abs = join(tmp, f.path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, f.base64 !== undefined ? Buffer.from(f.base64, 'base64') : (f.content ?? ''));
      if (f.mode !== undefined) chmodSync(abs, f.mode);
    }
    for (const [i, cmd] of m.setup.entries()) {
      say(`setup ${i + 1}/${m.setup.length}: ${cmd}`);
      try {
        execFileSync(hostChroot(), [tmp, '/bin/sh', '-c', `mkdir -p '${workdir}'; cd '${workdir}'; ${cmd}`], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', ...env },
        });
      } catch (e) {
        const err = e as { status?: number | null; stderr?: Buffer; stdout?: Buffer; message?: string };
        const tail = `${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`.trim().slice(-2000) || (err.message ?? '');
        throw new TwError(
          `image ${m.id}: setup step ${i + 1} (\`${cmd}\`) failed with exit ${err.status ?? '?'}${tail ? `:\n${tail}` : ''}`,
          'fix the command in the manifest (it runs as root in the image, with no network unless the build host has one)',
        );
      }
    }
    const stamp = finishTree(tmp, { id: m.id, version: key, suite: m.oci !== undefined ? 'oci' : ROOTFS_SUITE, packages, buildStartNs: start });
    stamp.env = env;
    stamp.workdir = workdir;
    mkdirSync(join(tmp, workdir), { recursive: true });
    installTree(tmp, dir, stamp);
    say(`ready: ${dir}`);
    return { dir, stamp };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
