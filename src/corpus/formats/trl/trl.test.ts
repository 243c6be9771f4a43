import { describe, expect, it } from 'vitest';
import type { Session } from '../../../session/format.js';
import { EXPORT_FORMATS } from '../index.js';
import { observation, parseObservation } from '../messages.js';
import { recordedSessions, roundTrip } from '../testkit.js';
import { ECHO_TEMPLATE, POLICY_TEMPLATE } from './templates.js';

const recorded = await recordedSessions();

describe('TRL messages round trip', () => {
  for (const exp of ['trl-policy', 'trl-echo'] as const) {
    it(`${exp}: commands, outputs and exit codes survive (cwd and timing are not in the format)`, () => {
      const back = roundTrip(exp, 'trl-messages', recorded);
      expect(back.map((s) => s.id)).toEqual(recorded.map((s) => s.id));
      const strip = (ss: Session[]) => ss.map((s) => s.turns.map((t) => [t.cmd, t.output, t.exit]));
      expect(strip(back)).toEqual(strip(recorded));
    });
  }

  it('TRL rows alternate assistant commands and user observations after system + task', () => {
    const row = EXPORT_FORMATS['trl-policy']?.row(recorded[0] as Session) as { messages: { role: string; content: string }[] };
    const t0 = recorded[0]?.turns[0];
    expect(row.messages.slice(0, 4).map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(row.messages[2]?.content).toBe(t0?.cmd);
    expect(row.messages[3]?.content).toBe(`${String(t0?.output)}[exit ${t0?.exit}]`);
  });

  it('task rollouts export with their instruction as the task message, and it comes back', () => {
    const rollout: Session = {
      ...(recorded[0] as Session),
      id: 'rollout-x',
      meta: { task: { id: 'x', family: 'csv-sum', instruction: 'Sum the amounts.', success: true } },
    };
    const row = EXPORT_FORMATS['trl-policy']?.row(rollout) as { messages: { role: string; content: string }[] };
    expect(row.messages[1]).toEqual({ role: 'user', content: 'Sum the amounts.' });
    const back = roundTrip('trl-policy', 'trl-messages', [rollout]);
    expect(back[0]?.meta?.['task']).toEqual({ instruction: 'Sum the amounts.' });
  });

  it('observation framing parses back, and unknown exits are left out', () => {
    expect(parseObservation(observation({ output: 'a\r\n[exit 3]', exit: 1 }))).toEqual({ output: 'a\r\n[exit 3]', exit: 1 });
    expect(observation({ output: 'x\n', exit: -1 })).toBe('x\n');
    expect(parseObservation('x\n')).toEqual({ output: 'x\n', exit: -1 });
  });

  it('templates mark the right messages for assistant_only_loss', () => {
    expect(POLICY_TEMPLATE).toContain("message['role'] == 'assistant'");
    expect(POLICY_TEMPLATE).toContain('{% generation %}');
    expect(ECHO_TEMPLATE).toContain('loop.index0 >= 2');
    expect(ECHO_TEMPLATE.match(/\{% generation %\}/g)?.length).toBe(1);
  });
});
