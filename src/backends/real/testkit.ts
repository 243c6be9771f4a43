/**
 * Test helpers for suites that need the real sandbox. `sandboxSkipReason` is null when this
 * machine can run it (root, namespaces, overlay, a current root tree: CI after setup.sh),
 * otherwise the reason, used in named skips.
 */
import type { SessionSpec, Terminal, Turn } from '../../core/terminal.js';
import { preflight } from '../../sandbox/preflight.js';
import { requireRootfs } from '../../sandbox/rootfs.js';
import { realBackend } from './index.js';

function reason(): string | null {
  try {
    preflight();
    requireRootfs();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export const sandboxSkipReason: string | null = reason();
export const noSandbox = sandboxSkipReason !== null;

export async function withSession<T>(spec: SessionSpec, fn: (t: Terminal) => Promise<T>): Promise<T> {
  const t = await realBackend.start(spec);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

/** Run commands in one fresh session; returns the turns. */
export async function runAll(cmds: string[], spec: SessionSpec = {}): Promise<Turn[]> {
  return withSession(spec, async (t) => {
    const out: Turn[] = [];
    for (const c of cmds) out.push(await t.run(c));
    return out;
  });
}

export function text(t: Turn | undefined): string {
  return t ? t.output.toString('utf8') : '<no turn>';
}

/**
 * Sandbox tests skip, naming the reason, where the sandbox cannot run; where the sandbox is
 * required (`flag`: TW_REQUIRE_SANDBOX set, test/sandbox.setup.ts) that would turn the run green
 * with the sandbox untested, so there it is an error instead.
 */
export function ciSandboxCheck(flag: string | undefined, skipReason: string | null): void {
  if (flag === undefined || flag === '' || flag === 'false' || flag === '0' || skipReason === null) return;
  throw new Error(`TW_REQUIRE_SANDBOX is set but the sandbox cannot run here, so every sandbox and security test would be skipped: ${skipReason}\nfix: run scripts/setup.sh as root on a machine with user namespaces and overlayfs (or unset TW_REQUIRE_SANDBOX to let those tests skip)`);
}
