import { describe, expect, it } from 'vitest';
import { sessionSchema, type Session } from '../../../session/format.js';
import { EXPORT_FORMATS } from '../index.js';
import { binarySession, FX, importFile, recordedSessions, roundTrip } from '../testkit.js';

const recorded = await recordedSessions();
const binary = binarySession(recorded[0] as Session);

describe('ATIF round trip', () => {
  it('ATIF v1.6: exact, including non-UTF-8 output, exit, cwd and family', () => {
    const back = roundTrip('atif', 'atif', [...recorded, binary]);
    expect(back).toEqual([...recorded, binary]);
    for (const s of back) expect(sessionSchema.safeParse(s).success).toBe(true);
    const atif = EXPORT_FORMATS['atif']?.row(recorded[0] as Session) as {
      schema_version: string;
      steps: { tool_calls: { function_name: string; arguments: { keystrokes: string } }[] }[];
    };
    expect(atif.schema_version).toBe('ATIF-v1.6');
    expect(atif.steps[0]?.tool_calls[0]?.function_name).toBe('bash_command');
    expect(atif.steps[0]?.tool_calls[0]?.arguments.keystrokes).toBe(`${recorded[0]?.turns[0]?.cmd}\n`);
  });

  it('task rollouts export with their instruction as the first step, and come back exactly', () => {
    const rollout: Session = {
      ...(recorded[0] as Session),
      id: 'rollout-x',
      meta: { task: { id: 'x', family: 'csv-sum', instruction: 'Sum the amounts.', success: true } },
    };
    const atif = EXPORT_FORMATS['atif']?.row(rollout) as { steps: { source: string; message: string }[] };
    expect(atif.steps[0]).toEqual({ step_id: 1, source: 'user', message: 'Sum the amounts.' });
    expect(roundTrip('atif', 'atif', [rollout])).toEqual([rollout]);
  });
});

describe('ATIF importer', () => {
  it('reads a Terminus-2 trajectory: one screen for two calls, and a per-call result', () => {
    const r = importFile('atif', `${FX}/atif.json`);
    expect(r.taken).toBe(1);
    const t = r.sessions[0]?.turns ?? [];
    expect(t.map((x) => [x.cmd, x.output])).toEqual([
      ['ls', 'notes.txt\n'],
      ['pwd', '/app\n'],
      ['echo done > /app/out.txt && cat /app/out.txt', 'done\n'],
    ]);
    expect(r.sessions[0]?.id).toBe('trial-7f3a');
  });
  it('skips rows that are not ATIF v1, with their line numbers', () => {
    const r = importFile('atif', `${FX}/atif-rows.jsonl`);
    expect(r.taken).toBe(2);
    // per-call results without prompts are whole outputs; the "New Terminal Output:" marker is dropped
    expect(r.sessions[1]?.turns.map((t) => [t.cmd, t.output])).toEqual([
      ['ls /srv', 'Makefile  src\n'],
      ['make', "make: *** No rule to make target 'all'.  Stop."],
    ]);
    expect(r.skipped).toEqual([
      { line: 2, reason: 'schema_version "ATIF-v0.9" is not ATIF v1.x' },
      { line: 3, reason: 'no `steps` array (not an ATIF trajectory)' },
    ]);
  });
});
