/**
 * Image manifests: a small YAML (or JSON) file that defines a sandbox image beyond the default
 * workstation, built once and cached by content hash.
 *
 *   format: terminalworld.image
 *   version: 1
 *   id: data-tools                 # [a-z0-9._-]
 *   base: workstation              # debootstrap package set: workstation (default) or minbase
 *   packages: [r-base-core]        # more Debian bookworm packages
 *   oci: ./image.tar               # or: start from a local OCI / `docker save` tarball (no packages then)
 *   files:                         # written into the tree
 *     - { path: /etc/motd, content: "hello\n", mode: 0o644 }
 *   setup: ["pip install --no-index ./wheels/*"]   # run in the tree (chroot) at build time, in order
 *   env: { PIP_NO_INDEX: "1" }     # added to every session's environment
 *   workdir: /root                 # where sessions start (default: the OCI image's, else /root)
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TwError } from '../../core/errors.js';

export const IMAGE_MANIFEST_FORMAT = 'terminalworld.image';
export const IMAGE_MANIFEST_VERSION = 1;
/** Bump when building or finishing a manifest image changes: every cached one is then rebuilt. */
export const IMAGE_BUILD_VERSION = 1;

const fileSchema = z
  .object({
    path: z.string().startsWith('/', 'must be an absolute path inside the image'),
    content: z.string().optional(),
    base64: z.string().optional(),
    mode: z.number().int().min(0).max(0o7777).optional(),
  })
  .strict()
  .refine((f) => (f.content === undefined) !== (f.base64 === undefined), 'give exactly one of content or base64');

export const manifestSchema = z
  .object({
    format: z.literal(IMAGE_MANIFEST_FORMAT),
    version: z.literal(IMAGE_MANIFEST_VERSION),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, ".", "_" and "-", at most 63'),
    base: z.enum(['workstation', 'minbase']).default('workstation'),
    oci: z.string().optional(),
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'a Debian package name')).default([]),
    files: z.array(fileSchema).default([]),
    setup: z.array(z.string().min(1)).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    workdir: z.string().startsWith('/').optional(),
  })
  .strict()
  .refine((m) => m.oci === undefined || m.packages.length === 0, {
    message: 'an OCI image brings its own packages: install them in the image itself, or drop `oci` to build from Debian',
    path: ['packages'],
  });
export type ImageManifest = z.infer<typeof manifestSchema>;

/** Read and check a manifest; `oci` is resolved against the manifest's folder. */
export function loadManifest(path: string): ImageManifest {
  if (!existsSync(path)) throw new TwError(`image manifest ${path} does not exist`, 'pass the path of a .yaml or .json manifest (see docs/sandbox.md#images)');
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TwError(`image manifest ${path} is not valid YAML/JSON: ${(e as Error).message}`, 'fix the syntax');
  }
  return checkManifest(raw, path, dirname(path));
}

export function checkManifest(raw: unknown, where: string, baseDir: string): ImageManifest {
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const field = i && i.path.length > 0 ? i.path.join('.') : '(top level)';
    throw new TwError(
      `image manifest ${where}: invalid field ${field}: ${i?.message ?? 'invalid'}`,
      `see the manifest format in docs/sandbox.md#images (format: ${IMAGE_MANIFEST_FORMAT}, version: ${IMAGE_MANIFEST_VERSION})`,
    );
  }
  const m = r.data;
  if (m.oci !== undefined && !isAbsolute(m.oci)) m.oci = resolve(baseDir, m.oci);
  return m;
}

/** The manifest's content hash: what it asks for (and the OCI tarball's digest), nothing else. */
export function manifestKey(m: ImageManifest, ociDigest: string | null): string {
  const canon = JSON.stringify({ build: IMAGE_BUILD_VERSION, ...m, oci: ociDigest });
  return createHash('sha256').update(canon).digest('hex').slice(0, 16);
}
