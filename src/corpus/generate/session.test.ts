import { describe, expect, it } from 'vitest';
import { FAMILIES } from './world.js';
import { generateScript, sessionId, sessionLength, sessionSeed } from './session.js';
import { Rng } from '../../core/rng.js';

const scripts = Array.from({ length: 300 }, (_, i) => generateScript(sessionSeed(3, i), sessionId(3, i)));

describe('session generator', () => {
  it('is a pure function of the seed', () => {
    const a = generateScript(sessionSeed(9, 4), 'x');
    const b = generateScript(sessionSeed(9, 4), 'x');
    expect(b).toEqual(a);
    expect(generateScript(sessionSeed(9, 5), 'x').turns).not.toEqual(a.turns);
  });

  it('derives distinct seeds and ids per session', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => sessionSeed(1, i)));
    expect(seeds.size).toBe(1000);
    expect(sessionId(1, 42)).toBe('gen-1-000042');
  });

  it('draws lengths in 1..60, mostly 5..30', () => {
    const r = new Rng(5);
    const ls = Array.from({ length: 4000 }, () => sessionLength(r));
    expect(Math.min(...ls)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...ls)).toBeLessThanOrEqual(60);
    const mid = ls.filter((n) => n >= 5 && n <= 30).length / ls.length;
    expect(mid).toBeGreaterThan(0.7);
    for (const s of scripts) expect(s.turns.length).toBeLessThanOrEqual(60);
  });

  it('covers every family and tags every turn with one', () => {
    const seen = new Set<string>();
    for (const s of scripts)
      for (const t of s.turns) {
        expect(FAMILIES).toContain(t.family);
        expect(t.cmd.trim()).not.toBe('');
        seen.add(t.family);
      }
    expect([...seen].sort()).toEqual([...FAMILIES].sort());
  });

  it('carries state: files written by heredoc are later read back by name', () => {
    let readsOfWritten = 0;
    for (const s of scripts) {
      const written = new Set<string>();
      for (const t of s.turns) {
        const w = /^cat > (\S+) <<'EOF'/.exec(t.cmd);
        if (w?.[1]) written.add(w[1]);
        const rd = /^(?:cat|head|tail|grep|wc|sort|python3)\b.* (\S+)$/.exec(t.cmd);
        if (rd?.[1] && written.has(rd[1])) readsOfWritten++;
      }
    }
    expect(readsOfWritten).toBeGreaterThan(100);
  });

  it('uses realistic names, not foo1..foo9', () => {
    const all = scripts.flatMap((s) => s.turns.map((t) => t.cmd)).join('\n');
    expect(all).not.toMatch(/\bfoo\d\b/);
    expect(all).toMatch(/\.py\b/);
    expect(all).toMatch(/\.csv\b/);
    expect(all).toMatch(/git commit -a?m /);
    expect(all).toMatch(/tar c/);
  });
});

describe('classifyCommand', () => {
  it('tags imported commands by program, operators outside quotes', async () => {
    const { classifyCommand } = await import('./classify.js');
    expect(classifyCommand('ls -la')).toBe('navigation');
    expect(classifyCommand("python -c 'import a; print(1)'")).toBe('python');
    expect(classifyCommand('make && make test')).toBe('operators');
    expect(classifyCommand("cat > x.py <<'EOF'\na; b\nEOF")).toBe('edit');
    expect(classifyCommand('git status')).toBe('git');
    expect(classifyCommand('echo $HOME')).toBe('env');
    expect(classifyCommand('tar xzf a.tgz')).toBe('archive');
    expect(classifyCommand('frobnicate')).toBe('other');
  });
});
