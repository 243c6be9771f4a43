/**
 * Comparison fixtures: sessions recorded from the real sandbox (fixtures/comparison.jsonl)
 * replayed in fresh sandboxes must give the same bytes, exit codes and cwds.
 * TW_RECORD_FIXTURES=1 re-records them (after a change to the scripts or the root tree);
 * CI replays them (TW_FIXTURE_SUBSET=N replays only the first N sessions).
 */
import { renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { newSession, turnToRecord, type Session } from '../../session/format.js';
import { readAllSessions, SessionWriter } from '../../session/io.js';
import { requireRootfs } from '../../sandbox/rootfs.js';
import { FIXTURE_SCRIPTS, type FixtureScript } from './fixtures/scripts.js';
import { noSandbox, runAll } from './testkit.js';

const FILE = fileURLToPath(new URL('./fixtures/comparison.jsonl', import.meta.url));
const RECORD = process.env.TW_RECORD_FIXTURES === '1';

async function record(s: FixtureScript): Promise<Session> {
  const turns = await runAll(s.cmds, { mode: s.mode, seed: s.seed });
  const rootfs = requireRootfs();
  return newSession({
    id: `fixture-${s.id}`,
    backend: 'real',
    mode: s.mode,
    seed: s.seed,
    image: { id: rootfs.stamp.id, version: String(rootfs.stamp.version) },
    turns: turns.map((t) => ({ ...turnToRecord(t), ms: 0 })),
  });
}

describe.skipIf(noSandbox)('comparison fixtures recorded from the real sandbox (needs the sandbox)', () => {
  it.runIf(RECORD)('re-records the fixtures (TW_RECORD_FIXTURES=1)', async () => {
    const tmp = `${FILE}.tmp`;
    const w = new SessionWriter(tmp);
    for (const s of FIXTURE_SCRIPTS) w.append(await record(s));
    w.close();
    renameSync(tmp, FILE);
  });

  it.skipIf(RECORD)('replays every recorded session byte for byte', async () => {
    const recorded = await readAllSessions(FILE);
    const subset = Number(process.env.TW_FIXTURE_SUBSET ?? recorded.length);
    expect(recorded.map((s) => s.id)).toEqual(FIXTURE_SCRIPTS.map((s) => `fixture-${s.id}`));
    const stamp = requireRootfs().stamp;
    for (const old of recorded.slice(0, subset)) {
      expect(old.image, 'fixtures were recorded on another root tree: re-record with TW_RECORD_FIXTURES=1').toEqual({
        id: stamp.id,
        version: String(stamp.version),
      });
      const script = FIXTURE_SCRIPTS.find((s) => `fixture-${s.id}` === old.id);
      if (!script) throw new Error(`no script for ${old.id}`);
      const fresh = await record(script);
      for (let i = 0; i < old.turns.length; i++) {
        const { ms: _a, ...want } = old.turns[i] ?? { ms: 0 };
        const { ms: _b, ...got } = fresh.turns[i] ?? { ms: 0 };
        expect(got, `${old.id} turn ${i}`).toEqual(want);
      }
    }
  });
});
