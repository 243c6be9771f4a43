/** The gym on the learned terminal: concurrent sessions decode in one batch. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, schedulerFor } from '../backends/learned/index.js';
import { startGymServer, type GymServer } from './server.js';
import { WsClient } from './testkit.js';

let server: GymServer | null = null;
afterAll(async () => {
  await server?.close();
});

describe.skipIf(!existsSync(join(DEFAULT_MODEL_DIR, 'model.safetensors')))('gym on the learned terminal', () => {
  it('6 concurrent WebSocket sessions: every step answered, decoded in shared batches', async () => {
    server = await startGymServer({ backend: 'learned', port: 0, storeDir: null });
    const url = `ws://127.0.0.1:${server.address.port}/ws`;
    const clients = await Promise.all(Array.from({ length: 6 }, () => WsClient.open(url)));
    const sched = await schedulerFor({});
    const before = sched.stats.sequences;
    const replies = await Promise.all(
      clients.map(async (c, i) => {
        await c.call({ type: 'reset', data: {} });
        const out: Record<string, unknown>[] = [];
        for (const cmd of ['pwd', `mkdir d${i} && cd d${i}`, 'ls']) out.push((await c.call({ type: 'step', data: { command: cmd } })).data);
        return out;
      }),
    );
    for (const r of replies.flat()) {
      expect(r).toMatchObject({ done: false, reward: null });
      const o = r['observation'] as { exit: unknown; cwd: unknown; terminal: string };
      expect(typeof o.exit).toBe('number');
      expect(typeof o.cwd).toBe('string');
      expect(o.terminal.startsWith('New Terminal Output:\n\nroot@4b1c0e7d2a9f:')).toBe(true);
    }
    expect(sched.stats.sequences - before).toBeGreaterThanOrEqual(18);
    expect(sched.stats.maxBatchSeen).toBeGreaterThan(1);
    await Promise.all(clients.map((c) => c.close()));
  });
});
