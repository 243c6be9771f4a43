import { describe, expect, it } from 'vitest';
import { justbashBackend } from './index.js';
import { functionDefs, initialState, parseDump, prelude, SEP } from './state.js';

const dump = (decl: string[], fns: string[], aliases: string[], opts: string): string =>
  [decl.join('\n'), fns.join('\n'), aliases.join('\n'), opts].join(`\n${SEP}\n`) + '\n';

describe('just-bash state carrying: pieces', () => {
  it('collects function definitions anywhere in a command, re-serialised', () => {
    const defs = functionDefs('a() { echo "a $1"; }; if true; then function b { local x=1; echo $x; }; fi');
    expect([...defs.keys()]).toEqual(['a', 'b']);
    expect(defs.get('a')).toMatch(/^a\(\) \{ echo "a \$1"; ?\}$/);
  });

  it('throws on a syntax error (the caller then runs the command bare)', () => {
    expect(() => functionDefs('if then fi')).toThrow();
  });

  it('parses the trailer dump, dropping variables the shell manages', () => {
    const s = parseDump(
      dump(
        ['declare -- ?="0"', 'declare -x PWD="/x"', 'declare -x Y="2"', 'declare -a arr=([0]="a")', 'declare -- __tw_rc="0"', 'declare -r BASHOPTS="x"'],
        ['declare -f f'],
        ["alias ll='ls -l'"],
        'braceexpand:hashall:interactive-comments:pipefail',
      ),
      '/x',
      3,
      new Map([
        ['f', 'f() { :; }'],
        ['gone', 'gone() { :; }'],
      ]),
    );
    expect([...s.declares.keys()]).toEqual(['Y', 'arr']);
    expect([...s.functions.keys()]).toEqual(['f']);
    expect(s.aliases).toEqual(["alias ll='ls -l'"]);
    expect(s).toMatchObject({ cwd: '/x', status: 3 });
    const p = prelude(s);
    expect(p.split('\n')).toEqual([
      'shopt -s expand_aliases',
      'declare -x Y; Y="2"',
      'declare -a arr; arr=([0]="a")',
      'f() { :; }',
      "alias ll='ls -l'",
      'set -o pipefail',
      '(exit 3)',
    ]);
  });

  it('a fresh state needs only the alias option', () => {
    expect(prelude(initialState('/root'))).toBe('shopt -s expand_aliases');
  });
});

describe('just-bash terminal carries state like a terminal', () => {
  it('arrays, associative and integer variables, options, unset -f, aliases, syntax errors', async () => {
    const t = await justbashBackend.start({ mode: 'pipe', options: { python: false } });
    const out = async (c: string): Promise<string> => (await t.run(c)).output.toString();
    await t.run("arr=(x 'y z'); declare -A m=([k]=vw); declare -i n=4; set -o pipefail; alias hi='echo hi:'; g() { echo g; }");
    expect(await out('echo "${arr[1]}" "${m[k]}" $((n+1)); false | true; echo $?; hi there; g')).toBe('y z vw 5\n1\nhi: there\ng\n');
    await t.run('n+=2');
    expect(await out('echo $n')).toBe('6\n');
    await t.run('unset -f g; unalias hi');
    expect((await t.run('g')).exit).toBe(127);
    expect((await t.run('hi')).exit).toBe(127);
    const bad = await t.run('if then fi');
    expect(bad.exit).toBe(2);
    expect(await out('echo $? ${arr[0]}')).toBe('2 x\n');
    await t.close();
  });

  it('cd is reported in Turn.cwd and survives; OLDPWD follows', async () => {
    const t = await justbashBackend.start({ mode: 'pipe', setup: ['mkdir -p /tmp/a /tmp/b'] });
    expect((await t.run('cd /tmp/a')).cwd).toBe('/tmp/a');
    await t.run('cd /tmp/b');
    expect((await t.run('echo $OLDPWD; pwd')).output.toString()).toBe('/tmp/a\n/tmp/b\n');
    expect((await t.run('cd -')).output.toString()).toBe('/tmp/a\n');
  });

  it('a command stopped by its timeout leaves the cwd and variables where they were', async () => {
    const t = await justbashBackend.start({ mode: 'pipe', timeoutMs: 300, setup: ['mkdir -p /tmp/a'] });
    await t.run('cd /tmp/a; X=kept');
    const r = await t.run('sleep 20');
    expect(r.timedOut).toBe(true);
    expect(r.cwd).toBe('/tmp/a');
    expect((await t.run('pwd; echo $X')).output.toString()).toBe('/tmp/a\nkept\n');
  });

  it('functions defined in a sourced file are carried', async () => {
    const t = await justbashBackend.start({ mode: 'pipe', setup: ["printf 'lib() { echo from-lib; }\\n' > /tmp/lib.sh"] });
    await t.run('cd /tmp && source ./lib.sh');
    expect((await t.run('lib')).output.toString()).toBe('from-lib\n');
  });

  it('pty mode converts line ends to CRLF and appends stderr', async () => {
    const t = await justbashBackend.start({ mode: 'pty' });
    const r = await t.run('echo a; echo b >&2');
    expect(r.output.toString()).toBe('a\r\nb\r\n');
    expect((await t.run("printf 'c\\r\\n'")).output.toString()).toBe('c\r\r\n'); // onlcr, as the real pty
    expect(r.stderr).toBeUndefined();
  });
});
