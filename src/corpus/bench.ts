/**
 * `tw bench corpus`: how fast the corpus is made.
 *   - script generation alone (pure, no sandbox): scripts/s
 *   - recording on the real sandbox, 16 sessions in flight: sessions/s, turns/s, and the time
 *     2,000 sessions take (measured at 2,000 in a full run; projected from 200 with --quick)
 *   - task experts: success rate and tasks/s
 * Targets (issue 5): 2,000 sessions <= 600 s on the 2-core machine; experts >= 95%.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { realBackend } from '../backends/real/index.js';
import type { BenchOptions, BenchResult, BenchSuite } from '../bench/types.js';
import { generateCorpus } from './record/corpus.js';
import { generateScript, sessionId, sessionSeed } from './generate/session.js';
import { runPool } from './record/record.js';
import { checkTask, generateTasks } from './tasks/run.js';

async function run(opts: BenchOptions): Promise<BenchResult> {
  const nScripts = 2000;
  let t0 = performance.now();
  let turns = 0;
  for (let i = 0; i < nScripts; i++) turns += generateScript(sessionSeed(1, i), sessionId(1, i)).turns.length;
  const genSec = (performance.now() - t0) / 1000;

  const sessions = opts.quick ? 200 : 2000;
  const out = mkdtempSync(join(tmpdir(), 'tw-bench-corpus-'));
  let rec: Awaited<ReturnType<typeof generateCorpus>>;
  try {
    rec = await generateCorpus({ sessions, seed: 1, out, jobs: 16, backend: realBackend });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const per2000 = (rec.seconds / sessions) * 2000;

  const tasks = generateTasks(opts.quick ? 24 : 120, 1);
  let ok = 0;
  t0 = performance.now();
  await runPool(
    tasks,
    8,
    (t) => checkTask(t, realBackend),
    (r) => {
      if (r.success) ok++;
    },
  );
  const taskSec = (performance.now() - t0) / 1000;
  return {
    suite: 'corpus',
    metrics: [
      { name: 'script generation', value: nScripts / genSec, unit: 'scripts/s' },
      { name: `recording (${sessions} sessions, 16 in flight)`, value: sessions / rec.seconds, unit: 'sessions/s' },
      { name: 'recording', value: rec.stats.turns / rec.seconds, unit: 'turns/s' },
      { name: opts.quick ? '2,000 sessions (projected from 200)' : '2,000 sessions', value: per2000, unit: 's', target: { op: '<=', value: 600 } },
      { name: 'anomalous recordings re-recorded', value: rec.retried, unit: 'sessions' },
      { name: `task experts (${tasks.length} tasks)`, value: ok / tasks.length, unit: 'rate', target: { op: '>=', value: 0.95 } },
      { name: 'task check', value: tasks.length / taskSec, unit: 'tasks/s' },
    ],
    details: { scriptTurns: turns, recordedTurns: rec.stats.turns, rejected: rec.rejected, split: rec.counts },
  };
}

export const corpusBench: BenchSuite = { name: 'corpus', description: 'corpus: script generation, recording 2,000 sessions, task expert success', run };
