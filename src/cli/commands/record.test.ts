import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { noSandbox } from '../../backends/real/testkit.js';
import { readAllSessions } from '../../session/io.js';
import { parseScript } from './record.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(os.tmpdir(), 'tw-record-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tw(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = run('node', ['bin/tw.js', ...args], { encoding: 'utf8' });
  if (input !== undefined) {
    p.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await p;
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('parseScript', () => {
  it('splits sessions on ---, skips comments and blanks, joins continued lines', () => {
    const blocks = parseScript('# c\ncd /tmp\n\necho hi\ncat > f <<EOF\\\nline\\\nEOF\n---\npwd\n---\n', 'x.sh');
    expect(blocks).toEqual([
      { name: 'x.sh#0', commands: ['cd /tmp', 'echo hi', 'cat > f <<EOF\nline\nEOF'] },
      { name: 'x.sh#1', commands: ['pwd'] },
    ]);
  });
  it('returns nothing for an empty script', () => {
    expect(parseScript('\n# only a comment\n---\n', 's')).toEqual([]);
  });
});

// Each test spawns `node bin/tw.js` (tsx compiles on start): slow on a loaded 2-core machine.
describe('CLI bad input', { timeout: 180_000 }, () => {
  it('unknown backend names the choices', async () => {
    const r = await tw(['exec', '--backend', 'nope', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown backend "nope"[\s\S]*fix: use one of: .*real/);
  });
  it('unknown mode names the choices', async () => {
    const r = await tw(['exec', '--mode', 'tty', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown mode "tty"[\s\S]*pty, pipe/);
  });
  it('record without a script says what to pass, and writes nothing', async () => {
    const out = join(dir, 'none.jsonl');
    const r = await tw(['record', '--out', out]);
    expect(r.stderr).toMatch(/nothing to record[\s\S]*--script FILE or --stdin/);
    expect(() => readFileSync(out)).toThrow();
  });
});

// Needs the sandbox; skipped with this reason only on machines that cannot run it.
describe.skipIf(noSandbox)('tw exec / tw record on the real backend (needs the sandbox)', { timeout: 180_000 }, () => {
  it('tw exec prints the exact bytes and --json the turns', async () => {
    const r = await tw(['exec', 'mkdir a && cd a && pwd', 'ls -la /nonexistent; echo $?']);
    expect(r.stdout).toBe("/root/a\r\nls: cannot access '/nonexistent': No such file or directory\r\n2\r\n");
    const j = await tw(['exec', '--json', 'cd /tmp', 'nosuch']);
    expect(JSON.parse(j.stdout)).toEqual({
      turns: [
        { cmd: 'cd /tmp', output: '', exit: 0, cwd: '/tmp' },
        { cmd: 'nosuch', output: 'bash: nosuch: command not found\r\n', exit: 127, cwd: '/tmp' },
      ],
    });
  });

  it('tw shell runs one command per line and keeps state', async () => {
    const r = await tw(['shell'], 'cd /tmp\npwd\nnosuch\nexit\n');
    expect(r.stdout).toContain('/tmp\r\n');
    expect(r.stdout).toContain('bash: nosuch: command not found\r\n');
    expect(r.code).toBe(0);
  });

  it('tw exec --json keeps invalid UTF-8 exact as base64', async () => {
    const j = await tw(['exec', '--json', '--mode', 'pipe', "printf '\\xff\\xfe'"]);
    expect(JSON.parse(j.stdout).turns[0].output).toEqual({ base64: Buffer.from([0xff, 0xfe]).toString('base64') });
  });

  it('tw record appends one valid session per block; a damaged line is reported with its number', async () => {
    const script = join(dir, 's.txt');
    const out = join(dir, 'out.jsonl');
    writeFileSync(script, 'cd /tmp\necho hi\n---\npwd\n');
    const r = await tw(['record', '--script', script, '--out', out, '--seed', '9']);
    expect(r.stderr).toContain('recorded 2 session(s)');
    const again = await tw(['record', '--stdin', '--out', out], 'echo piped\n');
    expect(again.code).toBe(0);
    const sessions = await readAllSessions(out);
    expect(sessions.map((s) => s.id)).toEqual(['s.txt#0', 's.txt#1', 'stdin#0']);
    expect(sessions[0]?.turns.map((t) => t.output)).toEqual(['', 'hi\r\n']);
    expect(sessions[0]?.seed).toBe(9);
    expect(sessions[0]?.image).toEqual({ id: 'tw-bookworm-workstation', version: expect.any(String) });
    expect(sessions[2]?.turns[0]?.output).toBe('piped\r\n');
    writeFileSync(out, readFileSync(out, 'utf8') + '{"format":"terminalworld.session"\n');
    await expect(readAllSessions(out)).rejects.toThrow(/out\.jsonl:4: not valid JSON/);
  });
});
