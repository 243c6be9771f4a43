import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summariseConformance } from '../../cli/commands/conformance.js';
import type { Backend, Terminal, Turn } from '../../core/terminal.js';
import { justbashBackend } from '../../backends/justbash/index.js';
import { caseCommand, type ConformanceCase, loadCases, shQuote } from './cases.js';
import { runConformance } from './run.js';

const mk = (code: string, expect_stdout: string | null, expect_status = 0, notes = '', line = 1): ConformanceCase => ({
  file: 'spec/toy.test.sh',
  name: code,
  line,
  code,
  expect_stdout,
  expect_status,
  notes,
  key: `toy.test.sh:${line}`,
});

describe('conformance cases', () => {
  it('validates every line and names the line of a bad one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'conf-'));
    const f = path.join(dir, 'c.jsonl');
    writeFileSync(
      f,
      JSON.stringify({ file: 'spec/a.test.sh', name: 'n', line: 3, code: 'echo hi', expect_stdout: 'hi\n', expect_status: 0 }) + '\n{"file": 1}\n',
    );
    expect(() => loadCases(f)).toThrow(/c.jsonl:2: field "file"/);
  });

  it('shQuote survives quotes, newlines and $', () => {
    const s = `it's "q" $HOME \`x\`\n\\ end`;
    expect(execFileSync('bash', ['-c', `printf %s ${shQuote(s)}`]).toString()).toBe(s);
  });

  it('the case command runs bash -c in a fresh directory with HOME unset and stdin from /dev/null', () => {
    const cmd = caseCommand(mk('echo hi', 'hi\n'), 7);
    expect(cmd).toContain('mkdir -p /tmp/oils/7 && cd /tmp/oils/7 && unset HOME OLDPWD');
    expect(cmd).toContain("bash -c 'echo hi' </dev/null | cat; exit ${PIPESTATUS[0]}");
  });
});

describe('running cases', () => {
  it('grades stdout and status on just-bash, per file and overall', async () => {
    const cases = [
      mk('echo hi', 'hi\n', 0, '', 1),
      mk('exit 3', null, 3, '', 2),
      mk('echo no', 'yes\n', 0, '', 3),
      mk("printf '%s\\n' a b", 'a\nb\n', 0, '', 4),
    ];
    const res = await runConformance(justbashBackend, cases, { jobs: 2 });
    expect(res.map((r) => r.agree)).toEqual([true, true, false, true]);
    expect(res[2]?.reason).toBe('stdout differs');
    const s = summariseConformance(res);
    expect(s.files['toy.test.sh']).toEqual({ passed: 3, total: 4 });
    expect(s.overall.rate).toBe(0.75);
  });

  it('a crashing or hanging backend fails that case with the reason and the run goes on in a new session', async () => {
    let starts = 0;
    const flaky: Backend = {
      name: 'flaky',
      description: 'test double',
      start: async (): Promise<Terminal> => {
        starts++;
        return {
          info: { backend: 'flaky', mode: 'pipe' },
          dead: false,
          run: async (cmd: string): Promise<Turn> => {
            if (cmd.includes('crash')) throw new Error('backend exploded');
            if (cmd.includes('hang')) await new Promise(() => undefined);
            return { cmd, output: Buffer.from('ok\n'), exit: 0, cwd: '/', ms: 0, timedOut: false, truncated: false };
          },
          close: async () => undefined,
        };
      },
    };
    const cases = [mk('crash', 'ok\n', 0, '', 1), mk('fine', 'ok\n', 0, '', 2), mk('hang', 'ok\n', 0, '', 3), mk('fine again', 'ok\n', 0, '', 4)];
    const res = await runConformance(flaky, cases, { jobs: 1, timeoutMs: 50, graceMs: 50 });
    expect(res.map((r) => r.agree)).toEqual([false, true, false, true]);
    expect(res[0]?.reason).toBe('backend error: backend exploded');
    expect(res[2]?.reason).toMatch(/backend error: case: no answer after 100 ms/);
    expect(starts).toBe(3);
  });
});
