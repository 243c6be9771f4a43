import { afterEach, describe, expect, it, vi } from 'vitest';
import { TwError } from '../core/errors.js';
import { preflight } from './preflight.js';

// Simulates an unprivileged container: creating a mount namespace fails.
vi.mock('node:child_process', () => ({
  execFileSync: (cmd: string) => {
    if (cmd === 'unshare') throw Object.assign(new Error('failed'), { stderr: 'unshare: unshare failed: Operation not permitted' });
    return Buffer.alloc(0);
  },
}));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('preflight', () => {
  it('refuses to run when not root, naming the problem and the fix (never falls back to the host)', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    let err: unknown;
    try {
      preflight();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TwError);
    expect((err as TwError).format()).toMatch(/needs root[\s\S]*fix: run as root/);
  });

  it('refuses non-Linux platforms', () => {
    const saved = Object.getOwnPropertyDescriptor(process, 'platform');
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    try {
      expect(() => preflight()).toThrow(/needs Linux \(this is darwin\)/);
    } finally {
      if (saved) Object.defineProperty(process, 'platform', saved);
    }
  });

  // Needs a machine where root, bwrap and overlay are present (the mocked unshare is what fails).
  it.skipIf(process.getuid?.() !== 0)('explains a missing mount namespace (unprivileged container)', () => {
    expect(() => preflight()).toThrow(
      /cannot create a mount namespace \(unshare: unshare failed: Operation not permitted\): this looks like an unprivileged container/,
    );
  });
});
