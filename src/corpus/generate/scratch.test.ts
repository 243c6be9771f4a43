import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { scratchTurns, syllableWord } from './scratch.js';
import { generateScript, sessionId, sessionSeed } from './session.js';
import { FAMILIES } from './world.js';

const sessions = Array.from({ length: 400 }, (_, i) => scratchTurns(new Rng(1000 + i), 20));

describe('scratch sessions', () => {
  it('are a pure function of the seed, with the asked length', () => {
    expect(scratchTurns(new Rng(7), 15)).toEqual(scratchTurns(new Rng(7), 15));
    expect(scratchTurns(new Rng(8), 15)).not.toEqual(scratchTurns(new Rng(7), 15));
    for (const s of sessions) expect(s.length).toBe(20);
  });

  it('tag every turn with a corpus family', () => {
    const seen = new Set<string>();
    for (const s of sessions)
      for (const t of s) {
        expect(FAMILIES).toContain(t.family);
        seen.add(t.family);
      }
    for (const f of ['navigation', 'edit', 'inspect', 'text', 'env', 'operators', 'errors', 'python']) expect(seen).toContain(f);
  });

  it('draw names from an open vocabulary: few repeat across sessions', () => {
    const names = new Map<string, number>();
    for (const s of sessions)
      for (const t of s) {
        const m = /^(?:touch|mkdir) (\S+)$/.exec(t.cmd);
        if (m?.[1]) names.set(m[1], (names.get(m[1]) ?? 0) + 1);
      }
    expect(names.size).toBeGreaterThan(300);
    const words = new Set(Array.from({ length: 2000 }, (_, i) => syllableWord(new Rng(i))));
    expect(words.size).toBeGreaterThan(1500);
  });

  it('read back what they wrote: most written files are read later in the session', () => {
    let written = 0;
    let readBack = 0;
    for (const s of sessions)
      s.forEach((t, i) => {
        const m = /> (\S+)$/.exec(t.cmd.split('\n')[0] ?? '');
        if (!m?.[1] || t.family !== 'edit') return;
        written++;
        if (s.slice(i + 1).some((u) => u.cmd.includes(m[1] as string))) readBack++;
      });
    expect(written).toBeGreaterThan(500);
    expect(readBack / written).toBeGreaterThan(0.5);
  });

  it('make up half of the generated corpus, working outside ~/<project>', () => {
    const scripts = Array.from({ length: 400 }, (_, i) => generateScript(sessionSeed(5, i), sessionId(5, i)));
    const scratch = scripts.filter((s) => s.turns.some((t) => /^mkdir (-p )?\/(tmp|srv|opt|var|home|mnt)\//.test(t.cmd)));
    expect(scratch.length / scripts.length).toBeGreaterThan(0.25);
    expect(scratch.length / scripts.length).toBeLessThan(0.5);
  });
});
