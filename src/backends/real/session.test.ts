import { describe, expect, it } from 'vitest';
import { TwError } from '../../core/errors.js';
import { realBackend } from './index.js';
import { RealSession } from './session.js';
import { noSandbox, runAll, text, withSession } from './testkit.js';

// Skipped only where the machine cannot run the sandbox (not root / no namespaces / no root
// tree); CI runs as root after scripts/setup.sh, so these run there.
describe.skipIf(noSandbox)('real backend: protocol (needs the sandbox)', () => {
  it("prints exactly what an interactive bash prints (the issue's done-when example)", async () => {
    const [a, b] = await runAll(['mkdir a && cd a && pwd', 'ls -la /nonexistent; echo $?']);
    expect(text(a)).toBe('/root/a\r\n');
    expect(a?.cwd).toBe('/root/a');
    expect(text(b)).toBe("ls: cannot access '/nonexistent': No such file or directory\r\n2\r\n");
    expect(b?.exit).toBe(0);
  });

  it('uses interactive error prefixes, exit codes and columns like a terminal', async () => {
    const [nf, syn, cols, fals] = await runAll(['nosuchcmd', 'echo )', 'mkdir d && cd d && touch a b c && ls', 'false']);
    expect(text(nf)).toBe('bash: nosuchcmd: command not found\r\n');
    expect(nf?.exit).toBe(127);
    expect(text(syn)).toBe("bash: syntax error near unexpected token `)'\r\n");
    expect(syn?.exit).toBe(2);
    expect(text(cols)).toBe('a  b  c\r\n');
    expect(fals?.exit).toBe(1);
    expect(text(fals)).toBe('');
  });

  it('keeps state between commands: cd, export, functions, aliases', async () => {
    const t = await runAll(['cd /tmp && export FOO=bar', 'f() { echo "f:$1"; }; alias ll="echo aliased"', 'echo $FOO; f x; pwd', 'll']);
    expect(text(t[2])).toBe('bar\r\nf:x\r\n/tmp\r\n');
    expect(text(t[3])).toBe('aliased\r\n');
    expect(t.map((x) => x.cwd)).toEqual(['/tmp', '/tmp', '/tmp', '/tmp']);
  });

  it('a multi-line command running several commands is one turn, without the prompts between', async () => {
    const t = await runAll(['echo a\necho b\ncd /tmp\nfalse', 'pwd', 'read v\nhello\necho "v=$v"', 'cat\nl1\nl2']);
    expect(text(t[0])).toBe('a\r\nb\r\n');
    expect(t[0]?.exit).toBe(1);
    expect(t[0]?.cwd).toBe('/tmp');
    expect(text(t[1])).toBe('/tmp\r\n');
    expect(text(t[2])).toBe('v=hello\r\n');
    expect(text(t[3])).toBe('l1\r\nl2\r\n');
    const [p] = await runAll(['echo a; echo e1 >&2\necho b; echo e2 >&2'], { mode: 'pipe' });
    expect([p?.output.toString(), p?.stderr?.toString()]).toEqual(['a\nb\n', 'e1\ne2\n']);
  });

  it('pipe mode keeps stdout and stderr apart, with plain newlines and no columns', async () => {
    const [t] = await runAll(['echo out; echo err >&2; mkdir d; touch d/a d/b; ls d; ls /nope'], { mode: 'pipe' });
    expect(t?.output.toString()).toBe('out\na\nb\n');
    expect(t?.stderr?.toString()).toBe("err\nls: cannot access '/nope': No such file or directory\n");
    expect(t?.exit).toBe(2);
  });

  it('answers stdin readers with ^D, as a person would, in both modes', async () => {
    for (const mode of ['pty', 'pipe'] as const) {
      const t = await runAll(['cat', 'read x; echo "r=$?"', 'x=$(cat); echo "[$x]"', 'cat | wc -l', 'echo still here'], { mode, timeoutMs: 5000 });
      expect(t.map((x) => x.timedOut)).toEqual([false, false, false, false, false]);
      expect(text(t[1]).trim()).toBe('r=1');
      expect(text(t[2]).trim()).toBe('[]');
      expect(text(t[3]).trim()).toBe('0');
      expect(text(t[4]).trim()).toBe('still here');
    }
  });

  it('lets interactive python see EOF on ^D (banner, prompt, exit 0)', async () => {
    const [t] = await runAll(['python3'], { timeoutMs: 5000 });
    expect(text(t)).toMatch(/^Python 3\.11\.\d+ [\s\S]*\r\n>>> \r\n$/);
    expect(t?.exit).toBe(0);
    expect(t?.timedOut).toBe(false);
  });

  it('kills a reader that ignores two EOFs (exit 137), session survives', async () => {
    const t = await runAll(['python3 -c "\nwhile True:\n  try: input()\n  except EOFError: print(\'eof\')"', 'echo ok'], { timeoutMs: 5000 });
    expect(text(t[0])).toBe('eof\r\neof\r\nKilled\r\n');
    expect(t[0]?.exit).toBe(137);
    expect(text(t[1])).toBe('ok\r\n');
  });

  it('types no second ^D before the reader has read the first (a slow reader gets exactly one)', async () => {
    // Looks like a terminal reader for ~300 ms (select on the tty, never readable for
    // exceptfds) without reading, then reads once and checks whether a second ^D is queued.
    const py =
      'python3 -c "\nimport os, select, time\nfor i in range(6): select.select([], [], [0], 0.05)\nprint(repr(os.read(0, 10)))\ntime.sleep(0.3)\nprint(select.select([0], [], [], 0)[0])"';
    const t = await runAll([py, 'echo ok'], { timeoutMs: 5000 });
    expect([text(t[0]), t[0]?.exit, text(t[1])]).toEqual(["b''\r\n[]\r\n", 0, 'ok\r\n']);
  });

  it('cancels an incomplete command (open quote) with ^C instead of hanging', async () => {
    const t = await runAll(["echo 'abc", 'echo next'], { timeoutMs: 5000 });
    expect(t[0]?.exit).toBe(130);
    expect(t[0]?.timedOut).toBe(false);
    expect(text(t[1])).toBe('next\r\n');
  });

  it('cancels incomplete multi-line commands too (heredoc without its end), in both modes', async () => {
    for (const mode of ['pty', 'pipe'] as const) {
      const t = await runAll(['cat <<EOF\nabc', 'if true; then\necho x', 'echo next'], { mode, timeoutMs: 5000 });
      expect(t.map((x) => [x.exit, x.timedOut])).toEqual([
        [130, false],
        [130, false],
        [0, false],
      ]);
      expect(text(t[2])).toBe('next\n'.replace('\n', mode === 'pty' ? '\r\n' : '\n'));
    }
  });

  it('survives a stray ^D or ^C at the prompt, and the next turns are not shifted', async () => {
    for (const mode of ['pty', 'pipe'] as const) {
      await withSession({ mode }, async (term) => {
        expect(term).toBeInstanceOf(RealSession);
        if (!(term instanceof RealSession)) return;
        expect((await term.run('false')).exit).toBe(1);
        // What a late ^D (reader already gone) or a late parser ^C does: it reaches the prompt.
        term.typeRawForTest('\x04');
        await new Promise((r) => setTimeout(r, 150));
        term.typeRawForTest('\x03');
        await new Promise((r) => setTimeout(r, 150));
        const a = await term.run('echo one; (exit 4)');
        const b = await term.run('echo two');
        expect(term.dead).toBe(false);
        expect([a.output.toString().trim(), a.exit, b.output.toString().trim(), b.exit]).toEqual(['one', 4, 'two', 0]);
        // A ^D typed for a reader that went away reaches bash only after the next command was
        // typed: its extra prompt must not end that command's turn.
        expect((await term.run('cat')).exit).toBe(0);
        term.typeRawForTest('\x04');
        const c = await term.run('echo three; (exit 5)');
        const d = await term.run('echo four');
        expect([c.output.toString().trim(), c.exit, d.output.toString().trim(), d.exit]).toEqual(['three', 5, 'four', 0]);
        expect(term.dead).toBe(false);
      });
    }
  });

  it('times out a slow command, interrupts it, and the session survives', async () => {
    const t = await runAll(['sleep 30', 'while :; do :; done', 'echo alive; pwd'], { timeoutMs: 400 });
    expect(t[0]?.timedOut).toBe(true);
    expect(t[0]?.exit).toBe(130);
    expect(t[0]?.ms).toBeLessThan(5000);
    expect(t[1]?.timedOut).toBe(true);
    expect(text(t[2])).toBe('alive\r\n/root\r\n');
  });

  it('reports the session dead when a builtin loop ignores SIGINT', async () => {
    await withSession({ timeoutMs: 300 }, async (term) => {
      const t = await term.run('trap "" INT; while :; do :; done');
      expect(t.timedOut).toBe(true);
      expect(t.exit).toBe(-1);
      expect(term.dead).toBe(true);
      expect(term.deadReason).toMatch(/did not come back/);
      await expect(term.run('echo x')).rejects.toThrow(/session is dead/);
    });
  });

  it('caps huge output with a marker and stops a runaway writer', async () => {
    const t = await runAll(['head -c 3000000 /dev/zero | tr "\\0" y', 'yes', 'echo after'], { maxOutputBytes: 100_000 });
    expect(t[0]?.truncated).toBe(true);
    expect(t[0]?.output.subarray(0, 100_000).every((b) => b === 0x79)).toBe(true);
    expect(t[0]?.output.subarray(100_000).toString()).toBe('\n[terminalworld: output truncated, 2900000 bytes dropped]\n');
    expect(t[1]?.truncated).toBe(true);
    expect(t[1]?.exit).toBe(130);
    expect(text(t[2])).toBe('after\r\n');
  });

  it('records the exit status of `exit` and marks the session dead', async () => {
    await withSession({}, async (term) => {
      const t = await term.run('exit 3');
      expect(t.exit).toBe(3);
      expect(term.dead).toBe(true);
      expect(term.deadReason).toMatch(/shell exited/);
    });
  });

  it('runs setup commands first without returning them as turns', async () => {
    const [t] = await runAll(['pwd; echo $X'], { setup: ['cd /etc', 'X=7'] });
    expect(text(t)).toBe('/etc\r\n7\r\n');
  });

  it('protects its prompt: PS1 and PS2 are readonly, the session keeps working', async () => {
    const t = await runAll(["PS1='$ '", 'echo ok']);
    expect(text(t[0])).toBe('bash: PS1: readonly variable\r\n');
    expect(text(t[1])).toBe('ok\r\n');
  });

  it('keeps typed commands out of the output when a command turns tty echo back on', async () => {
    const t = await runAll(['stty echo', 'echo hi', 'cat <<EOF\nmulti\nEOF', 'stty sane; echo after-sane', 'history']);
    expect(t.slice(0, 4).map(text)).toEqual(['', 'hi\r\n', 'multi\r\n', 'after-sane\r\n']);
    // The hidden `stty -echo` that follows each such turn is removed from the history again.
    expect(text(t[4])).not.toContain('stty -echo');
    expect(text(t[4])).toMatch(/ {4}4 {2}stty sane; echo after-sane\r\n {4}5 {2}history\r\n$/);
  });

  it('keeps non-UTF-8 output bytes exact', async () => {
    const [t] = await runAll(["printf '\\xff\\xfe\\x00A'"], { mode: 'pipe' });
    expect([...(t?.output ?? [])]).toEqual([0xff, 0xfe, 0x00, 0x41]);
  });

  it('rejects bad input with a TwError: unknown mode, NUL, empty command', async () => {
    await expect(realBackend.start({ mode: 'tty' as never })).rejects.toThrow(/unknown mode "tty"/);
    await withSession({}, async (term) => {
      await expect(term.run('echo a\0b')).rejects.toBeInstanceOf(TwError);
      await expect(term.run('')).rejects.toThrow(/empty command/);
      expect(text(await term.run('echo fine'))).toBe('fine\r\n');
    });
  });
});
