import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { newSession, turnToRecord } from '../../session/format.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(os.tmpdir(), 'tw-eval-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tw(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['bin/tw.js', ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('tw eval tier1', () => {
  it('writes the results JSON and the run folder (null backend, no oracle)', async () => {
    const t = (cmd: string, out: string, exit = 0) =>
      turnToRecord({ cmd, output: Buffer.from(out), exit, cwd: '/root', ms: 1, timedOut: false, truncated: false }, 'inspect');
    const s = newSession({ id: 'e1', backend: 'real', mode: 'pty', seed: 1, turns: [t('true', ''), t('echo a', 'a\r\n'), t('false', '', 1)] });
    writeFileSync(join(dir, 'test.jsonl'), JSON.stringify(s) + '\n');
    const json = join(dir, 'r.json');
    const out = join(dir, 'run');
    const r = await tw(['eval', 'tier1', '--backend', 'null', '--data', dir, '--json', json, '--out', out, '--no-oracle', '--seed', '5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Tier 1: backend null');
    const res = JSON.parse(readFileSync(json, 'utf8')) as {
      exactMatchByDepth: Record<string, number | null>;
      meta: { seed: number; commit: string; config: { ks: unknown[] } };
    };
    expect(res.exactMatchByDepth).toEqual({ '1': 1, '3': 0, '10': null, '25': null, '50': null });
    expect(res.meta.seed).toBe(5);
    expect(res.meta.config.ks).toEqual([1, 5, 10, 'inf']);
    expect(typeof res.meta.commit).toBe('string');
    for (const f of ['meta.json', 'results.json', 'exact-by-depth.svg', 'recovery.svg']) expect(existsSync(join(out, f))).toBe(true);
  });

  it('names the problem and the fix for bad input', async () => {
    const a = await tw(['eval', 'tier1', '--backend', 'nope', '--data', dir, '--no-oracle']);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/unknown backend "nope"/);
    const b = await tw(['eval', 'tier1', '--backend', 'null', '--data', join(dir, 'missing'), '--no-oracle']);
    expect(b.stderr).toMatch(/no such file or directory/);
    const c = await tw(['eval', 'tier1', '--backend', 'null', '--data', dir, '--ks', '0,inf', '--no-oracle']);
    expect(c.stderr).toMatch(/--ks/);
  });
});
