import { describe, expect, it } from 'vitest';
import type { Backend, Terminal, Turn } from '../../core/terminal.js';
import { limiter, runProbeSession } from './exec.js';
import { parseProbeFile } from './loader.js';

const [probe] = parseProbeFile('- id: p\n  description: d\n  turns: [{ cmd: first }, { cmd: second }, { cmd: third }]\n', 't.yaml', 'errors');
if (!probe) throw new Error('no probe');

/** A backend whose terminal answers `first`, then misbehaves on `second` as told. */
function fake(onSecond: 'throw' | 'hang' | 'die'): Backend & { closed: number } {
  const b = {
    name: 'fake',
    description: 'test double',
    closed: 0,
    start: async (): Promise<Terminal> => {
      let dead = false;
      return {
        info: { backend: 'fake', mode: 'pty' },
        get dead() {
          return dead;
        },
        deadReason: 'it fell over',
        run: async (cmd: string): Promise<Turn> => {
          if (cmd === 'second') {
            if (onSecond === 'throw') throw new Error('segfault in backend');
            if (onSecond === 'hang') await new Promise(() => undefined);
            dead = true;
          }
          return { cmd, output: Buffer.from(cmd), exit: 0, cwd: '/', ms: 0, timedOut: false, truncated: false };
        },
        close: async () => {
          b.closed++;
          if (onSecond === 'hang') await new Promise(() => undefined);
        },
      };
    },
  };
  return b;
}

describe('running a probe session', () => {
  it('a backend that throws mid-probe fails the session with the reason, and is closed', async () => {
    const b = fake('throw');
    const r = await runProbeSession(b, probe, 1);
    expect(r.turns.map((t) => t.output.toString())).toEqual(['first']);
    expect(r.error).toBe('segfault in backend');
    expect(b.closed).toBe(1);
  });

  it('a dead session stops the probe with its reason', async () => {
    const r = await runProbeSession(fake('die'), probe, 1);
    expect(r.turns).toHaveLength(2);
    expect(r.error).toBe('session died before `third`: it fell over');
  });

  it('a backend that hangs is abandoned after its timeout plus grace', async () => {
    const hung = {
      ...probe,
      turns: [
        { cmd: 'first', grade: 'exact' as const },
        { cmd: 'second', grade: 'exact' as const, timeoutMs: 50 },
      ],
    };
    const t0 = Date.now();
    const r = await runProbeSession(fake('hang'), hung, 1, 100);
    expect(r.error).toMatch(/`second`: no answer after 150 ms \(backend hung\)/);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('a backend that cannot start fails with the reason', async () => {
    const b: Backend = { name: 'x', description: 'x', start: async () => Promise.reject(new Error('no sandbox')) };
    expect((await runProbeSession(b, probe, 1)).error).toBe('session start failed: no sandbox');
  });
});

describe('limiter', () => {
  it('never runs more than n at once and runs everything', async () => {
    const limit = limiter(3);
    let active = 0;
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 1 + (i % 3)));
          active--;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(done).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
