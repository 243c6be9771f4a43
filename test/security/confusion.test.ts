/**
 * The recorder cannot be made to lie: each case from the hardening issue, with the turn the
 * recorder wrote checked against what bash really did (its output bytes, exit status and cwd),
 * and the turns after it checked too (a confused recorder runs one turn behind, or hangs).
 * The count of cases and of cases recorded truthfully is printed at the end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Turn } from '../../src/core/terminal.js';
import { noSandbox, runAll, text, withSession } from '../../src/backends/real/testkit.js';

const tally = { cases: 0, truthful: 0 };
afterAll(() => {
  if (tally.cases > 0) process.stdout.write(`\nconfusion suite: ${tally.cases} cases, ${tally.truthful} recorded truthfully\n`);
});

interface Want {
  out: string;
  exit: number;
  cwd?: string;
}

/** Run the case, then `echo next; pwd`; every turn must be what bash did (`prefix`: what the
 *  case makes bash print before each later command, e.g. a DEBUG trap's or set -x's lines). */
async function check(cmds: string[], want: Want[], opts: { timeoutMs?: number; next?: string } = {}): Promise<void> {
  tally.cases++;
  const turns = await runAll([...cmds, 'echo next; pwd'], { timeoutMs: opts.timeoutMs ?? 5000 });
  const got = turns.map((t: Turn) => ({ out: text(t), exit: t.exit, cwd: t.cwd }));
  const last = want[want.length - 1];
  const cwd = last?.cwd ?? '/root';
  const expected = [...want.map((w) => ({ out: w.out, exit: w.exit, cwd: w.cwd ?? '/root' })), { out: opts.next ?? `next\r\n${cwd}\r\n`, exit: 0, cwd }];
  expect(got).toEqual(expected);
  tally.truthful++;
}

const NONCE = '$(echo "${PS1@P}" | cut -c4-15)';

describe.skipIf(noSandbox)('the recorder cannot be made to lie (needs the sandbox)', () => {
  it('a forged marker (nonce read through ${PS1@P}) stays output; exit and cwd are the real ones', async () => {
    await check(
      [`n=${NONCE}; echo before; printf "\\036tw%s:9:42:/fake\\037" $n; echo after`],
      [{ out: 'before\r\n\x1etw67286ec41736:9:42:/fake\x1fafter\r\n', exit: 0 }],
    );
  });

  it('a forged marker followed by `read` cannot steal the next command', async () => {
    await check([`n=${NONCE}; printf "\\036tw%s:9:0:/x\\037" $n; read -r l; echo "got [$l]"`], [{ out: '\x1etw67286ec41736:9:0:/x\x1fgot []\r\n', exit: 0 }]);
  });

  it('a forged marker as the very last bytes of a command', async () => {
    await check([`n=${NONCE}; (exit 5); printf "\\036tw%s:2:0:/x\\037" $n; false`], [{ out: '\x1etw67286ec41736:2:0:/x\x1f', exit: 1 }]);
  });

  it('shopt -u promptvars', async () => {
    await check(
      ['shopt -u promptvars', 'cd /tmp; (exit 3)'],
      [
        { out: '', exit: 0 },
        { out: '', exit: 3, cwd: '/tmp' },
      ],
    );
  });

  it('a DEBUG trap', async () => {
    await check(
      ["trap 'echo T' DEBUG", 'true; (exit 4)'],
      [
        { out: '', exit: 0 },
        { out: 'T\r\n', exit: 4 },
      ],
      { next: 'T\r\nnext\r\nT\r\n/root\r\n' },
    );
  });

  it('enable -n read, a read function, alias read=true', async () => {
    await check(
      ['enable -n read', 'echo a'],
      [
        { out: '', exit: 0 },
        { out: 'a\r\n', exit: 0 },
      ],
    );
    await check(
      ['read(){ return 0; }', 'echo b; (exit 2)'],
      [
        { out: '', exit: 0 },
        { out: 'b\r\n', exit: 2 },
      ],
    );
    await check(
      ['alias read=true', 'echo c'],
      [
        { out: '', exit: 0 },
        { out: 'c\r\n', exit: 0 },
      ],
    );
  });

  it('set -x shows only the commands bash traces', async () => {
    await check(
      ['set -x', 'echo hi'],
      [
        { out: '', exit: 0 },
        { out: '+ echo hi\r\nhi\r\n', exit: 0 },
      ],
      { next: '+ echo next\r\nnext\r\n+ pwd\r\n/root\r\n' },
    );
  });

  it('stty -isig: timeouts and incomplete commands are still interrupted', async () => {
    tally.cases++;
    const t = await runAll(['stty -isig', 'sleep 30', 'echo "open quote', 'echo ok'], { timeoutMs: 1500 });
    expect(t.map((x) => [x.exit, x.timedOut])).toEqual([
      [0, false],
      [130, true],
      [130, false],
      [0, false],
    ]);
    expect(text(t[3])).toBe('ok\r\n');
    tally.truthful++;
  });

  it('exec bash: the turn says the shell was replaced, and later turns are recorded', async () => {
    tally.cases++;
    const t = await runAll(['exec bash', 'cd /tmp; echo after; (exit 6)'], { timeoutMs: 5000 });
    expect(t[0]?.incident?.code).toBe('shell-replaced');
    expect({ out: text(t[1]), exit: t[1]?.exit, cwd: t[1]?.cwd }).toEqual({ out: 'after\r\n', exit: 6, cwd: '/tmp' });
    tally.truthful++;
  });

  it('a cwd with the marker terminator (0x1f) or an invalid byte (0xff) is recorded exactly', async () => {
    await check(["mkdir -p $'/tmp/a\\x1fb' && cd $'/tmp/a\\x1fb'"], [{ out: '', exit: 0, cwd: '/tmp/a\x1fb' }]);
    tally.cases++;
    const [t] = await runAll(["mkdir -p $'/tmp/x\\xffy' && cd $'/tmp/x\\xffy'"]);
    expect(t?.cwdRaw?.toString('latin1')).toBe('/tmp/x\xffy');
    tally.truthful++;
  });

  it('echo "$BASH_COMMAND" prints the command (not taken for tty echo)', async () => {
    await check(['echo "$BASH_COMMAND"'], [{ out: 'echo "$BASH_COMMAND"\r\n', exit: 0 }]);
  });

  it('output that looks like a marker is kept byte for byte', async () => {
    await check(["printf '\\036tw000000000000:1:0:/\\037\\036\\037x\\n'"], [{ out: '\x1etw000000000000:1:0:/\x1f\x1e\x1fx\r\n', exit: 0 }]);
  });

  it('a multi-line command still drops only the prompts between its lines', async () => {
    await check([`n=${NONCE}\nprintf "\\036tw%s:3:0:/\\037" $n\ncd /tmp`], [{ out: '\x1etw67286ec41736:3:0:/\x1f', exit: 0, cwd: '/tmp' }]);
  });

  it('a background flood does not change the foreground exit status; output is capped and flagged', async () => {
    tally.cases++;
    const t = await runAll(['yes > /dev/tty &', 'sleep 2; (exit 7)', 'kill %1; wait; echo done'], { timeoutMs: 8000 });
    expect([t[1]?.exit, t[1]?.truncated]).toEqual([7, true]);
    expect(text(t[2]).endsWith('done\r\n')).toBe(true);
    tally.truthful++;
  });

  it('pipe mode: a forged end-of-stdout marker stays in stdout', async () => {
    tally.cases++;
    const [t, u] = await runAll([`printf "a\\036tw67286ec41736:0\\037b\\n"; sleep 0.3; echo c; echo e >&2`, 'echo next'], { mode: 'pipe' });
    expect([text(t), t?.stderr?.toString(), t?.exit]).toEqual(['a\x1etw67286ec41736:0\x1fb\nc\n', 'e\n', 0]);
    expect(text(u)).toBe('next\n');
    tally.truthful++;
  });

  it('a background flood between turns: the host keeps at most the cap, and the next turn says what was dropped', async () => {
    tally.cases++;
    await withSession({ maxOutputBytes: 64 << 10, timeoutMs: 8000 }, async (term) => {
      await term.run('yes > /dev/tty &');
      await new Promise((r) => setTimeout(r, 800)); // nobody typing: only the job writes
      const t = await term.run('kill %1; wait; echo done');
      expect(t.incident?.code).toBe('dropped-between-turns');
      expect(t.output.length).toBeLessThan((64 << 10) * 2 + 4096);
      // The kept bytes are the cap's worth (the job's own lines fill it): the turn is flagged.
      expect(t.truncated).toBe(true);
      expect(t.exit).toBe(0);
    });
    tally.truthful++;
  });

  it('a loop that ignores SIGINT: the session dies and the turn says why', async () => {
    tally.cases++;
    const [t] = await runAll(["trap '' INT; while :; do :; done"], { timeoutMs: 1000 });
    expect(t?.incident?.code).toBe('died');
    expect(t?.incident?.message).toMatch(/ignores SIGINT/);
    tally.truthful++;
  });
});
