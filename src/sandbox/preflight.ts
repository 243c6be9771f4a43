/**
 * Checks that the machine can run the sandbox at all: Linux, root, mount namespaces, overlayfs
 * and bubblewrap. Each failure is a TwError naming the problem and the fix. There is no fallback
 * to running commands on the host, ever.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { TwError } from '../core/errors.js';

let checked = false;

function which(bin: string): string | null {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (existsSync(`${dir}/${bin}`)) return `${dir}/${bin}`;
  }
  return null;
}

export function preflight(): void {
  if (checked) return;
  if (process.platform !== 'linux') {
    throw new TwError(
      `the real sandbox needs Linux (this is ${process.platform})`,
      'run on a Linux machine, or use another backend: `tw exec --backend null ...`',
    );
  }
  if (process.getuid?.() !== 0) {
    throw new TwError(
      'the real sandbox needs root: it mounts a tmpfs and an overlay in a private mount namespace before entering bubblewrap',
      'run as root (e.g. `sudo npx tw ...`), or use another backend',
    );
  }
  for (const bin of ['bwrap', 'unshare']) {
    if (!which(bin)) throw new TwError(`\`${bin}\` is not installed`, 'run `bash scripts/setup.sh` (it installs bubblewrap, debootstrap and gcc)');
  }
  const fs = readFileSync('/proc/filesystems', 'utf8');
  if (!/\boverlay\b/.test(fs)) {
    try {
      execFileSync('modprobe', ['overlay'], { stdio: 'ignore' });
    } catch {
      /* checked again below */
    }
    if (!/\boverlay\b/.test(readFileSync('/proc/filesystems', 'utf8'))) {
      throw new TwError('the kernel has no overlay filesystem', 'load it with `modprobe overlay` (or run on a kernel with CONFIG_OVERLAY_FS)');
    }
  }
  try {
    execFileSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'pipe' });
  } catch (e) {
    const msg = e instanceof Error && 'stderr' in e ? String((e as { stderr: unknown }).stderr).trim() : String(e);
    throw new TwError(
      `cannot create a mount namespace (${msg}): this looks like an unprivileged container`,
      'run on a host or VM as root, or give the container CAP_SYS_ADMIN (e.g. docker --privileged); the sandbox never falls back to the host',
    );
  }
  try {
    execFileSync('bwrap', ['--unshare-all', '--ro-bind', '/', '/', '--cap-drop', 'ALL', 'true'], { stdio: 'pipe' });
  } catch (e) {
    const msg = e instanceof Error && 'stderr' in e ? String((e as { stderr: unknown }).stderr).trim() : String(e);
    throw new TwError(
      `bubblewrap cannot create namespaces (${msg})`,
      'enable user/PID/network namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0) or run as root on a host or VM',
    );
  }
  checked = true;
}
