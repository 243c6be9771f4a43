import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realBackend } from '../../backends/real/index.js';
import { noSandbox, runAll } from '../../backends/real/testkit.js';
import { writeHarborTask } from './harbor.js';
import { TASK_FAMILIES } from './index.js';
import { checkTask, generateTasks } from './run.js';
import { writeFileCmd } from './types.js';

describe('Harbor task directories', () => {
  it('writes the documented layout', () => {
    const [t] = generateTasks(1, 4);
    if (!t) throw new Error('no task');
    const dir = writeHarborTask(mkdtempSync(join(tmpdir(), 'tw-harbor-')), t, null);
    expect(readFileSync(join(dir, 'instruction.md'), 'utf8')).toBe(t.instruction + '\n');
    expect(readFileSync(join(dir, 'tests', 'verify.sh'), 'utf8')).toBe(t.verifier);
    expect(readFileSync(join(dir, 'task.toml'), 'utf8')).toMatch(/\[verifier\]\ntimeout_sec = 60.0/);
    expect(readFileSync(join(dir, 'environment', 'setup.sh'), 'utf8')).toContain(t.setup[0] ?? '');
    expect(readFileSync(join(dir, 'environment', 'Dockerfile'), 'utf8')).toMatch(/^FROM debian:bookworm-slim/);
  });

  // Needs the real sandbox (CI has it after setup.sh): build the environment as the Dockerfile
  // would (run setup.sh), run solve.sh, then tests/test.sh, and read the reward file.
  // Six families whose setups and solutions use the most machinery (git, tar, chmod, symlinks,
  // multi-file edits, python); the experts of all families are checked in tasks.test.ts.
  const FAMS = ['git-commit', 'archive-extract', 'fix-python', 'make-executable', 'replace-text', 'fix-symlink'];
  it.skipIf(noSandbox)('setup.sh + solve.sh + tests/test.sh give reward 1 (and 0 without the solution)', async () => {
    const tasks = generateTasks(TASK_FAMILIES.length, 99).filter((t) => FAMS.includes(t.family));
    expect(tasks.length).toBe(FAMS.length);
    const root = mkdtempSync(join(tmpdir(), 'tw-harbor-'));
    const rewards = await Promise.all(
      tasks.map(async (t) => {
        const r = await checkTask(t, realBackend);
        expect(r.success).toBe(true);
        const dir = writeHarborTask(root, t, r.session);
        const f = (p: string): string => readFileSync(join(dir, p), 'utf8');
        const install = [
          writeFileCmd('/tmp/setup.sh', f('environment/setup.sh')),
          writeFileCmd('/tests/test.sh', f('tests/test.sh')),
          writeFileCmd('/tests/verify.sh', f('tests/verify.sh')),
          'bash /tmp/setup.sh',
        ];
        const solved = await runAll([
          ...install,
          writeFileCmd('/tmp/solve.sh', f('solution/solve.sh')),
          'bash /tmp/solve.sh >/dev/null 2>&1; bash /tests/test.sh; cat /logs/verifier/reward.txt',
        ]);
        const unsolved = await runAll([...install, 'bash /tests/test.sh; cat /logs/verifier/reward.txt']);
        // the reward is the last line (a failing verifier may print its own errors first)
        const reward = (o: Buffer | undefined): string | undefined => o?.toString().trim().split(/\r?\n/).at(-1);
        return [t.family, reward(solved.at(-1)?.output), reward(unsolved.at(-1)?.output)];
      }),
    );
    expect(rewards).toEqual(tasks.map((t) => [t.family, '1', '0']));
  });
});
