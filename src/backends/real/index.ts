/**
 * The `real` backend: a persistent interactive bash in a bubblewrap sandbox over an overlay
 * of the cached Debian root tree. See docs/sandbox.md.
 */
import { TwError } from '../../core/errors.js';
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_MS,
  MODES,
  type Backend,
  type DeterminismSettings,
  type SessionSpec,
  type Terminal,
} from '../../core/terminal.js';
import { buildLaunch, hostRootFor, hostUpperFor, DEFAULT_LIMITS, DEFAULT_TURN_SECONDS, type Limits } from '../../sandbox/launch.js';
import { preflight } from '../../sandbox/preflight.js';
import { requireRootfs } from '../../sandbox/rootfs.js';
import { DEFAULT_IMAGE, resolveImage } from '../../sandbox/image/build.js';
import { poolFor } from './pool.js';
import { validateCommand } from './protocol.js';
import { RealSession } from './session.js';

export const DEFAULT_CLOCK_START = '2026-01-01 00:00:00';
export const DEFAULT_SEED = 0;
/** Seconds the fake clock advances per clock read within a process: deterministic time. */
export const DEFAULT_CLOCK_STEP = 0.001;

export function determinismFor(spec: SessionSpec): DeterminismSettings {
  const o = spec.options ?? {};
  return {
    enabled: spec.deterministic ?? true,
    clockStart: typeof o.clockStart === 'string' ? o.clockStart : DEFAULT_CLOCK_START,
    clockRate: typeof o.clockRate === 'number' ? o.clockRate : 1,
    clockStep: typeof o.clockStep === 'number' ? o.clockStep : DEFAULT_CLOCK_STEP,
    turnSeconds: typeof o.turnSeconds === 'number' ? o.turnSeconds : DEFAULT_TURN_SECONDS,
    seed: spec.seed ?? DEFAULT_SEED,
  };
}

function limitsFor(spec: SessionSpec): Limits {
  const o = spec.options ?? {};
  const num = (k: string, d: number): number => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? o[k] : d);
  return {
    diskBytes: num('diskBytes', DEFAULT_LIMITS.diskBytes),
    maxProcs: num('maxProcs', DEFAULT_LIMITS.maxProcs),
    memBytes: num('memBytes', DEFAULT_LIMITS.memBytes),
    cpuCores: num('cpuCores', DEFAULT_LIMITS.cpuCores),
  };
}

export const realBackend: Backend = {
  name: 'real',
  description: 'a real bash in a bubblewrap sandbox over a Debian bookworm root tree (the oracle)',
  async start(spec: SessionSpec): Promise<Terminal> {
    const pool = spec.options?.pool;
    if (typeof pool === 'number' && pool > 0) {
      checkSpec(spec);
      return poolFor(spec, Math.floor(pool), startFresh).acquire();
    }
    return startFresh(spec);
  },
};

function imageRef(spec: SessionSpec): string | undefined {
  const i = spec.options?.image;
  if (i === undefined) return undefined;
  if (typeof i !== 'string') throw new TwError('options.image must be a string', `use "${DEFAULT_IMAGE}", a manifest file or an OCI tarball`);
  return i;
}

function checkSpec(spec: SessionSpec): void {
  const mode = spec.mode ?? 'pty';
  if (!MODES.includes(mode)) throw new TwError(`unknown mode "${String(mode)}"`, `use one of: ${MODES.join(', ')}`);
  for (const c of spec.setup ?? []) validateCommand(c);
  preflight();
  if (imageRef(spec) === undefined) requireRootfs();
}

async function startFresh(spec: SessionSpec): Promise<Terminal> {
  checkSpec(spec);
  const mode = spec.mode ?? 'pty';
  const rootfs = await resolveImage(imageRef(spec));
  const determinism = determinismFor(spec);
  const limits = limitsFor(spec);
  const cols = spec.cols ?? 80;
  const rows = spec.rows ?? 24;
  const launch = buildLaunch({ rootfs, mode, determinism, cols, rows, limits });
  const session = new RealSession({
    file: launch.file,
    args: launch.args,
    env: launch.env,
    mode,
    fifos: launch.fifos,
    cols,
    rows,
    seed: determinism.seed,
    deterministic: determinism.enabled,
    timeoutMs: spec.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxOutputBytes: spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    info: {
      backend: 'real',
      mode,
      image: { id: rootfs.stamp.id, version: String(rootfs.stamp.version) },
      determinism,
      limits: { ...limits, pidsCgroup: launch.cgroups.pids, memoryCgroup: launch.cgroups.memory, cpuCgroup: launch.cgroups.cpu },
    },
    hostRoot: (pid) => hostRootFor(launch, pid),
    clock: determinism.enabled,
    state: spec.options?.recordState === true ? { hostUpper: (pid) => hostUpperFor(launch, pid), lowerDir: rootfs.dir } : null,
    cleanup: launch.cleanup,
  });
  // Join the session's cgroups while it starts (see src/sandbox/cgroup.ts), then make sure
  // every process is inside before the first command.
  const first = session.hostPids()[0];
  const attached = first === undefined ? Promise.resolve() : launch.cgroups.attach(first);
  attached.catch(() => undefined);
  await session.init(10_000);
  try {
    await attached;
    await launch.cgroups.ensure(session.hostPids());
  } catch (e) {
    await session.close();
    throw new TwError(
      `could not put the session into its cgroups: ${(e as Error).message}`,
      'check that /sys/fs/cgroup is writable by root (`tw sandbox info`)',
    );
  }
  for (const c of spec.setup ?? []) {
    await session.run(c);
    if (session.dead) {
      const why = session.deadReason ?? 'unknown reason';
      await session.close();
      throw new TwError(`the session died during the setup command \`${c}\`: ${why}`, 'fix the setup command (it runs in the session before the first turn)');
    }
  }
  return session;
}
