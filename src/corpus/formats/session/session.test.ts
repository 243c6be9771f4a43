import { describe, expect, it } from 'vitest';
import type { Session } from '../../../session/format.js';
import { binarySession, recordedSessions, roundTrip } from '../testkit.js';

const recorded = await recordedSessions();
const binary = binarySession(recorded[0] as Session);

describe('session JSONL round trip', () => {
  it('fixture holds real recorded sessions', () => {
    expect(recorded.length).toBe(3);
    expect(recorded.every((s) => s.backend === 'real' && s.turns.length >= 6)).toBe(true);
  });

  it('session JSONL: identity', () => {
    expect(roundTrip('session', 'session', [...recorded, binary])).toEqual([...recorded, binary]);
  });
});
