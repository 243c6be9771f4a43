/**
 * The Python client of examples/python (standard library only, Debian's python3) against
 * `tw gym serve`'s server: one episode over WebSocket, one over HTTP, on justbash, real and learned.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { noSandbox, sandboxSkipReason } from '../backends/real/testkit.js';
import { DEFAULT_MODEL_DIR } from '../backends/learned/index.js';
import { startGymServer, type GymServer, type GymServerOptions } from './server.js';
import { descendants, waitFor } from './testkit.js';

const run = promisify(execFile);
const CLIENT = join(import.meta.dirname, '..', '..', 'examples', 'python', 'tw_gym_client.py');
const hasPython = spawnSync('python3', ['--version']).status === 0;

interface Episode {
  instruction: string | null;
  outputs: string[];
  exits: (number | null)[];
  retry_same_step: boolean;
  state_step_count: number;
  done: boolean;
  reward: number | null;
  terminal: string;
}
interface Summary {
  health: { status: string };
  ws: Episode;
  http: Episode;
  bad_action_code: string;
}

let server: GymServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function client(o: Partial<GymServerOptions> & { backend: string }, args: string[] = []): Promise<Summary> {
  server = await startGymServer({ port: 0, storeDir: null, ...o });
  const { stdout } = await run('python3', [CLIENT, '--url', `http://127.0.0.1:${server.address.port}`, ...args], { timeout: 120_000 });
  return JSON.parse(stdout) as Summary;
}

describe.skipIf(!hasPython)('Python stdlib client (examples/python/tw_gym_client.py)', () => {
  it('plays an episode over WS and over HTTP on justbash', async () => {
    const s = await client({ backend: 'justbash' });
    expect(s.health).toEqual({ status: 'healthy' });
    for (const ep of [s.ws, s.http]) {
      expect(ep.outputs).toEqual(['', 'hello\r\n', '/tmp\r\n']);
      expect(ep.exits).toEqual([0, 0, 0]);
      expect(ep.retry_same_step).toBe(true);
      expect(ep.state_step_count).toBe(3);
      expect(ep).toMatchObject({ done: true, reward: null });
      expect(ep.terminal).toMatch(/^New Terminal Output:\n\nroot@4b1c0e7d2a9f:~# cd \/tmp && echo hello > greet.txt\n/);
    }
    expect(s.bad_action_code).toBe('VALIDATION_ERROR');
  });

  it('with a token, and on a task: the reward comes from the verifier at submit', async () => {
    const s = await client({ backend: 'justbash', token: 't0k-python', task: 'csv-sum' }, ['--token', 't0k-python', '--task', 'csv-sum']);
    expect(s.ws.instruction).toMatch(/CSV file/);
    expect(s.ws).toMatchObject({ done: true, reward: 0 });
    expect(s.http).toMatchObject({ done: true, reward: 0 });
  });

  it('the TRL environment_factory class (examples/python/trl_env.py) runs an episode and reads its reward', async () => {
    server = await startGymServer({ port: 0, storeDir: null, backend: 'justbash', task: 'csv-sum' });
    const { stdout } = await run('python3', [join(import.meta.dirname, '..', '..', 'examples', 'python', 'trl_env.py')], {
      timeout: 60_000,
      env: { ...process.env, TW_GYM_URL: `http://127.0.0.1:${server.address.port}` },
    });
    const lines = stdout.replace(/\r/g, '').trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/CSV file with a header row/), 'data', '[exit 0]', 'not solved [0.0]']);
  });

  it.skipIf(noSandbox)(`plays on the real sandbox and leaves no process behind ${sandboxSkipReason ?? ''}`, async () => {
    const s = await client({ backend: 'real', pool: 2 });
    for (const ep of [s.ws, s.http]) {
      expect(ep.outputs).toEqual(['', 'hello\r\n', '/tmp\r\n']);
      expect(ep.retry_same_step).toBe(true);
      expect(ep.done).toBe(true);
    }
    await server?.close();
    server = null;
    // Sandboxes of closed sessions (and the pool's) are gone.
    expect(await waitFor(() => descendants(process.pid).filter((p) => p !== process.pid).length === 0, 5000, 50)).toBe(true);
  });

  it.skipIf(!existsSync(join(DEFAULT_MODEL_DIR, 'model.safetensors')))('plays on the learned terminal (the shipped model)', async () => {
    const s = await client({ backend: 'learned' });
    for (const ep of [s.ws, s.http]) {
      expect(ep.outputs).toHaveLength(3);
      expect(ep.exits.every((e) => typeof e === 'number')).toBe(true);
      expect(ep.retry_same_step).toBe(true);
      expect(ep.state_step_count).toBe(3);
      expect(ep.done).toBe(true);
    }
  });
});
