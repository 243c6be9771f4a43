/**
 * A Harbor task directory run in the sandbox from a local OCI tarball (a small root tree built in
 * the test), with the oracle (solution/solve.sh) and the null agent bounding the reward; and the
 * Dockerfile translation used when no tarball is given. The runs need the sandbox (root).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noSandbox } from '../../backends/real/testkit.js';
import { manifestFromDockerfile } from '../../sandbox/image/dockerfile.js';
import { dockerSaveOf, tinyRootTree } from '../../sandbox/image/testkit.js';
import { runHarborTask } from './harbor-run.js';

function taskDir(root: string): string {
  const dir = join(root, 'hello-file');
  for (const sub of ['environment', 'tests', 'solution']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'instruction.md'), 'Write "hello" to /root/out.txt.\n');
  writeFileSync(join(dir, 'environment/Dockerfile'), 'FROM debian:bookworm-slim\nWORKDIR /root\n');
  writeFileSync(
    join(dir, 'tests/test.sh'),
    '#!/bin/bash\nif [ "$(cat /root/out.txt 2>/dev/null)" = hello ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt\n',
  );
  writeFileSync(join(dir, 'solution/solve.sh'), '#!/bin/bash\necho hello > /root/out.txt\n');
  return dir;
}

describe('Dockerfile to the nearest manifest', () => {
  it('takes packages, setup steps, env, workdir and files, and lists what it does not cover', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'tw-dockerfile-'));
    writeFileSync(join(dir, 'app.py'), 'print(1)\n');
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        'FROM python:3.11-slim',
        'ARG X=1',
        'RUN apt-get update && apt-get install -y --no-install-recommends \\',
        '      jq zip=3.0-13 && rm -rf /var/lib/apt/lists/*',
        'ENV A=1 B="two words"',
        'WORKDIR /app',
        'COPY app.py .',
        'RUN pip install --no-index nothing || true',
        'USER nobody',
        'CMD ["python", "app.py"]',
      ].join('\n'),
    );
    const { manifest, warnings } = manifestFromDockerfile(join(dir, 'Dockerfile'), 'demo');
    expect(manifest.packages).toEqual(['jq', 'zip']);
    expect(manifest.env).toEqual({ A: '1', B: 'two words' });
    expect(manifest.workdir).toBe('/app');
    expect(manifest.setup).toEqual(["mkdir -p '/app'", 'pip install --no-index nothing || true']);
    expect(manifest.files).toEqual([{ path: '/app/app.py', base64: Buffer.from('print(1)\n').toString('base64'), mode: expect.any(Number) }]);
    expect(warnings).toEqual(['ARG is not substituted (X=1)', 'USER nobody: sessions run as root']);
  });

  it('a missing Dockerfile or FROM is an error that says what a task holds', () => {
    expect(() => manifestFromDockerfile('/nonexistent/Dockerfile', 'x')).toThrow(/no Dockerfile/);
    const dir = mkdtempSync(join(os.tmpdir(), 'tw-dockerfile-'));
    writeFileSync(join(dir, 'Dockerfile'), 'RUN true\n');
    expect(() => manifestFromDockerfile(join(dir, 'Dockerfile'), 'x')).toThrow(/has no FROM/);
  });
});

describe.skipIf(noSandbox)('a Harbor task from a local OCI tarball (needs the sandbox)', () => {
  let work: string;
  let tarball: string;
  let saved: string | undefined;
  beforeAll(async () => {
    work = mkdtempSync(join(os.tmpdir(), 'tw-harbor-run-'));
    tarball = await dockerSaveOf(tinyRootTree(), join(work, 'env.tar'), { workdir: '/root' });
    saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(work, 'cache');
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(work, { recursive: true, force: true });
  });

  it('the oracle earns reward 1, the null agent 0; tests arrive only after the agent', async () => {
    const dir = taskDir(work);
    writeFileSync(join(dir, 'solution/solve.sh'), '#!/bin/bash\nls /tests 2>&1\necho hello > /root/out.txt\n');
    const oracle = await runHarborTask(dir, { agent: 'oracle', image: tarball });
    expect(oracle).toMatchObject({ task: 'hello-file', agent: 'oracle', reward: 1 });
    expect(oracle.error).toBeUndefined();
    expect(oracle.turns[0]?.output.toString()).toBe("ls: cannot access '/tests': No such file or directory\r\n");
    const nul = await runHarborTask(dir, { agent: 'null', image: tarball });
    expect(nul.reward).toBe(0);
    expect(nul.error).toBeUndefined();
  });

  it('a test script that writes no reward file gives 0 with the reason', async () => {
    const dir = taskDir(join(work, 'b'));
    writeFileSync(join(dir, 'tests/test.sh'), '#!/bin/bash\ntrue\n');
    const r = await runHarborTask(dir, { agent: 'oracle', image: tarball });
    expect(r.reward).toBe(0);
    expect(r.error).toBe('tests/test.sh wrote no /logs/verifier/reward.txt');
  });

  it('a folder that is not a task is refused', async () => {
    await expect(runHarborTask(work, { agent: 'null', image: tarball })).rejects.toThrow(/is not a Harbor task: instruction\.md is missing/);
  });
});
