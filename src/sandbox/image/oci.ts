/**
 * Unpack a local container image tarball into a root tree directory, with no registry and no
 * network, so that a Harbor / Terminal-Bench task's environment can run in our sandbox.
 *
 * Two inputs are accepted:
 *
 *   - a `docker save IMAGE -o image.tar` tarball: a top-level manifest.json lists the config file
 *     and the layer tars (classic `<id>/layer.tar`, or `blobs/sha256/<hex>` since Docker 25);
 *   - an OCI image layout tarball (`skopeo copy docker://IMAGE oci-archive:image.tar`): oci-layout,
 *     index.json and blobs/<alg>/<hex>; index.json is followed through image indexes / manifest lists
 *     to the image manifest of the wanted platform (linux/amd64 unless told otherwise), then to its
 *     config and layers.
 *
 * Either may itself be gzip-compressed. Layers may be plain tar or gzip (detected by magic bytes,
 * whatever the media type says); zstd, xz and bzip2 layers are refused with a TwError naming the
 * layer, since Node 20 cannot decompress zstd.
 *
 * The outer tarball is read once (computing its sha256) and its regular files are staged in a
 * temporary directory beside destDir (same filesystem as the tree that has to hold the image anyway;
 * /tmp may be a small tmpfs); the staging directory is always removed. Blobs named by digest are
 * checked against it.
 *
 * Layers are applied in order with OCI whiteout semantics (`.wh.NAME` deletes NAME from lower layers,
 * `.wh..wh..opq` makes its directory opaque), preserving modes, mtimes, symlinks, hard links and
 * directories. Ownership is not preserved (we run unprivileged: every file belongs to the caller).
 * Device nodes and fifos are skipped and counted. Directory modes and mtimes are applied once all
 * layers are in (writing into a directory changes its mtime, and a read-only directory would stop
 * later layers); until then every directory we create keeps owner rwx.
 *
 * Nothing is ever written outside destDir:
 *   - an entry path (or hard link target) that escapes the root after lexical normalisation
 *     (`../x`, `a/../../x`) is refused with a TwError; a leading `/` is taken as the tree root;
 *   - symlinks already in the tree are never followed by the OS. The parent directories of each entry
 *     are resolved by hand, component by component with lstat, as if chrooted into destDir: an
 *     absolute symlink target restarts at the tree root and `..` stops at the tree root. So a layer
 *     holding `a -> /etc` and then `a/passwd` writes destDir/etc/passwd, exactly as `docker run` of that
 *     image would see it, and never the host's /etc. (This is what containerd does, and what Docker
 *     gets by unpacking inside a chroot; refusing instead would break real images, e.g. usrmerge
 *     trees where `lib -> usr/lib`.)
 *   - the last component of an entry is never followed: whatever is there (file, symlink, directory)
 *     is removed and replaced, except a directory entry over an existing directory, which merges.
 *     Files are opened with O_CREAT|O_EXCL|O_NOFOLLOW.
 *
 * On any error, everything written into destDir is removed (destDir is left empty) and the error is a
 * TwError. destDir must be empty (or absent) when called.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants as fsConstants,
  createReadStream,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { z } from 'zod';
import { oob, TwError } from '../../core/errors.js';

export interface OciImageConfig {
  /** `KEY=VALUE` strings, as in the image config (see ociEnvToRecord). */
  env: string[];
  /** The image's working directory; `/` when the image sets none (as Docker does). */
  workingDir: string;
  cmd: string[];
  entrypoint: string[];
  /** `user`, `uid`, `user:group` or `uid:gid`; empty means root. */
  user: string;
}

export interface OciImageInfo {
  format: 'oci-layout' | 'docker-save';
  /** Digests (`sha256:<hex>`) of the layer blobs as stored in the tarball, in the order applied. */
  layers: string[];
  config: OciImageConfig;
  /** sha256 of the tarball file, hex. */
  digest: string;
  /** `os/architecture[/variant]` from the image config; empty when the config does not say. */
  platform: string;
  /** Entries not unpacked: device nodes and fifos. */
  skipped: number;
}

export interface UnpackOciOptions {
  /** `os/arch[/variant]` to pick from a multi-platform image; default `linux/amd64`. */
  platform?: string;
}

const VALID_INPUT = 'pass a container image tarball: `docker save IMAGE -o image.tar`, or `skopeo copy docker://IMAGE oci-archive:image.tar`';
const DEFAULT_PLATFORM = 'linux/amd64';
const MAX_SYMLINK_HOPS = 40;
const OPAQUE = '.wh..wh..opq';
const WHITEOUT = '.wh.';

/** Unpack the image in `tarPath` into `destDir` (empty or absent); see the file comment. */
export async function unpackOciTarball(tarPath: string, destDir: string, opts: UnpackOciOptions = {}): Promise<OciImageInfo> {
  const wanted = parsePlatform(opts.platform ?? DEFAULT_PLATFORM);
  const st = statSync(tarPath, { throwIfNoEntry: false });
  if (!st) throw new TwError(`image tarball ${tarPath} does not exist`, VALID_INPUT);
  if (st.isDirectory()) {
    throw new TwError(
      `${tarPath} is a directory, not an image tarball`,
      `${VALID_INPUT} (an unpacked OCI layout directory can be packed with \`tar -cf image.tar -C DIR .\`)`,
    );
  }
  const dest = resolve(destDir);
  mkdirSync(dest, { recursive: true });
  if (readdirSync(dest).length > 0) {
    throw new TwError(`cannot unpack ${tarPath} into ${dest}: the directory is not empty`, 'pass a fresh, empty directory (e.g. from mkdtemp)');
  }
  const staging = mkdtempSync(join(dirname(dest), '.tw-oci-staging-'));
  try {
    const archive = await readOuter(tarPath, staging);
    const image = resolveImage(archive, tarPath, wanted);
    const tree = new TreeWriter(dest);
    for (const [i, layer] of image.layers.entries()) {
      await applyLayer(tree, layer, `layer ${i + 1}/${image.layers.length} (${layer.digest}) of ${tarPath}`);
    }
    tree.finish();
    return {
      format: image.format,
      layers: image.layers.map((l) => l.digest),
      config: image.config,
      digest: archive.digest,
      platform: image.platform,
      skipped: tree.skipped,
    };
  } catch (e) {
    emptyDir(dest);
    if (e instanceof TwError) throw e;
    const err = new TwError(`unpacking ${tarPath} into ${dest} failed: ${errorMessage(e)}`, 'check that the destination is writable and has enough free space');
    err.cause = e;
    throw err;
  } finally {
    forceRemove(staging);
  }
}

/** `["A=1", "B=x=y"]` -> `{ A: "1", B: "x=y" }`. Entries without `=` or with an empty name are dropped; a later entry wins. */
export function ociEnvToRecord(env: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading tar streams

type Guard = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => void;
type EntryHandler = (entry: ReadEntry, guard: Guard) => void;

/** The bytes read were not a (complete, valid) tar archive. */
class TarStreamError extends Error {
  constructor(
    readonly reason: 'not-tar' | 'corrupt' | 'truncated',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Feed `src` (plain tar bytes) through node-tar's Parser, calling `onEntry` for each entry. The handler
 * works synchronously (sync fs calls, listeners on the entry's data/end), so entries are handled
 * strictly in order: the parser does not emit the next entry before the current one has ended.
 * The handler must consume every entry (listen to 'data' or call resume()). A throw in the handler or
 * in a listener wrapped by `guard` stops the read and is rethrown.
 */
async function readTarStream(src: AsyncIterable<Buffer>, onEntry: EntryHandler): Promise<void> {
  const parser = new Parser({ strict: false, zstd: false });
  // In an object so that TypeScript does not narrow what the listeners below assign.
  const st: {
    failure: { error: unknown } | null;
    badArchive: { message: string; truncated: boolean } | null;
    entries: number;
  } = { failure: null, badArchive: null, entries: 0 };
  let bytes = 0;
  let firstBlock = Buffer.alloc(0);
  const fail = (error: unknown): void => {
    if (!st.failure) st.failure = { error };
  };
  const guard: Guard =
    (fn) =>
    (...args) => {
      if (st.failure) return;
      try {
        fn(...args);
      } catch (e) {
        fail(e);
      }
    };
  parser.on('warn', (code: string, message: string) => {
    if (code === 'TAR_BAD_ARCHIVE') {
      st.badArchive = { message, truncated: /truncated/i.test(message) };
    } else {
      fail(new TarStreamError(st.entries === 0 ? 'not-tar' : 'corrupt', `${code}: ${message}`));
    }
  });
  parser.on('error', (e: unknown) => fail(e));
  parser.on('entry', (entry: ReadEntry) => {
    st.entries++;
    if (st.failure) {
      entry.resume();
      return;
    }
    try {
      onEntry(entry, guard);
    } catch (e) {
      fail(e);
      entry.resume();
    }
  });

  for await (const chunk of src) {
    if (bytes < 512) firstBlock = Buffer.concat([firstBlock, chunk.subarray(0, 512 - bytes)]);
    bytes += chunk.length;
    const flowing = parser.write(chunk);
    if (st.failure) break;
    if (!flowing) await new Promise<void>((res) => parser.once('drain', () => res()));
    if (st.failure) break;
  }
  if (!st.failure) {
    await new Promise<void>((res) => {
      parser.once('end', () => res());
      parser.end();
    });
  }
  if (st.failure) throw st.failure.error;
  const bad = st.badArchive;
  if (bad) {
    // node-tar also reports an archive with no entries as unrecognized: an empty tar (zero bytes, or
    // end-of-archive zero blocks) is a legal empty layer.
    const emptyTar = st.entries === 0 && !bad.truncated && (bytes === 0 || (firstBlock.length === 512 && firstBlock.every((b) => b === 0)));
    if (!emptyTar) throw new TarStreamError(bad.truncated ? 'truncated' : st.entries === 0 ? 'not-tar' : 'corrupt', bad.message);
  }
}

type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

function sniffCompression(file: string): Compression {
  const head = Buffer.alloc(6);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const h = head.subarray(0, n);
  const starts = (...bytes: number[]): boolean => h.length >= bytes.length && bytes.every((b, i) => h[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  return 'none';
}

async function* fileChunks(file: string, hash?: Hash): AsyncGenerator<Buffer> {
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
    hash?.update(b);
    yield b;
  }
}

/** The plain tar bytes of `file`, gunzipped when `compression` is gzip; `hash` sees the raw bytes. */
function tarBytes(file: string, compression: 'none' | 'gzip', hash?: Hash): AsyncIterable<Buffer> {
  if (compression === 'none') return fileChunks(file, hash);
  const gunzip = createGunzip();
  pipeline(Readable.from(fileChunks(file, hash)), gunzip, () => {
    // Errors surface through iteration of `gunzip`.
  });
  return gunzip as AsyncIterable<Buffer>;
}

function isZlibError(e: unknown): e is Error {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^Z_/.test(String((e as NodeJS.ErrnoException).code));
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

// ---------------------------------------------------------------------------------------------
// The outer tarball

interface StagedFile {
  kind: 'file';
  /** Path of the staged copy. */
  staged: string;
  size: number;
  sha256: string;
}
type OuterEntry = StagedFile | { kind: 'symlink' | 'hardlink'; target: string };

interface OuterArchive {
  entries: Map<string, OuterEntry>;
  /** sha256 of the tarball file, hex. */
  digest: string;
}

/** Archive-relative path: no leading `./` or `/`, no trailing `/`; null when it climbs out. */
function normalizeOuterPath(p: string): string | null {
  const n = posix.normalize(p.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) return null;
  return n === '.' ? '' : n;
}

async function readOuter(tarPath: string, staging: string): Promise<OuterArchive> {
  const compression = sniffCompression(tarPath);
  if (compression !== 'none' && compression !== 'gzip') {
    throw new TwError(
      `${tarPath} is compressed with ${compression}, which is not supported`,
      `decompress it first (e.g. \`${compression === 'zstd' ? 'zstd -d' : compression === 'xz' ? 'xz -d' : 'bzip2 -d'} FILE\`); ${VALID_INPUT}`,
    );
  }
  const hash = createHash('sha256');
  const entries = new Map<string, OuterEntry>();
  const open = new Set<number>();
  let n = 0;
  try {
    await readTarStream(tarBytes(tarPath, compression, hash), (entry, guard) => {
      const name = normalizeOuterPath(entry.path);
      if (name === null || name === '') {
        entry.resume();
        return;
      }
      switch (entry.type) {
        case 'File':
        case 'OldFile':
        case 'ContiguousFile': {
          const staged = join(staging, String(n++));
          const fd = openSync(staged, 'wx', 0o600);
          open.add(fd);
          const h = createHash('sha256');
          let size = 0;
          entry.on(
            'end',
            guard(() => {
              closeSync(fd);
              open.delete(fd);
              entries.set(name, { kind: 'file', staged, size, sha256: h.digest('hex') });
            }),
          );
          entry.on(
            'data',
            guard((chunk: Buffer) => {
              writeAll(fd, chunk);
              h.update(chunk);
              size += chunk.length;
            }),
          );
          return;
        }
        case 'SymbolicLink':
          if (entry.linkpath) entries.set(name, { kind: 'symlink', target: entry.linkpath });
          break;
        case 'Link': {
          const target = entry.linkpath ? normalizeOuterPath(entry.linkpath) : null;
          if (target) entries.set(name, { kind: 'hardlink', target });
          break;
        }
        default:
          break;
      }
      entry.resume();
    });
  } catch (e) {
    if (e instanceof TarStreamError) {
      if (e.reason === 'not-tar') throw new TwError(`${tarPath} is not a tar archive (${e.message})`, VALID_INPUT);
      throw new TwError(`${tarPath} is a damaged tar archive (${e.message})`, `export the image again; ${VALID_INPUT}`);
    }
    if (isZlibError(e)) throw new TwError(`${tarPath} looks gzip-compressed but does not decompress (${e.message})`, `the file is damaged; ${VALID_INPUT}`);
    throw e;
  } finally {
    for (const fd of open) closeSync(fd);
  }
  return { entries, digest: hash.digest('hex') };
}

// ---------------------------------------------------------------------------------------------
// Finding the image in the archive

interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

interface LayerRef {
  digest: string;
  mediaType: string | null;
  file: StagedFile;
}

interface ResolvedImage {
  format: 'oci-layout' | 'docker-save';
  layers: LayerRef[];
  config: OciImageConfig;
  platform: string;
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386' };

function parsePlatform(s: string): Platform {
  const [os, architecture, variant, ...rest] = s.split('/');
  if (!os || !architecture || variant === '' || rest.length > 0) {
    throw new TwError(`bad platform "${s}"`, 'write it as os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8');
  }
  return { os, architecture, variant };
}

function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

function platformMatches(p: Platform, wanted: Platform): boolean {
  const arch = (a: string): string => ARCH_ALIASES[a] ?? a;
  if (p.os !== wanted.os || arch(p.architecture) !== arch(wanted.architecture)) return false;
  return !wanted.variant || !p.variant || p.variant === wanted.variant;
}

const platformSchema = z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() });
const descriptorSchema = z.object({
  mediaType: z.string().optional(),
  digest: z.string(),
  size: z.number().optional(),
  platform: platformSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
type Descriptor = z.infer<typeof descriptorSchema>;
const indexSchema = z.object({ mediaType: z.string().optional(), manifests: z.array(descriptorSchema) });
const manifestSchema = z.object({ mediaType: z.string().optional(), config: descriptorSchema, layers: z.array(descriptorSchema) });
const imageConfigSchema = z.object({
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  config: z
    .object({
      Env: z.array(z.string()).nullish(),
      WorkingDir: z.string().nullish(),
      Cmd: z.array(z.string()).nullish(),
      Entrypoint: z.array(z.string()).nullish(),
      User: z.string().nullish(),
    })
    .nullish(),
});
type ImageConfigJson = z.infer<typeof imageConfigSchema>;
const dockerManifestSchema = z.array(z.object({ Config: z.string(), RepoTags: z.array(z.string()).nullish(), Layers: z.array(z.string()) }));
const ociLayoutSchema = z.object({ imageLayoutVersion: z.string() });

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const MANIFEST_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);

/** Lookup of files in the staged archive, following its symlinks and hard links. */
class ArchiveView {
  constructor(
    readonly archive: OuterArchive,
    readonly tarPath: string,
  ) {}

  has(name: string): boolean {
    return this.archive.entries.has(name);
  }

  file(name: string): StagedFile | undefined {
    let cur: string | null = normalizeOuterPath(name);
    for (let hops = 0; cur !== null && hops <= MAX_SYMLINK_HOPS; hops++) {
      const e = this.archive.entries.get(cur);
      if (!e) return undefined;
      if (e.kind === 'file') return e;
      cur = e.kind === 'hardlink' ? e.target : normalizeOuterPath(e.target.startsWith('/') ? e.target : posix.join(posix.dirname(cur), e.target));
    }
    return undefined;
  }

  /** The file, or a TwError saying the archive lacks it. */
  require(name: string, what: string): StagedFile {
    const f = this.file(name);
    if (!f) throw new TwError(`${this.tarPath}: ${what} ${name} is missing from the archive`, `the tarball is incomplete; ${VALID_INPUT}`);
    // Files stored under their digest are checked against it.
    const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(normalizeOuterPath(name) ?? '');
    if (m && m[1] !== f.sha256) this.corrupt(`sha256:${m[1]}`, what, `sha256:${f.sha256}`);
    return f;
  }

  /** The blob with this digest, checked; a TwError naming the blob when it is missing or corrupt. */
  blob(digest: string, what: string): StagedFile {
    const [, algo, hex] = /^(sha256|sha512):([a-f0-9]+)$/.exec(digest) ?? [];
    if (!algo || !hex || (algo === 'sha256' && hex.length !== 64) || (algo === 'sha512' && hex.length !== 128)) {
      throw new TwError(
        `${this.tarPath}: ${what} has an unsupported or malformed digest "${digest}"`,
        `only sha256 and sha512 digests are supported; ${VALID_INPUT}`,
      );
    }
    const path = `blobs/${algo}/${hex}`;
    const f = this.file(path);
    if (!f) throw new TwError(`${this.tarPath}: blob ${digest} (${what}) is missing: the archive has no ${path}`, `the tarball is incomplete; ${VALID_INPUT}`);
    const actual = algo === 'sha256' ? f.sha256 : createHash('sha512').update(readFileSync(f.staged)).digest('hex');
    if (actual !== hex) this.corrupt(digest, what, `${algo}:${actual}`);
    return f;
  }

  json(f: StagedFile, name: string): unknown {
    try {
      return JSON.parse(readFileSync(f.staged, 'utf8'));
    } catch (e) {
      throw new TwError(`${this.tarPath}: ${name} is not valid JSON (${errorMessage(e)})`, `the tarball is damaged; ${VALID_INPUT}`);
    }
  }

  parse<T>(schema: z.ZodType<T>, f: StagedFile, name: string): T {
    const r = schema.safeParse(this.json(f, name));
    if (!r.success) {
      const issue = r.error.issues[0];
      const where = issue ? ` (${issue.path.join('.') || 'top level'}: ${issue.message})` : '';
      throw new TwError(`${this.tarPath}: ${name} is not what an image tarball holds${where}`, VALID_INPUT);
    }
    return r.data;
  }

  private corrupt(digest: string, what: string, actual: string): never {
    throw new TwError(
      `${this.tarPath}: blob ${digest} (${what}) is corrupt: its content hashes to ${actual}`,
      `the tarball is damaged; export the image again; ${VALID_INPUT}`,
    );
  }
}

function resolveImage(archive: OuterArchive, tarPath: string, wanted: Platform): ResolvedImage {
  const view = new ArchiveView(archive, tarPath);
  if (view.has('manifest.json')) return fromDockerSave(view, wanted);
  if (view.has('index.json') || view.has('oci-layout')) return fromOciLayout(view, wanted);
  const names = [...archive.entries.keys()].slice(0, 5);
  throw new TwError(
    `${tarPath} is a tar archive but not a container image: it has neither manifest.json (docker save) nor index.json and oci-layout (OCI image layout)` +
      (names.length > 0 ? `; it holds ${names.join(', ')}${archive.entries.size > names.length ? ', …' : ''}` : '; it holds no files'),
    VALID_INPUT,
  );
}

function imageConfig(c: ImageConfigJson): { config: OciImageConfig; platform: Platform | null } {
  const cc = c.config ?? {};
  return {
    config: {
      env: cc.Env ?? [],
      workingDir: cc.WorkingDir && cc.WorkingDir !== '' ? cc.WorkingDir : '/',
      cmd: cc.Cmd ?? [],
      entrypoint: cc.Entrypoint ?? [],
      user: cc.User ?? '',
    },
    platform: c.os && c.architecture ? { os: c.os, architecture: c.architecture, variant: c.variant } : null,
  };
}

function checkPlatform(view: ArchiveView, platform: Platform | null, wanted: Platform): void {
  if (platform && !platformMatches(platform, wanted)) {
    throw new TwError(
      `${view.tarPath} holds a ${formatPlatform(platform)} image, not ${formatPlatform(wanted)}`,
      `export the ${formatPlatform(wanted)} image (\`docker save --platform ${formatPlatform(wanted)} IMAGE -o image.tar\`), or pass platform: '${formatPlatform(platform)}' to unpack this one anyway`,
    );
  }
}

function fromDockerSave(view: ArchiveView, wanted: Platform): ResolvedImage {
  const images = view.parse(dockerManifestSchema, view.require('manifest.json', 'file'), 'manifest.json');
  const [m] = images;
  if (m === undefined || images.length !== 1) {
    const tags = images.map((im) => (im.RepoTags ?? []).join(' ') || im.Config).join(', ');
    throw new TwError(
      images.length === 0 ? `${view.tarPath}: manifest.json lists no image` : `${view.tarPath} holds ${images.length} images (${tags}); expected one`,
      `save a single image: \`docker save IMAGE -o image.tar\``,
    );
  }
  const cfg = imageConfig(view.parse(imageConfigSchema, view.require(m.Config, 'image config'), m.Config));
  checkPlatform(view, cfg.platform, wanted);
  const layers = m.Layers.map((p, i): LayerRef => {
    const file = view.require(p, `layer ${i + 1}/${m.Layers.length}`);
    return { digest: `sha256:${file.sha256}`, mediaType: null, file };
  });
  return { format: 'docker-save', layers, config: cfg.config, platform: cfg.platform ? formatPlatform(cfg.platform) : '' };
}

interface Candidate {
  desc: Descriptor;
  platform: Platform | null;
}

function fromOciLayout(view: ArchiveView, wanted: Platform): ResolvedImage {
  const tarPath = view.tarPath;
  if (view.has('oci-layout')) {
    view.parse(ociLayoutSchema, view.require('oci-layout', 'file'), 'oci-layout');
  }
  if (!view.has('index.json')) {
    throw new TwError(`${tarPath} has an oci-layout file but no index.json, so it does not say which image it holds`, VALID_INPUT);
  }
  const index = view.parse(indexSchema, view.require('index.json', 'file'), 'index.json');

  // Flatten indexes (OCI image index, Docker manifest list) down to image manifests.
  const candidates: Candidate[] = [];
  const unsupported: string[] = [];
  const visit = (descs: Descriptor[], from: string, depth: number): void => {
    if (depth > 8) throw new TwError(`${tarPath}: image indexes nest too deeply under ${from}`, VALID_INPUT);
    for (const d of descs) {
      let kind: 'index' | 'manifest' | null =
        d.mediaType && INDEX_TYPES.has(d.mediaType) ? 'index' : d.mediaType && MANIFEST_TYPES.has(d.mediaType) ? 'manifest' : null;
      if (kind === null && d.mediaType === undefined) {
        // No media type in the descriptor: look at the blob itself.
        const j = view.json(view.blob(d.digest, `manifest listed in ${from}`), d.digest);
        kind = typeof j === 'object' && j !== null && 'manifests' in j ? 'index' : 'manifest';
      }
      if (kind === 'index') {
        const sub = view.parse(indexSchema, view.blob(d.digest, `image index listed in ${from}`), `image index ${d.digest}`);
        visit(sub.manifests, `image index ${d.digest}`, depth + 1);
      } else if (kind === 'manifest') {
        candidates.push({ desc: d, platform: d.platform ?? null });
      } else {
        unsupported.push(`${d.digest} (${d.mediaType})`);
      }
    }
  };
  visit(index.manifests, 'index.json', 0);

  // Attestations and other non-images (Docker/BuildKit put them in indexes as unknown/unknown).
  const images = candidates.filter((c) => c.platform?.os !== 'unknown' && c.desc.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  if (images.length === 0) {
    throw new TwError(
      `${tarPath}: index.json leads to no image manifest` + (unsupported.length > 0 ? ` (unsupported: ${unsupported.join(', ')})` : ''),
      VALID_INPUT,
    );
  }
  // Descriptors without a platform: read it from the image config when the blobs are there.
  for (const c of images) {
    if (c.platform || !view.file(blobPath(c.desc.digest))) continue;
    const man = view.parse(manifestSchema, view.blob(c.desc.digest, 'image manifest'), `image manifest ${c.desc.digest}`);
    if (!view.file(blobPath(man.config.digest))) continue;
    c.platform = imageConfig(view.parse(imageConfigSchema, view.blob(man.config.digest, 'image config'), `image config ${man.config.digest}`)).platform;
  }
  const matching = images.filter((c) => !c.platform || platformMatches(c.platform, wanted));
  const [first] = matching;
  if (first === undefined) {
    const have = [...new Set(images.map((c) => (c.platform ? formatPlatform(c.platform) : '?')))];
    throw new TwError(
      `${tarPath} has no ${formatPlatform(wanted)} image (it has ${have.join(', ')})`,
      `pass platform: '${have[0]}' to unpack that one, or export the ${formatPlatform(wanted)} image (e.g. \`skopeo copy --override-os ${wanted.os} --override-arch ${wanted.architecture} docker://IMAGE oci-archive:image.tar\`)`,
    );
  }
  // Prefer one whose manifest is actually in the archive (partial multi-platform exports omit the others).
  const chosen = matching.find((c) => view.file(blobPath(c.desc.digest))) ?? first;
  const manifest = view.parse(manifestSchema, view.blob(chosen.desc.digest, 'image manifest'), `image manifest ${chosen.desc.digest}`);
  if (manifest.mediaType !== undefined && !MANIFEST_TYPES.has(manifest.mediaType)) {
    throw new TwError(`${tarPath}: image manifest ${chosen.desc.digest} has unsupported media type ${manifest.mediaType}`, VALID_INPUT);
  }
  const cfg = imageConfig(view.parse(imageConfigSchema, view.blob(manifest.config.digest, 'image config'), `image config ${manifest.config.digest}`));
  checkPlatform(view, cfg.platform, wanted);
  const layers = manifest.layers.map(
    (d, i): LayerRef => ({ digest: d.digest, mediaType: d.mediaType ?? null, file: view.blob(d.digest, `layer ${i + 1}/${manifest.layers.length}`) }),
  );
  const platform = cfg.platform ?? chosen.platform;
  return { format: 'oci-layout', layers, config: cfg.config, platform: platform ? formatPlatform(platform) : '' };
}

function blobPath(digest: string): string {
  const i = digest.indexOf(':');
  return i < 0 ? `blobs/${digest}` : `blobs/${digest.slice(0, i)}/${digest.slice(i + 1)}`;
}

// ---------------------------------------------------------------------------------------------
// Applying layers

async function applyLayer(tree: TreeWriter, layer: LayerRef, where: string): Promise<void> {
  const mediaType = layer.mediaType ?? 'none given (docker save)';
  const compression = sniffCompression(layer.file.staged);
  if (compression !== 'none' && compression !== 'gzip') {
    throw new TwError(
      `${where} is compressed with ${compression} (media type ${mediaType}), which is not supported`,
      'export the image with gzip or uncompressed layers, e.g. `docker save IMAGE -o image.tar` or `skopeo copy --dest-compress-format gzip docker://IMAGE oci-archive:image.tar`',
    );
  }
  tree.beginLayer(where);
  try {
    await readTarStream(tarBytes(layer.file.staged, compression), (entry, guard) => tree.apply(entry, guard));
  } catch (e) {
    if (e instanceof TwError) throw e;
    if (e instanceof TarStreamError) {
      throw new TwError(
        e.reason === 'not-tar'
          ? `${where} is not a tar layer (media type ${mediaType}; ${e.message})`
          : `${where} is a damaged tar (media type ${mediaType}; ${e.message})`,
        `layers must be tar or gzip-compressed tar; export the image again; ${VALID_INPUT}`,
      );
    }
    if (isZlibError(e)) {
      throw new TwError(`${where} does not gunzip (media type ${mediaType}; ${e.message})`, `the layer is damaged; export the image again; ${VALID_INPUT}`);
    }
    throw new TwError(`${where}: ${errorMessage(e)}`, 'check that the destination is writable and has enough free space');
  } finally {
    tree.endLayer();
  }
}

interface DirMeta {
  mode: number;
  mtime?: Date;
  atime?: Date;
}

function lstatOrNull(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

/** Entry path as tree components; null when it climbs out of the tree. A leading `/` is the tree root. */
function splitEntryPath(raw: string): string[] | null {
  const stripped = raw.replace(/^\/+/, '');
  if (stripped === '') return [];
  const n = posix.normalize(stripped);
  if (n === '..' || n.startsWith('../')) return null;
  return n.split('/').filter((c) => c !== '' && c !== '.');
}

/** Writes layer entries into the tree at `root`; see the file comment for the safety rules. */
class TreeWriter {
  skipped = 0;
  /** Entry parent path (as written in the layer) -> its resolved, real-directory components. */
  private readonly dirCache = new Map<string, readonly string[]>();
  /** Directory (resolved, `/`-joined, '' = root) -> mode and times to set at the end. */
  private readonly dirMeta = new Map<string, DirMeta>();
  /** Paths this layer wrote, and their ancestors: what an opaque whiteout in this layer keeps. */
  private readonly written = new Set<string>();
  private readonly keep = new Set<string>();
  private openFd: number | null = null;
  private where = '';

  constructor(private readonly root: string) {}

  beginLayer(where: string): void {
    this.where = where;
    this.written.clear();
    this.keep.clear();
  }

  endLayer(): void {
    if (this.openFd !== null) {
      closeSync(this.openFd);
      this.openFd = null;
    }
  }

  apply(entry: ReadEntry, guard: Guard): void {
    const parts = splitEntryPath(entry.path);
    if (parts === null) {
      throw new TwError(
        `${this.where}: entry "${entry.path}" points outside the root tree`,
        `refusing to unpack an unsafe (path-traversal) image; ${VALID_INPUT}`,
      );
    }
    const base = parts.at(-1);
    if (base?.startsWith(WHITEOUT)) {
      this.whiteout(parts.slice(0, -1), base);
      entry.resume();
      return;
    }
    switch (entry.type) {
      case 'Directory':
      case 'GNUDumpDir':
        this.directory(parts, entry);
        break;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        this.file(parts, entry, guard);
        return; // consumed by its listeners
      case 'SymbolicLink':
        this.symlink(parts, entry);
        break;
      case 'Link':
        this.hardlink(parts, entry);
        break;
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        this.skipped++;
        break;
      default:
        break;
    }
    entry.resume();
  }

  /** Set directory modes and times, deepest first (a chmod to read-only must not block the rest). */
  finish(): void {
    const depth = (k: string): number => (k === '' ? 0 : k.split('/').length);
    const dirs = [...this.dirMeta].sort((a, b) => depth(b[0]) - depth(a[0]));
    for (const [key, meta] of dirs) {
      const p = this.abs(key === '' ? [] : key.split('/'));
      if (!lstatOrNull(p)?.isDirectory()) continue;
      if (meta.mtime) utimesSync(p, meta.atime ?? meta.mtime, meta.mtime);
      chmodSync(p, meta.mode);
    }
  }

  private abs(parts: readonly string[]): string {
    return parts.length === 0 ? this.root : join(this.root, ...parts);
  }

  /**
   * Resolve directory components chroot-style: symlinks in the tree are followed by hand, an absolute
   * target restarts at the tree root, `..` stops at the tree root. Missing directories are created when
   * `create`; otherwise null. Every component of the result is a real directory (checked with lstat).
   */
  private resolveDir(parts: readonly string[], create: boolean): readonly string[] | null {
    const key = parts.join('/');
    const hit = this.dirCache.get(key);
    if (hit) return hit;
    let out: string[] = [];
    const todo = [...parts].reverse();
    let hops = 0;
    for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
      if (name === '' || name === '.') continue;
      if (name === '..') {
        out.pop();
        continue;
      }
      const next = [...out, name];
      const p = this.abs(next);
      const st = lstatOrNull(p);
      if (!st) {
        if (!create) return null;
        mkdirSync(p, { mode: 0o755 });
        out = next;
      } else if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new TwError(`${this.where}: too many levels of symbolic links under ${parts.join('/')}`, `the image is malformed; ${VALID_INPUT}`);
        }
        const target = readlinkSync(p);
        if (target.startsWith('/')) out = [];
        for (const t of target.split('/').reverse()) todo.push(t);
      } else if (st.isDirectory()) {
        out = next;
      } else {
        throw new TwError(
          `${this.where}: entries under ${parts.join('/')} need ${next.join('/')} to be a directory, but it is a file`,
          `the image is malformed; ${VALID_INPUT}`,
        );
      }
    }
    this.dirCache.set(key, out);
    return out;
  }

  /** Where an entry goes: its resolved parent plus its own (never followed) name. */
  private place(parts: readonly string[]): string[] {
    const parent = this.resolveDir(parts.slice(0, -1), true) ?? [];
    return [...parent, parts[parts.length - 1] ?? oob('path part')];
  }

  private markWritten(rel: readonly string[]): void {
    this.written.add(rel.join('/'));
    let prefix = '';
    for (const c of rel) {
      prefix = prefix === '' ? c : `${prefix}/${c}`;
      this.keep.add(prefix);
    }
  }

  /** Remove whatever is at `rel` (never following it). */
  private remove(rel: readonly string[]): void {
    const p = this.abs(rel);
    const st = lstatOrNull(p);
    if (!st) return;
    if (st.isDirectory()) {
      forceRemove(p);
      const key = rel.join('/');
      for (const k of [...this.dirMeta.keys()]) if (k === key || k.startsWith(`${key}/`)) this.dirMeta.delete(k);
      this.dirCache.clear();
    } else {
      unlinkSync(p);
      if (st.isSymbolicLink()) this.dirCache.clear();
    }
  }

  private whiteout(parentParts: readonly string[], base: string): void {
    if (base === OPAQUE) {
      const dir = this.resolveDir(parentParts, true) ?? [];
      this.markWritten(dir);
      this.makeOpaque(dir);
      return;
    }
    if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return; // other AUFS metadata (.wh..wh.plnk, ...)
    const victim = base.slice(WHITEOUT.length);
    if (victim === '' || victim === '.' || victim === '..') return;
    const dir = this.resolveDir(parentParts, false);
    if (!dir) return;
    const rel = [...dir, victim];
    // A whiteout hides lower layers only, never what this same layer wrote.
    if (this.written.has(rel.join('/'))) return;
    this.remove(rel);
  }

  /** Delete everything under `dir` that this layer did not write. */
  private makeOpaque(dir: readonly string[]): void {
    for (const name of readdirSync(this.abs(dir))) {
      const child = [...dir, name];
      if (!this.keep.has(child.join('/'))) this.remove(child);
      else if (lstatOrNull(this.abs(child))?.isDirectory()) this.makeOpaque(child);
    }
  }

  private directory(parts: readonly string[], entry: ReadEntry): void {
    const meta: DirMeta = { mode: entry.mode ?? 0o755, mtime: entry.mtime, atime: entry.atime };
    if (parts.length === 0) {
      this.dirMeta.set('', meta);
      return;
    }
    const rel = this.place(parts);
    const p = this.abs(rel);
    const st = lstatOrNull(p);
    if (!st?.isDirectory()) {
      // Replace a file or symlink (e.g. `lib -> usr/lib`) by a real directory, as Docker does.
      if (st) this.remove(rel);
      mkdirSync(p, { mode: 0o755 });
    }
    this.dirMeta.set(rel.join('/'), meta);
    this.markWritten(rel);
  }

  private file(parts: readonly string[], entry: ReadEntry, guard: Guard): void {
    if (parts.length === 0)
      throw new TwError(`${this.where}: entry "${entry.path}" would replace the root directory with a file`, `the image is malformed; ${VALID_INPUT}`);
    const rel = this.place(parts);
    const p = this.abs(rel);
    this.remove(rel);
    const fd = openSync(p, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
    this.openFd = fd;
    this.markWritten(rel);
    const mode = entry.mode ?? 0o644;
    const mtime = entry.mtime;
    const atime = entry.atime ?? mtime;
    entry.on(
      'end',
      guard(() => {
        fchmodSync(fd, mode);
        if (mtime) futimesSync(fd, atime ?? mtime, mtime);
        closeSync(fd);
        this.openFd = null;
      }),
    );
    entry.on(
      'data',
      guard((chunk: Buffer) => writeAll(fd, chunk)),
    );
  }

  private symlink(parts: readonly string[], entry: ReadEntry): void {
    if (parts.length === 0 || !entry.linkpath) {
      throw new TwError(`${this.where}: symlink entry "${entry.path}" is invalid`, `the image is malformed; ${VALID_INPUT}`);
    }
    const rel = this.place(parts);
    const p = this.abs(rel);
    this.remove(rel);
    // The target is stored as is; it is only ever interpreted inside the sandbox.
    symlinkSync(entry.linkpath, p);
    if (entry.mtime) {
      try {
        lutimesSync(p, entry.atime ?? entry.mtime, entry.mtime);
      } catch {
        // Some filesystems cannot set symlink times; not worth failing the unpack.
      }
    }
    this.markWritten(rel);
  }

  private hardlink(parts: readonly string[], entry: ReadEntry): void {
    const target = entry.linkpath ? splitEntryPath(entry.linkpath) : null;
    const tname = target?.[target.length - 1];
    if (parts.length === 0 || target === null || tname === undefined) {
      throw new TwError(
        `${this.where}: hard link "${entry.path}" -> "${entry.linkpath ?? ''}" points outside the root tree`,
        `refusing to unpack an unsafe (path-traversal) image; ${VALID_INPUT}`,
      );
    }
    const tparent = this.resolveDir(target.slice(0, -1), false);
    const trel = tparent ? [...tparent, tname] : null;
    const tst = trel ? lstatOrNull(this.abs(trel)) : undefined;
    if (!trel || !tst || tst.isDirectory()) {
      throw new TwError(
        `${this.where}: hard link "${entry.path}" -> "${entry.linkpath ?? ''}": ${tst ? 'the target is a directory' : 'the target is not in the tree'}`,
        `the image is malformed; ${VALID_INPUT}`,
      );
    }
    const rel = this.place(parts);
    const p = this.abs(rel);
    const st = lstatOrNull(p);
    if (!(st && st.ino === tst.ino && st.dev === tst.dev)) {
      this.remove(rel);
      linkSync(this.abs(trel), p);
    }
    this.markWritten(rel);
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup

/** rm -rf that also copes with directories left without owner write/execute permission. */
function forceRemove(p: string): void {
  try {
    rmSync(p, { recursive: true, force: true });
  } catch {
    makeOwnerWritable(p);
    rmSync(p, { recursive: true, force: true });
  }
}

function makeOwnerWritable(p: string): void {
  const st = lstatOrNull(p);
  if (!st?.isDirectory()) return;
  chmodSync(p, (st.mode & 0o7777) | 0o700);
  for (const name of readdirSync(p)) makeOwnerWritable(join(p, name));
}

/** Remove everything inside `dir`, keeping `dir` itself. */
function emptyDir(dir: string): void {
  const st = lstatOrNull(dir);
  if (!st?.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) chmodSync(dir, (st.mode & 0o7777) | 0o700);
  for (const name of readdirSync(dir)) forceRemove(join(dir, name));
}
