/**
 * Tier 1 on a served model: the endpoint backend in front of `tw serve` must give the same figures
 * as the learned backend it serves (greedy decoding, the same tiny model): exact match, and the
 * cross-entropy and calibration from teacher-forced scoring over HTTP. A served backend that cannot
 * score (justbash) gives no score figures, and the summary says which were skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { justbashBackend } from '../justbash/index.js';
import { learnedBackend, unloadAll } from '../learned/index.js';
import { tinyModelDir } from '../learned/testkit.js';
import { nullBackend } from '../null/index.js';
import type { Backend } from '../../core/terminal.js';
import type { EvalData, EvalSession, EvalTurn } from '../../eval/tier1/data.js';
import { runTier1 } from '../../eval/tier1/index.js';
import { summary } from '../../eval/tier1/report.js';
import { startServe, type Started } from '../../serve/server.js';
import { endpointBackend, forgetServers } from './index.js';

const turn = (cmd: string, output: string, cwd = '/root'): EvalTurn => ({
  cmd,
  output: Buffer.from(output),
  exit: 0,
  cwd,
  family: 'inspect',
  scored: true,
  nondeterministic: null,
});

function dataset(): EvalData {
  const turns = [turn('cd /tmp', '', '/tmp'), turn('echo hi', 'hi\r\n', '/tmp'), turn('ls', 'a.txt\r\n', '/tmp'), turn('pwd', '/tmp\r\n', '/tmp')];
  const s: EvalSession = { id: 's0', kind: 'sessions', spec: { mode: 'pty' }, turns };
  return { path: '(memory)', kind: 'sessions', sessions: [s, { ...s, id: 's1' }] };
}

let tiny: Started;
let bash: Started;
beforeAll(async () => {
  forgetServers();
  tiny = await startServe({ backend: learnedBackend, backendName: 'learned', modelId: 'tiny', baseOptions: { model: tinyModelDir() }, port: 0 });
  bash = await startServe({ backend: justbashBackend, backendName: 'justbash', modelId: 'justbash', baseOptions: { python: false }, port: 0 });
});
afterAll(async () => {
  await Promise.all([tiny?.close(), bash?.close()]);
  await unloadAll();
});

const tier1 = (target: Backend, options: Record<string, unknown>): ReturnType<typeof runTier1> =>
  runTier1({ target, baseline: nullBackend, oracle: null, oracleUnavailable: 'test', data: dataset(), options, concurrency: 2, bins: 10, ks: [1, Infinity] });

describe('Tier 1 through the endpoint backend', () => {
  it('matches the learned backend it serves: exact match, cross-entropy, calibration', async () => {
    const direct = await tier1(learnedBackend, { model: tinyModelDir() });
    const served = await tier1(endpointBackend, { url: tiny.url, timeoutMs: 20_000 });
    expect(served.reseedSupported).toBe(true);
    for (const mode of ['teacherForced', 'freeRunning'] as const) {
      expect(served[mode].exact.overall).toEqual(direct[mode].exact.overall);
      const a = direct[mode].scores?.crossEntropy.overall;
      const b = served[mode].scores?.crossEntropy.overall;
      expect(b).toBeDefined();
      expect(b?.outputBytes).toBe(a?.outputBytes);
      expect(b?.bitsPerByte).toBeCloseTo(a?.bitsPerByte ?? NaN, 6);
      expect(served[mode].scores?.calibration.overall.ece).toBeCloseTo(direct[mode].scores?.calibration.overall.ece ?? NaN, 6);
      expect(served[mode].scores?.calibration.overall.brier).toBeCloseTo(direct[mode].scores?.calibration.overall.brier ?? NaN, 6);
    }
  });

  it('a served backend that cannot score: the score figures are skipped, and the summary says so', async () => {
    const r = await tier1(endpointBackend, { url: bash.url, timeoutMs: 20_000 });
    expect(r.teacherForced.scores).toBeNull();
    expect(r.freeRunning.exact.overall.target.total).toBeGreaterThan(0);
    expect(summary(r)).toMatch(/cross-entropy \/ calibration: endpoint gives no token probabilities/);
  });
});
