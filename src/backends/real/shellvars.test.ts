import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { diffShellVars, readShellVars, VOLATILE_VARIABLES, type ShellVars } from './shellvars.js';

const isRoot = process.getuid?.() === 0;
const bashVersion = spawnSync('bash', ['-c', 'echo "$BASH_VERSION"'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const aslr = (() => {
  try {
    return readFileSync('/proc/sys/kernel/randomize_va_space', 'utf8').trim() !== '0';
  } catch {
    return false;
  }
})();
const skipReason = !isRoot
  ? "not root: reading another process's memory needs ptrace rights over it"
  : !bashVersion.startsWith('5.2.')
    ? `bash here is ${bashVersion || 'missing'}, not 5.2`
    : process.arch !== 'x64'
      ? `layouts are x86_64's, this is ${process.arch}`
      : null;
const named = (title: string): string => (skipReason ? `${title} (skipped: ${skipReason})` : title);

const running: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.kill('SIGKILL');
});

/** A bash reading commands from a pipe, in a plain environment, in /. */
function startBash(): ChildProcessWithoutNullStreams {
  const c = spawn('bash', ['--norc', '--noprofile', '-s'], { cwd: '/', env: { PATH: '/usr/bin:/bin', HOME: '/root' } });
  running.push(c);
  return c;
}

/** Runs commands, then waits until bash printed `marker` and sits in read(2) on its stdin again. */
async function run(c: ChildProcessWithoutNullStreams, commands: string, marker: string): Promise<void> {
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes(marker)) {
        c.stdout.off('data', onData);
        resolve();
      }
    };
    c.stdout.on('data', onData);
    c.once('exit', () => reject(new Error(`bash exited: ${out}`)));
    c.stdin.write(`${commands}\necho ${marker}\n`);
  });
  for (let i = 0; i < 200; i++) {
    // x86_64: syscall 0 is read; the first argument is the descriptor.
    const sc = readFileSync(`/proc/${c.pid}/syscall`, 'latin1').split(' ');
    if (sc[0] === '0' && sc[1] === '0x0') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('bash did not go back to reading its input');
}

describe.skipIf(skipReason !== null)('readShellVars on a live bash 5.2', () => {
  it(named(`reads variables with their flags, arrays, function names and aliases${aslr ? ' (ASLR on: PIE base from /proc/PID/maps)' : ''}`), async () => {
    const c = startBash();
    await run(
      c,
      'x=hello; export Y=2; readonly R=ro; declare z; f(){ :; }; shopt -s expand_aliases; alias ll="ls -l"; declare -a arr=(1 2); declare -A as=([k]=v); n="two words\nand a line"; __proto__=p',
      'READY',
    );
    const v = readShellVars(c.pid ?? -1);
    expect(v).not.toBeNull();
    if (!v) return;
    expect(v.variables['x']).toEqual({ value: 'hello', exported: false, readonly: false });
    expect(v.variables['Y']).toEqual({ value: '2', exported: true, readonly: false });
    expect(v.variables['R']).toEqual({ value: 'ro', exported: false, readonly: true });
    expect(v.variables['arr']).toEqual({ value: null, exported: false, readonly: false, array: true });
    expect(v.variables['as']).toEqual({ value: null, exported: false, readonly: false, array: true });
    expect(v.variables['n']?.value).toBe('two words\nand a line'); // a newline inside the quotes
    // biome-ignore lint/suspicious/noProto: a bash variable named __proto__, read as a plain key on purpose
    expect(v.variables['__proto__']).toEqual({ value: 'p', exported: false, readonly: false });
    expect(Object.keys(v.variables)).not.toContain('z'); // declared, never given a value
    // From the environment, and bash's own.
    expect(v.variables['HOME']).toEqual({ value: '/root', exported: true, readonly: false });
    expect(v.variables['PWD']?.value).toBe('/');
    expect(v.variables['BASH_VERSION']?.value).toBe(bashVersion);
    expect(v.variables['SHELLOPTS']).toMatchObject({ readonly: true });
    for (const name of VOLATILE_VARIABLES) expect(Object.keys(v.variables)).not.toContain(name);
    expect(v.functions).toEqual(['f']);
    expect(v.aliases).toEqual({ ll: 'ls -l' });
    expect(Object.keys(v.variables)).toEqual([...Object.keys(v.variables)].sort());
  });

  it(named("sees a function's local variable over the global one, and the globals below it"), async () => {
    // Stopped inside f: shell_variables is f's scope, whose `down` leads to the global one.
    const c = spawn('bash', ['--norc', '--noprofile', '-c', 'x=global; g=1; f(){ local x=inner; kill -STOP $$; }; f'], { env: { PATH: '/usr/bin:/bin' } });
    running.push(c);
    for (let i = 0; i < 400 && !/^State:\s+T/m.test(readFileSync(`/proc/${c.pid}/status`, 'latin1')); i++) await new Promise((r) => setTimeout(r, 5));
    const v = readShellVars(c.pid ?? -1);
    expect(v?.variables['x']?.value).toBe('inner');
    expect(v?.variables['g']?.value).toBe('1');
    expect(v?.functions).toEqual(['f']);
  });

  const setarch = spawnSync('setarch', ['-R', 'true']).status === 0;
  it.skipIf(!setarch)(named(`reads a bash started with ASLR off, as the sandbox starts it${setarch ? '' : ' (skipped: no setarch -R here)'}`), async () => {
    const c = spawn('setarch', ['-R', 'bash', '--norc', '--noprofile', '-c', 'v=fixed; kill -STOP $$'], { env: { PATH: '/usr/bin:/bin' } });
    running.push(c);
    for (let i = 0; i < 400 && !/^State:\s+T/m.test(readFileSync(`/proc/${c.pid}/status`, 'latin1')); i++) await new Promise((r) => setTimeout(r, 5));
    expect(readFileSync(`/proc/${c.pid}/personality`, 'latin1').trim()).toBe('00040000'); // ADDR_NO_RANDOMIZE
    expect(readShellVars(c.pid ?? -1)?.variables['v']?.value).toBe('fixed');
  });

  it(named('diffs two readings of the same shell'), async () => {
    const c = startBash();
    await run(c, "x=1; export E=e; alias a1='echo 1'; f(){ :; }; declare -a arr=(1); keep=k", 'ONE');
    const a = readShellVars(c.pid ?? -1);
    await run(c, 'x=2; export x; unset E; unalias a1; alias a2=two; unset -f f; g(){ :; }; arr+=(2); cd /tmp; echo hi >/dev/null', 'TWO');
    const b = readShellVars(c.pid ?? -1);
    expect(a && b).toBeTruthy();
    if (!a || !b) return;
    expect(diffShellVars(a, b)).toEqual({
      set: { OLDPWD: '/', PWD: '/tmp', x: '2' },
      unset: ['E'],
      attributes: { OLDPWD: { exported: true, readonly: false }, x: { exported: true, readonly: false } },
      functions: { added: ['g'], removed: ['f'] },
      aliases: { set: { a2: 'two' }, unset: ['a1'] },
    });
    expect(diffShellVars(b, b)).toEqual({ set: {}, unset: [], attributes: {}, functions: { added: [], removed: [] }, aliases: { set: {}, unset: [] } });
  });

  it(named('gives null for a process that is not bash'), async () => {
    const c = spawn('sleep', ['30']);
    running.push(c);
    await new Promise((r) => setTimeout(r, 50));
    expect(readShellVars(c.pid ?? -1)).toBeNull();
    expect(readShellVars(2 ** 22 + 12345)).toBeNull(); // no such process
  });
});

describe('diffShellVars', () => {
  const vars = (v: ShellVars['variables'], functions: string[] = [], aliases: ShellVars['aliases'] = {}): ShellVars => ({ variables: v, functions, aliases });
  it('reports arrays only when they appear, go or change kind, and names like constructor as plain keys', () => {
    const a = vars({ arr: { value: null, exported: false, readonly: false, array: true }, s: { value: 'x', exported: false, readonly: false } });
    const b = vars(
      {
        arr: { value: null, exported: false, readonly: false, array: true },
        s: { value: null, exported: false, readonly: false, array: true },
        constructor: { value: 'c', exported: false, readonly: false },
      },
      ['toString'],
      { valueOf: 'v' },
    );
    expect(diffShellVars(a, b)).toEqual({
      set: { constructor: 'c', s: null },
      unset: [],
      attributes: {},
      functions: { added: ['toString'], removed: [] },
      aliases: { set: { valueOf: 'v' }, unset: [] },
    });
  });
});
