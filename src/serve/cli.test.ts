/**
 * The command line: `tw serve` in its own process (the URL line, loopback, SIGTERM), and
 * `tw exec --backend endpoint --endpoint-url` against it, exit codes included. Spawns node (tsx
 * compiles on start): a few seconds on the 2-core machine.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let server: ChildProcess | null = null;
let url = '';

beforeAll(async () => {
  server = spawn('node', ['bin/tw.js', 'serve', '--backend', 'justbash', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`tw serve did not start: ${out}`)), 200_000);
    server?.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server?.once('exit', (code) => reject(new Error(`tw serve exited (${String(code)}): ${out}`)));
  });
}, 240_000); // spawning node + tsx on a loaded 2-core machine
afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
});

async function tw(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['bin/tw.js', ...args], { encoding: 'utf8', env: { ...process.env, TW_ENDPOINT_RETRIES: '0' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('tw serve and --backend endpoint on the command line', () => {
  it('tw exec --backend endpoint runs a session through tw serve', async () => {
    const r = await tw(['exec', '--backend', 'endpoint', '--endpoint-url', url, '--json', 'mkdir -p /tmp/e && cd /tmp/e', 'echo hi > a', 'cat a; pwd']);
    expect(r.code).toBe(0);
    const turns = (JSON.parse(r.stdout) as { turns: { output: string; exit: number; cwd: string }[] }).turns;
    expect(turns[2]).toMatchObject({ output: 'hi\r\n/tmp/e\r\n', exit: 0, cwd: '/tmp/e' });
    const f = await tw(['exec', '--backend', 'endpoint', '--endpoint-url', url, 'false']);
    expect(f.code).toBe(1);
  }, 240_000);

  it('a wrong model name is named, with the fix (the other bad inputs: faults.test.ts, server.test.ts)', async () => {
    const m = await tw(['exec', '--backend', 'endpoint', '--endpoint-url', url, '--endpoint-model', 'gpt-x', 'ls']);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/"gpt-x" is not served .* it serves: justbash\n\s+fix: name one of those/);
  }, 120_000);
});
