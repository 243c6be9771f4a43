/**
 * Test helper: a small root tree copied from the host's own binaries (bash, sh, coreutils bits,
 * stty and their libraries) and packed as a `docker save` tarball, so image tests need no registry
 * and no network. Only for machines whose binaries are glibc-based (CI: Debian).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { create as tarCreate } from 'tar';

const BINARIES = ['bash', 'sh', 'cat', 'ls', 'mkdir', 'stty', 'rm', 'env', 'grep', 'touch', 'date', 'stat'];

function which(b: string): string {
  return execFileSync('sh', ['-c', `command -v ${b}`], { encoding: 'utf8' }).trim();
}

/** Host libraries a binary loads (ldd), as absolute paths. */
function libs(bin: string): string[] {
  const out = execFileSync('ldd', [bin], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] ?? '').filter((p) => p !== '');
}

/** A minimal root tree in a new temporary folder. */
export function tinyRootTree(): string {
  const root = mkdtempSync(join(os.tmpdir(), 'tw-tiny-root-'));
  for (const d of ['bin', 'usr/bin', 'root', 'tmp', 'etc', 'lib64']) mkdirSync(join(root, d), { recursive: true });
  const copy = (p: string): void => {
    const to = join(root, p);
    if (existsSync(to)) return;
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(realpathSync(p), to);
  };
  for (const b of BINARIES) {
    const p = which(b);
    copy(p);
    const inBin = join(root, 'bin', b);
    if (!existsSync(inBin)) copyFileSync(realpathSync(p), inBin);
    for (const l of libs(p)) copy(l);
  }
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  return root;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** `docker save` layout of one layer holding `tree`, with `env` and `workdir` in its config. */
export async function dockerSaveOf(tree: string, out: string, config: { env?: string[]; workdir?: string } = {}): Promise<string> {
  const work = mkdtempSync(join(os.tmpdir(), 'tw-tiny-save-'));
  const layerFile = join(work, 'layer.tar');
  await tarCreate({ cwd: tree, file: layerFile, portable: true }, readdirSync(tree));
  const layer = readFileSync(layerFile);
  const cfg = Buffer.from(
    JSON.stringify({
      os: 'linux',
      architecture: 'amd64',
      config: { Env: config.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: config.workdir ?? '' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] },
    }),
  );
  const dir = join(work, 'img');
  mkdirSync(join(dir, 'l0'), { recursive: true });
  writeFileSync(join(dir, 'l0', 'layer.tar'), layer);
  writeFileSync(join(dir, `${sha256(cfg)}.json`), cfg);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `${sha256(cfg)}.json`, RepoTags: ['tiny:latest'], Layers: ['l0/layer.tar'] }]));
  await tarCreate({ cwd: dir, file: out, portable: true }, readdirSync(dir));
  return out;
}
