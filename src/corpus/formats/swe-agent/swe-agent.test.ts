import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FX, importFile } from '../testkit.js';

const EXTERNAL = '/work/shared/external/swe-agent-sessions.jsonl';

describe('SWE-agent importer', () => {
  it('reads a .traj file, one action per turn, tools tagged agent-tool', () => {
    const r = importFile('swe-agent', `${FX}/swe-agent.traj`);
    const t = r.sessions[0]?.turns ?? [];
    expect(t.map((x) => x.cmd)).toEqual([
      'ls -F',
      'grep -rn "def parse" src | head -n 3',
      'open src/parser.py 10',
      `python -c 'import src.parser as p; print(p.parse("a b"))'`,
      'submit',
    ]);
    expect(t.map((x) => x.family)).toEqual(['navigation', 'inspect', 'agent-tool', 'python', 'agent-tool']);
    expect(t[1]?.output).toBe('src/parser.py:10:def parse(text):');
    expect(t.every((x) => x.cwd === '/repo' && x.exit === -1)).toBe(true);
  });
  // format test only: the external file is evaluation data, never training data
  it.skipIf(!existsSync(EXTERNAL))('reads the shared external swe-agent-sessions.jsonl (14 sessions, 152 turns)', () => {
    const r = importFile('swe-agent', EXTERNAL);
    expect(r.taken).toBe(14);
    expect(r.skipped).toEqual([]);
    expect(r.turns).toBe(152);
    expect(r.sessions.flatMap((s) => s.turns).filter((t) => t.family === 'agent-tool').length).toBeGreaterThan(0);
  });
});
