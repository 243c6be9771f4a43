/**
 * The bounds of Tier 1 on sessions recorded here from the real sandbox: real replaying its own
 * recordings scores 100% exact match on deterministic turns and 100% on the state probes; null
 * scores exactly the share of empty, exit-0 turns.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../../backends/registry.js';
import { nullBackend } from '../../backends/null/index.js';
import type { Backend } from '../../core/terminal.js';
import { noSandbox } from '../../backends/real/testkit.js';
import type { EvalData, EvalSession } from './data.js';
import { staticNondeterminism } from './determinism.js';
import { runTier1 } from './index.js';

const SCRIPTS: [string, string][][] = [
  [
    ['mkdir -p app/src && cd app', 'navigation'],
    ["printf 'alpha\\nbeta\\ngamma\\n' > words.txt", 'edit'],
    ['sort -r words.txt | head -n 2', 'text'],
    ['wc -l words.txt', 'inspect'],
    ['export MODE=prod', 'env'],
    ['echo "$MODE"', 'env'],
    ['cat nope.txt', 'errors'],
    ['echo $?', 'operators'],
    ['cd src && pwd', 'navigation'],
    ['ls -la', 'navigation'],
  ],
  [
    ["cat > notes.md <<'EOF'\n# Notes\nline two\nEOF", 'edit'],
    ['grep -n two notes.md', 'inspect'],
    ['python3 -c "print(6*7)"', 'python'],
    ['nosuchcmd', 'errors'],
    ['date', 'inspect'],
  ],
];

let real: Backend | null = null;
let why = '';
let data: EvalData | null = null;

beforeAll(async () => {
  if (noSandbox) return;
  try {
    real = await getBackend('real');
    const sessions: EvalSession[] = [];
    for (const [i, script] of SCRIPTS.entries()) {
      const spec = { deterministic: true, seed: i };
      const t = await real.start(spec);
      const turns = [];
      for (const [cmd, family] of script) {
        const r = await t.run(cmd);
        turns.push({ cmd, output: r.output, exit: r.exit, cwd: r.cwd, family, scored: true, nondeterministic: staticNondeterminism(cmd, family) });
      }
      await t.close();
      sessions.push({ id: `b${i}`, kind: 'sessions', spec, turns });
    }
    data = { path: '(recorded in test)', kind: 'sessions', sessions };
  } catch (e) {
    real = null;
    why = String(e);
  }
}, 120_000);

describe('tier1 bounds on the real sandbox', () => {
  // Needs the sandbox (root, namespaces, the root tree): skipped elsewhere, as every real-backend suite.
  it.skipIf(noSandbox)('real scores 100% and null the empty-exit-0 share', async () => {
    if (!real || !data) throw new Error(`could not record the sessions on the sandbox: ${why}`);
    const r = await runTier1({ target: real, baseline: nullBackend, oracle: real, data, concurrency: 2, bins: 10 });
    const ex = r.freeRunning.exact.overall;
    expect(r.oracle.replayAgreement?.rate).toBe(1);
    expect(r.data.excluded).toEqual({ 'file times': 1, clock: 1 });
    expect(ex.target.total).toBe(13);
    expect(ex.target.rate).toBe(1);
    const emptyOk = data.sessions.flatMap((s) => s.turns).filter((t) => t.nondeterministic === null && t.output.length === 0 && t.exit === 0).length;
    expect(ex.baseline.passed).toBe(emptyOk);
    expect(ex.baselineNonEmpty.passed).toBe(0);
    expect(r.freeRunning.functional?.overall.target.rate).toBe(1);
    expect(r.freeRunning.functional?.byProbe.cat?.target.total).toBeGreaterThan(0);
    expect(r.exactMatchByDepth['1']).toBe(1);
    expect(r.exactMatchByDepth['3']).toBe(1);
    expect(r.exactMatchByDepth['10']).toBeNull(); // turn 10 is `ls -la`: file times, excluded
  });
});
