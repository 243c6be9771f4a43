import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, Terminal, Turn } from '../../core/terminal.js';
import { readAllSessions } from '../../session/io.js';
import { generateCorpus } from './corpus.js';
import { corpusStats } from './stats.js';

/** A stand-in backend: output = the command reversed, so every session's content differs. */
function fakeBackend(log: string[], glitch: (cmd: string, n: number) => boolean = () => false): Backend {
  let n = 0;
  return {
    name: 'fake',
    description: 'test',
    start: async () => {
      const t: Terminal = {
        info: { backend: 'fake', mode: 'pty' },
        dead: false,
        run: async (cmd: string): Promise<Turn> => {
          log.push(cmd);
          const bad = glitch(cmd, n++);
          return {
            cmd,
            output: Buffer.from([...cmd].reverse().join('') + '\r\n'),
            exit: bad ? 130 : cmd.startsWith('cat missing') ? 1 : 0,
            cwd: '/root',
            ms: 1,
            timedOut: false,
            truncated: false,
          };
        },
        close: async () => {},
      };
      return t;
    },
  };
}

describe('generateCorpus', () => {
  it('writes splits, a manifest and stats, and resumes without redoing work', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tw-corpus-'));
    const log: string[] = [];
    const r1 = await generateCorpus({ sessions: 30, seed: 5, out, jobs: 4, backend: fakeBackend(log) });
    expect(r1.recorded).toBe(30);
    expect(r1.check.ok).toBe(true);
    expect(r1.counts.train + r1.counts.valid + r1.counts.test).toBe(30);
    const cmds1 = log.length;
    expect(r1.stats.turns).toBe(cmds1);

    // a crash mid-write leaves a torn last line: it is dropped and that session redone
    appendFileSync(join(out, 'raw', 'sessions.jsonl'), '{"format":"terminalworld.session","ver');
    const r2 = await generateCorpus({ sessions: 34, seed: 5, out, jobs: 4, backend: fakeBackend(log) });
    expect(r2.skipped).toBe(30);
    expect(r2.recorded).toBe(4);
    const all = [
      ...(await readAllSessions(join(out, 'train.jsonl'))),
      ...(await readAllSessions(join(out, 'valid.jsonl'))),
      ...(await readAllSessions(join(out, 'test.jsonl'))),
    ];
    expect(new Set(all.map((s) => s.id)).size).toBe(34);
    expect(all.every((s) => s.turns.every((t) => typeof t.family === 'string'))).toBe(true);

    const st = await corpusStats(out);
    expect(st.sessions).toBe(34);
    expect(Object.values(st.families).reduce((a, b) => a + b, 0)).toBe(st.turns);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { format: string; check: { ok: boolean } };
    expect(manifest.format).toBe('terminalworld.corpus');
    expect(manifest.check.ok).toBe(true);

    expect(r1.retried).toBe(0);
    await expect(generateCorpus({ sessions: 34, seed: 6, out, jobs: 4, backend: fakeBackend(log) })).rejects.toThrow(/seed=5/);
  });
});

describe('anomalous recordings', () => {
  it('re-records a session that hit exit 130, and rejects one that keeps failing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tw-corpus-'));
    // the very first command recorded glitches once; every `pwd` always glitches
    const r = await generateCorpus({ sessions: 12, seed: 8, out, jobs: 1, backend: fakeBackend([], (cmd, n) => n === 0 || cmd === 'pwd') });
    const withPwd = await import('../generate/session.js');
    const pwdSessions = Array.from({ length: 12 }, (_, i) => withPwd.generateScript(withPwd.sessionSeed(8, i), 'x')).filter((s) =>
      s.turns.some((t) => t.cmd === 'pwd'),
    ).length;
    expect(pwdSessions).toBeGreaterThan(0);
    expect(r.rejected).toBe(pwdSessions);
    expect(r.recorded).toBe(12 - pwdSessions);
    expect(r.retried).toBeGreaterThanOrEqual(1 + 2 * pwdSessions - 1);
    const rejected = await readAllSessions(join(out, 'raw', 'rejected.jsonl'));
    expect(rejected.every((s) => String(s.meta?.['rejected']).includes('exited 130'))).toBe(true);
    const again = await generateCorpus({ sessions: 12, seed: 8, out, jobs: 1, backend: fakeBackend([]) });
    expect(again.skipped).toBe(12);
  });
});
