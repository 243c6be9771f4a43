import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realBackend } from '../../backends/real/index.js';
import { noSandbox } from '../../backends/real/testkit.js';
import { Rng } from '../../core/rng.js';
import type { Backend, Terminal, Turn } from '../../core/terminal.js';
import { anomaly, generateCorpus } from '../record/corpus.js';
import { recordScript } from '../record/record.js';
import { FAR_BACK, grammarSession, grammarTurns, utilitiesOf } from './grammar.js';
import { generateScript, sessionId, sessionSeed } from './session.js';
import { FAMILIES } from './world.js';

const sessions = Array.from({ length: 300 }, (_, i) => grammarSession(new Rng(sessionSeed(21, i)), 30));

describe('grammar sessions', () => {
  it('are a pure function of the seed, with the asked length', () => {
    expect(grammarTurns(new Rng(7), 40)).toEqual(grammarTurns(new Rng(7), 40));
    expect(grammarTurns(new Rng(8), 40)).not.toEqual(grammarTurns(new Rng(7), 40));
    for (const s of sessions) expect(s.turns.length).toBe(30);
    expect(grammarTurns(new Rng(3), 1)).toHaveLength(1);
  });

  it('tag every turn with a corpus family, and cover most of them', () => {
    const seen = new Set<string>();
    for (const s of sessions)
      for (const t of s.turns) {
        expect(FAMILIES).toContain(t.family);
        expect(t.cmd.trim()).not.toBe('');
        seen.add(t.family);
      }
    for (const f of ['navigation', 'edit', 'inspect', 'text', 'env', 'operators', 'errors', 'python', 'archive']) expect(seen).toContain(f);
  });

  it('span many utilities: 60+ distinct leading utilities over 300 sessions', () => {
    const lead = new Set<string>();
    const all = new Set<string>();
    for (const s of sessions)
      for (const t of s.turns) {
        const u = utilitiesOf(t.cmd);
        if (u[0] !== undefined) lead.add(u[0]);
        for (const x of u) all.add(x);
      }
    expect(lead.size).toBeGreaterThanOrEqual(60);
    expect(all.size).toBeGreaterThanOrEqual(80);
    // and the constructs of the grammar
    const text = sessions.flatMap((s) => s.turns.map((t) => t.cmd)).join('\n');
    for (const re of [
      / && /,
      / \|\| /,
      /\| /,
      /^\( /m,
      /\{ .*; \}/,
      /\bfor \w+ in /,
      /for \(\(/,
      /\bwhile /,
      /\bif \[/,
      /\bcase .* esac/,
      /\(\) \{/,
      /<<'?\w+'?\n/,
      /<<< /,
      /2>&1/,
      /2>\/dev\/null/,
      / >> /,
      /\| tee /,
      /\$\{#\w+\}/,
      /\$\{\w+%/,
      /\$\{\w+#/,
      /\$\{\w+\/\/?/,
      /\w+=\(/,
      /\$\(\(/,
      /\[\[ /,
      /printf -v/,
      /set -- /,
      /\bexport /,
      /\bunset /,
      /\balias /,
      /\blocal /,
      /\bshift\b/,
      /\bread -r /,
    ])
      expect(text).toMatch(re);
  });

  it('draw names from an open vocabulary in varied working folders', () => {
    const bases = new Set<string>();
    const roots = new Set<string>();
    for (const s of sessions) {
      const m = /^(?:\w+=)?(?:mkdir -p )(\S+)/.exec(s.turns[0]?.cmd ?? '');
      if (m?.[1]) {
        bases.add(m[1]);
        roots.add(m[1].split('/')[1] ?? '');
      }
    }
    expect(bases.size).toBeGreaterThan(200);
    expect(roots.size).toBeGreaterThanOrEqual(8);
  });

  it('take error paths at a realistic rate (about 15%)', () => {
    const ts = sessions.flatMap((s) => s.turns);
    const fail = ts.filter((t) => t.expect === 'fail').length / ts.length;
    expect(fail).toBeGreaterThan(0.08);
    expect(fail).toBeLessThan(0.25);
  });

  it('read far back: most long sessions make a memo early and read it 20+ turns later, not in between', () => {
    let withMemo = 0;
    for (const s of sessions) {
      if (s.memos.length > 0) withMemo++;
      for (const m of s.memos) {
        const name = m.kind === 'file' ? posix.basename(m.name) : m.name;
        expect(s.turns[m.at]?.cmd).toContain(name);
        for (const j of m.readAt) {
          expect(j - m.at).toBeGreaterThanOrEqual(FAR_BACK);
          expect(s.turns[j]?.cmd).toContain(name);
        }
        const first = Math.min(...m.readAt);
        for (let j = m.at + 1; j < first; j++)
          expect(s.turns[j]?.cmd ?? '').not.toMatch(new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/\./g, '\\.')}($|[^A-Za-z0-9_])`));
      }
    }
    expect(withMemo / sessions.length).toBeGreaterThan(0.7);
    // short sessions have no room for one
    expect(grammarSession(new Rng(5), 12).memos).toEqual([]);
  });

  it('stay away from what cannot replay: randomness, PIDs, clocks, /proc, sleeps, leaving the shell', () => {
    for (const s of sessions)
      for (const t of s.turns) {
        const c = t.cmd;
        expect(c).not.toMatch(/\$RANDOM|\$SRANDOM|\$\$|\$BASHPID|\$!|\$SECONDS|EPOCH|\/proc|set -e|\/dev\/urandom/);
        // at a command position (content words may be anything)
        expect(c).not.toMatch(/(^|[;&|(]\s*|\{\s+|\$\(\s*|\bdo\s+|\bthen\s+|\belse\s+)(sleep|ps|top|exec|mktemp|curl|wget|shuf|less|more|vi|vim|nano|man)\b/);
        expect(c).not.toMatch(/(^|[;&|]\s*)(exit|logout)\b/);
        expect(c).not.toMatch(/(^|[;&|(]\s*)date\b(?! -u -d)/);
      }
  });

  it('are valid bash: every command meant to succeed parses (bash -n), here-docs included', () => {
    const script = sessions
      .slice(0, 120)
      .flatMap((s) => s.turns.filter((t) => t.expect !== 'fail').map((t) => t.cmd))
      .join('\n');
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('grammarShare', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => sessionSeed(4, i));

  it('defaults to 0, which leaves generateScript exactly as it was', () => {
    for (const seed of seeds) {
      const base = generateScript(seed, 'x');
      expect(generateScript(seed, 'x', { grammarShare: 0 })).toEqual(base);
      expect(generateScript(seed, 'x', {})).toEqual(base);
    }
  });

  it('turns about that share of sessions into grammar sessions and leaves the others unchanged', () => {
    let changed = 0;
    for (const seed of seeds) {
      const base = generateScript(seed, 'x');
      const mixed = generateScript(seed, 'x', { grammarShare: 0.5 });
      if (JSON.stringify(mixed) !== JSON.stringify(base)) changed++;
      // a session that is a grammar session at 0.5 is one at 1 too
      if (JSON.stringify(mixed) !== JSON.stringify(base)) expect(generateScript(seed, 'x', { grammarShare: 1 })).toEqual(mixed);
    }
    expect(changed).toBeGreaterThan(10);
    expect(changed).toBeLessThan(30);
    for (const seed of seeds.slice(0, 10)) expect(generateScript(seed, 'x', { grammarShare: 1 })).not.toEqual(generateScript(seed, 'x'));
  });

  it('is recorded in run.json, and a resume with another share stops', async () => {
    const fake: Backend = {
      name: 'fake',
      description: 'test',
      start: async () => {
        const t: Terminal = {
          info: { backend: 'fake', mode: 'pty' },
          dead: false,
          run: async (cmd: string): Promise<Turn> => ({
            cmd,
            output: Buffer.from(`${cmd.length}\r\n`),
            exit: 0,
            cwd: '/root',
            ms: 1,
            timedOut: false,
            truncated: false,
          }),
          close: async () => {},
        };
        return t;
      },
    };
    const out = mkdtempSync(join(tmpdir(), 'tw-grammar-'));
    const r = await generateCorpus({ sessions: 6, seed: 3, out, jobs: 2, backend: fake, grammarShare: 0.5 });
    expect(r.recorded).toBe(6);
    expect(JSON.parse(readFileSync(join(out, 'raw', 'run.json'), 'utf8'))).toMatchObject({ grammarShare: 0.5 });
    await expect(generateCorpus({ sessions: 6, seed: 3, out, jobs: 2, backend: fake })).rejects.toThrow(/grammarShare=0\.5/);
    await expect(
      generateCorpus({ sessions: 6, seed: 3, out: mkdtempSync(join(tmpdir(), 'tw-grammar-')), jobs: 2, backend: fake, grammarShare: 2 }),
    ).rejects.toThrow(/from 0 to 1/);
  });
});

describe.skipIf(noSandbox)('grammar sessions on the real sandbox', { timeout: 240_000 }, () => {
  it('record without dead sessions or timeouts, and most turns print something', async () => {
    let turns = 0;
    let nonEmpty = 0;
    for (let i = 0; i < 10; i++) {
      const script = generateScript(sessionSeed(77, i), sessionId(77, i), { grammarShare: 1 });
      const s = await recordScript(realBackend, script);
      expect(anomaly(s)).toBeNull();
      expect(s.turns).toHaveLength(script.turns.length);
      for (const t of s.turns) {
        turns++;
        const bytes = typeof t.output === 'string' ? Buffer.byteLength(t.output) : Buffer.from(t.output.base64, 'base64').length;
        if (bytes > 0) nonEmpty++;
        expect(bytes).toBeLessThan(4000);
      }
    }
    expect(nonEmpty / turns).toBeGreaterThan(0.5);
  });
});
