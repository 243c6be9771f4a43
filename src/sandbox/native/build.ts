/**
 * The sandbox's two small C programs, built with the host's C compiler (scripts/setup.sh installs
 * gcc): the determinism layer (twdet.c, a shared library preloaded in every image) and the
 * launcher (twlaunch.c, run on the host for every session start). Written in C because each must
 * run inside or before every process of a session, where Node cannot be.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TwError } from '../../core/errors.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const TWDET_SRC = join(HERE, 'twdet.c');
export const TWLAUNCH_SRC = join(HERE, 'twlaunch.c');

export function compileC(src: string, out: string, flags: string[]): void {
  try {
    execFileSync('cc', ['-O2', '-Wall', '-Werror', ...flags, '-o', out, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') throw new TwError(`no C compiler (cc) to build ${src}`, 'install one: apt-get install gcc libc6-dev (scripts/setup.sh does it)');
    throw new TwError(
      `could not compile ${src}:\n${err.stderr?.toString().trim() ?? String(e)}`,
      'this is a bug for this C library: report it with the compiler output',
    );
  }
}

/** Compile the determinism layer (`defines`: e.g. CLOCK_PATH for tests). */
export function compileTwdet(out: string, defines: string[] = []): void {
  compileC(TWDET_SRC, out, ['-fPIC', '-shared', ...defines.map((d) => `-D${d}`)]);
}

let launcher: string | null = null;
/** The launcher binary for this source, built into `cacheDir` on first use. */
export function launcherPath(cacheDir: string): string {
  if (launcher && existsSync(launcher)) return launcher;
  const hash = createHash('sha256').update(readFileSync(TWLAUNCH_SRC)).digest('hex').slice(0, 16);
  const out = join(cacheDir, 'bin', `twlaunch-${hash}`);
  if (!existsSync(out)) {
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    compileC(TWLAUNCH_SRC, tmp, []);
    renameSync(tmp, out);
  }
  launcher = out;
  return out;
}
