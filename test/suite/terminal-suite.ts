/**
 * The shared Terminal conformance suite: behaviours every backend must show. Each backend's test file
 * calls it with a factory and names what it skips, with the reason:
 *
 *   runTerminalSuite({ name: 'justbash', make: (spec) => justbashBackend.start(spec),
 *                      skip: { 'pty: stdout and stderr interleave in order': 'just-bash returns them apart' } });
 */
import { describe, expect, it } from 'vitest';
import type { SessionSpec, Terminal, Turn } from '../../src/core/terminal.js';

export interface SuiteOptions {
  name: string;
  make: (spec: SessionSpec) => Promise<Terminal>;
  /** Case name -> why this backend cannot show that behaviour. */
  skip?: Record<string, string>;
}

type Case = [name: string, fn: (make: SuiteOptions['make']) => Promise<void>];

const text = (t: Turn): string => t.output.toString('utf8');

async function session<T>(make: SuiteOptions['make'], spec: SessionSpec, fn: (t: Terminal) => Promise<T>): Promise<T> {
  const t = await make(spec);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}
const pipe = (make: SuiteOptions['make'], fn: (t: Terminal) => Promise<void>): Promise<void> => session(make, { mode: 'pipe' }, fn);

export const CASES: Case[] = [
  [
    'info names the backend and the mode',
    async (make) => {
      await session(make, { mode: 'pipe' }, async (t) => {
        expect(typeof t.info.backend).toBe('string');
        expect(t.info.mode).toBe('pipe');
        expect(t.dead).toBe(false);
      });
    },
  ],
  [
    'a command with no output gives empty bytes and exit 0',
    async (make) => {
      await pipe(make, async (t) => {
        const r = await t.run('true');
        expect(r.output.length).toBe(0);
        expect(r.exit).toBe(0);
        expect(r.cmd).toBe('true');
      });
    },
  ],
  [
    'stdout bytes are exact (pipe mode)',
    async (make) => {
      await pipe(make, async (t) => {
        const r = await t.run("printf 'a\\tb\\n  c\\n'");
        expect(r.output.equals(Buffer.from('a\tb\n  c\n'))).toBe(true);
      });
    },
  ],
  [
    'exit codes: false, (exit 42), command not found, syntax error',
    async (make) => {
      await pipe(make, async (t) => {
        expect((await t.run('false')).exit).toBe(1);
        expect((await t.run('(exit 42)')).exit).toBe(42);
        expect((await t.run('no-such-command-xyz')).exit).toBe(127);
        expect((await t.run('if then fi')).exit).toBe(2);
        expect(text(await t.run('echo alive'))).toBe('alive\n');
      });
    },
  ],
  [
    '$? carries over to the next command',
    async (make) => {
      await pipe(make, async (t) => {
        await t.run('(exit 7)');
        expect(text(await t.run('echo $?'))).toBe('7\n');
      });
    },
  ],
  [
    'cwd persists across commands and is reported',
    async (make) => {
      await pipe(make, async (t) => {
        const a = await t.run('mkdir -p /tmp/suite/d && cd /tmp/suite/d');
        expect(a.cwd).toBe('/tmp/suite/d');
        expect(text(await t.run('pwd'))).toBe('/tmp/suite/d\n');
      });
    },
  ],
  [
    'shell variables persist; only exported ones reach a child',
    async (make) => {
      await pipe(make, async (t) => {
        await t.run('PLAIN=p; export EXP=e');
        expect(text(await t.run('echo "$PLAIN $EXP"'))).toBe('p e\n');
        expect(text(await t.run('bash -c \'echo "[$PLAIN] [$EXP]"\''))).toBe('[] [e]\n');
      });
    },
  ],
  [
    'functions persist across commands',
    async (make) => {
      await pipe(make, async (t) => {
        await t.run('twice() { echo "$1$1"; }');
        expect(text(await t.run('twice ab'))).toBe('abab\n');
      });
    },
  ],
  [
    'files persist within a session',
    async (make) => {
      await pipe(make, async (t) => {
        await t.run('echo kept > /tmp/suite-file');
        expect(text(await t.run('cat /tmp/suite-file'))).toBe('kept\n');
      });
    },
  ],
  [
    'sessions are isolated from each other',
    async (make) => {
      await pipe(make, async (t) => {
        await t.run('echo mine > /tmp/isolated-file');
      });
      await pipe(make, async (t) => {
        expect((await t.run('test -e /tmp/isolated-file')).exit).toBe(1);
      });
    },
  ],
  [
    'pipe mode keeps stderr apart',
    async (make) => {
      await pipe(make, async (t) => {
        const r = await t.run('echo out; ls /definitely/missing');
        expect(text(r)).toBe('out\n');
        expect(r.stderr?.toString('utf8')).toMatch(/definitely\/missing/);
        expect(r.exit).toBe(2);
      });
    },
  ],
  [
    'pty mode merges stderr and ends lines with CRLF',
    async (make) => {
      await session(make, { mode: 'pty' }, async (t) => {
        const r = await t.run('echo out; ls /definitely/missing');
        expect(text(r)).toMatch(/^out\r\n.*definitely\/missing.*\r\n$/s);
        expect(r.stderr).toBeUndefined();
      });
    },
  ],
  [
    'pty: stdout and stderr interleave in order',
    async (make) => {
      await session(make, { mode: 'pty' }, async (t) => {
        expect(text(await t.run('echo a; echo b >&2; echo c'))).toBe('a\r\nb\r\nc\r\n');
      });
    },
  ],
  [
    'setup commands run first and are not turns',
    async (make) => {
      await session(make, { mode: 'pipe', setup: ['SETUP_VAR=from-setup', 'cd /tmp'] }, async (t) => {
        expect(text(await t.run('echo $SETUP_VAR; pwd'))).toBe('from-setup\n/tmp\n');
      });
    },
  ],
  [
    'a multi-line command (heredoc) runs as one turn',
    async (make) => {
      await pipe(make, async (t) => {
        expect(text(await t.run("cat <<'EOF'\nline $1\nEOF"))).toBe('line $1\n');
      });
    },
  ],
  [
    'a command reading stdin does not hang',
    async (make) => {
      await pipe(make, async (t) => {
        const r = await t.run('cat', { timeoutMs: 3000 });
        expect(r.ms).toBeLessThan(10_000);
        expect(text(await t.run('echo next'))).toBe('next\n');
      });
    },
  ],
  [
    'a command past its timeout is stopped and the session goes on',
    async (make) => {
      await session(make, { mode: 'pipe', timeoutMs: 500 }, async (t) => {
        const r = await t.run('sleep 20');
        expect(r.timedOut).toBe(true);
        expect(r.exit).not.toBe(0);
        expect(text(await t.run('echo after'))).toBe('after\n');
      });
    },
  ],
  [
    'output over the cap is truncated and flagged',
    async (make) => {
      await session(make, { mode: 'pipe', maxOutputBytes: 1000 }, async (t) => {
        const r = await t.run('seq 1 100000');
        expect(r.truncated).toBe(true);
        expect(r.output.length).toBeLessThan(2000);
      });
    },
  ],
  [
    'onOutput chunks arrive before run resolves and concatenate to the output',
    async (make) => {
      await session(make, { mode: 'pty' }, async (t) => {
        for (const cmd of ['echo one; echo two >&2', 'true', "printf 'caf\\xc3\\xa9 %s\\n' ok"]) {
          const chunks: Buffer[] = [];
          let resolved = false;
          const p = t.run(cmd, {
            onOutput: (c) => {
              expect(resolved).toBe(false);
              chunks.push(Buffer.from(c));
            },
          });
          const r = await p.then((x) => {
            resolved = true;
            return x;
          });
          expect(Buffer.concat(chunks).equals(r.output)).toBe(true);
          if (r.output.length === 0) expect(chunks.length).toBe(0);
        }
      });
    },
  ],
  [
    'close resolves',
    async (make) => {
      const t = await make({ mode: 'pipe' });
      await expect(t.close()).resolves.toBeUndefined();
    },
  ],
];

export const CASE_NAMES: readonly string[] = CASES.map(([n]) => n);

export function runTerminalSuite(opts: SuiteOptions): void {
  const skip = opts.skip ?? {};
  for (const name of Object.keys(skip)) if (!CASE_NAMES.includes(name)) throw new Error(`${opts.name}: skip names an unknown case "${name}"`);
  describe(`Terminal suite: ${opts.name}`, () => {
    for (const [name, fn] of CASES) {
      const reason = skip[name];
      // Named skip: the reason is part of the test's name, so reports show why.
      if (reason) it.skip(`${name} [skipped: ${reason}]`, () => undefined);
      else it(name, () => fn(opts.make));
    }
  });
}
