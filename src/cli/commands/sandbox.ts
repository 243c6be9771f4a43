import type { Command } from 'commander';
import { cacheRoot, readStamp, rootfsDir, ROOTFS_ID, ROOTFS_VERSION, setupRootfs } from '../../sandbox/rootfs.js';
import { preflight } from '../../sandbox/preflight.js';
import { resolveImage } from '../../sandbox/image/build.js';
import { cgroupSupport } from '../../sandbox/cgroup.js';

export function registerSandbox(program: Command): void {
  const sb = program.command('sandbox').description('the real-shell sandbox: build and inspect its root tree');
  sb.command('setup')
    .description(`build the ${ROOTFS_ID} v${ROOTFS_VERSION} root tree with debootstrap if it is missing or stale`)
    .option('--quiet', 'print nothing unless something fails')
    .option('--force', 'rebuild even when the cached tree is current')
    .option('--mirror <url>', 'Debian mirror (default http://deb.debian.org/debian or $TW_DEBIAN_MIRROR)')
    .option('--image <file>', 'build (or find cached) another image: a manifest (.yaml/.json) or an OCI / docker-save tarball')
    .action(async (o: { quiet?: boolean; force?: boolean; mirror?: string; image?: string }) => {
      if (o.image !== undefined) {
        const img = await resolveImage(o.image, { quiet: o.quiet ?? false, ...(o.mirror ? { mirror: o.mirror } : {}) });
        if (!o.quiet) process.stdout.write(`ready: ${img.dir} (${img.stamp.id} ${img.stamp.version}, determinism ${img.stamp.determinism})\n`);
        return;
      }
      const r = await setupRootfs({ quiet: o.quiet ?? false, force: o.force ?? false, ...(o.mirror ? { mirror: o.mirror } : {}) });
      preflight();
      if (!o.quiet) process.stdout.write(`${r.built ? 'built' : 'up to date'}: ${r.dir} (${r.stamp.id} v${r.stamp.version})\n`);
    });
  sb.command('info')
    .description('show the root tree, its version and whether this machine can run the sandbox')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const dir = rootfsDir();
      const stamp = readStamp(dir);
      let ready = true;
      let problem: string | null = null;
      try {
        preflight();
      } catch (e) {
        ready = false;
        problem = e instanceof Error ? e.message : String(e);
      }
      const current = stamp !== null && stamp.version === ROOTFS_VERSION;
      const cgroups = ready ? cgroupSupport() : { pids: false, memory: false, cpu: false };
      const info = { cache: cacheRoot(), dir, expected: { id: ROOTFS_ID, version: ROOTFS_VERSION }, stamp, current, machineReady: ready, problem, cgroups };
      if (o.json) {
        process.stdout.write(JSON.stringify(info, null, 2) + '\n');
        return;
      }
      process.stdout.write(
        [
          `root tree:  ${dir}`,
          `expected:   ${ROOTFS_ID} v${ROOTFS_VERSION}`,
          `found:      ${stamp ? `${stamp.id} v${stamp.version}, built ${stamp.builtAt}` : 'none'}${stamp && !current ? ' (stale)' : ''}`,
          `packages:   ${stamp ? stamp.packages.join(' ') : '-'}`,
          `machine:    ${ready ? 'ok (root, mount namespaces, overlay, bubblewrap)' : `NOT ready: ${problem ?? ''}`}`,
          `fork limit: ${cgroups.pids ? 'per-session pids cgroup' : 'NONE (no writable pids cgroup: fork bombs are only stopped by the timeout)'}`,
          `memory:     ${cgroups.memory ? 'per-session memory cgroup + RLIMIT_AS per process' : 'RLIMIT_AS per process only (no writable memory cgroup)'}`,
          `cpu:        ${cgroups.cpu ? 'per-session cpu cgroup (default 1 core)' : 'NONE (no writable cpu cgroup)'}`,
          `determinism:${stamp ? ` ${stamp.determinism} (src/sandbox/native/twdet.c, preloaded via /etc/ld.so.preload)` : ' -'}`,
          current ? '' : 'run `npx tw sandbox setup` to build the root tree',
        ].join('\n') + '\n',
      );
    });
}
