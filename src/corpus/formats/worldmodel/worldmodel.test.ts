import { describe, expect, it } from 'vitest';
import type { Session } from '../../../session/format.js';
import { EXPORT_FORMATS } from '../index.js';
import { recordedSessions, roundTrip } from '../testkit.js';

const recorded = await recordedSessions();

describe('world-model rows round trip', () => {
  it('worldmodel: commands, outputs and exit codes survive (cwd and timing are not in the format)', () => {
    const back = roundTrip('worldmodel', 'worldmodel', recorded);
    expect(back.map((s) => s.id)).toEqual(recorded.map((s) => s.id));
    const strip = (ss: Session[]) => ss.map((s) => s.turns.map((t) => [t.cmd, t.output, t.exit]));
    expect(strip(back)).toEqual(strip(recorded));
  });

  it('rows swap the roles: user = command, assistant = output + [exit N]', () => {
    const t0 = recorded[0]?.turns[0];
    const wm = EXPORT_FORMATS['worldmodel']?.row(recorded[0] as Session) as { messages: { role: string; content: string }[] };
    expect(wm.messages.slice(1, 3)).toEqual([
      { role: 'user', content: t0?.cmd },
      { role: 'assistant', content: `${String(t0?.output)}[exit ${t0?.exit}]` },
    ]);
  });
});
