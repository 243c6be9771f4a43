/**
 * No visible seams: what a session can see of its own machine must not reveal the sandbox's
 * machinery (determinism variables, our files at /, bwrap's command line, host paths, the host's
 * name or resolver). Needs the sandbox; skipped with the reason elsewhere.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cacheRoot } from '../../sandbox/rootfs.js';
import { noSandbox, runAll, text } from './testkit.js';

const VIEWS = [
  'printenv',
  'ls -la /',
  "tr '\\0' ' ' < /proc/1/cmdline; echo",
  'mount',
  'cat /proc/self/status',
  "cat /proc/self/environ | tr '\\0' '\\n'",
  'cat /etc/resolv.conf /etc/hostname /etc/hosts',
  'ps -e -o pid,args',
];

function hostNameservers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined && x !== '127.0.0.1');
  } catch {
    return [];
  }
}

/** Traces of the tools or of the host that no plain container shows. */
function traces(): (string | RegExp)[] {
  return [
    /LD_PRELOAD|FAKETIME|FAKERANDOM|PYTHONHASHSEED|faketime/i,
    /bwrap|bubblewrap|unshare|setarch/,
    /tw-sbx|tw-root|tw-upper|\.tw-rootfs|terminalworld|\x1etw/,
    cacheRoot(),
    process.cwd(),
    os.tmpdir(),
    os.hostname(),
    ...hostNameservers(),
  ].filter((p) => p !== '' && p !== '/');
}

describe.skipIf(noSandbox)('no visible seams (needs the sandbox)', () => {
  it('printenv, ls -la /, /proc/1/cmdline, mount, /proc/self/status, the resolver and ps show no trace of the host or the tools', async () => {
    const turns = await runAll(VIEWS);
    const found: string[] = [];
    for (const [i, t] of turns.entries()) {
      const out = text(t);
      expect(out.length, `${VIEWS[i]} printed nothing`).toBeGreaterThan(0);
      for (const p of traces()) {
        const hit = typeof p === 'string' ? out.includes(p) : p.test(out);
        if (hit) found.push(`${VIEWS[i]}: ${String(p)}\n${out}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('looks like a container: bash is PID 1 with a plain command line, the environment is a plain shell one', async () => {
    const [cmd, env] = await runAll(["tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$", 'printenv | cut -d= -f1 | sort | tr "\\n" " "']);
    expect(text(cmd)).toBe('bash \r\n1\r\n');
    expect(text(env)).toBe('HOME HOSTNAME LANG PAGER PATH PWD SHLVL TERM _ ');
  });
});
