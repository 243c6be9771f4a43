import { afterAll } from 'vitest';
import { learnedBackend, unloadAll } from '../../src/backends/learned/index.js';
import { tinyModelDir } from '../../src/backends/learned/testkit.js';
import { CASE_NAMES, runTerminalSuite } from './terminal-suite.js';

/**
 * The learned backend with the tiny untrained model of the tests (seeded, made in the test): it
 * shows the interface behaviours; every behaviour that needs the model to know bash is skipped,
 * because an untrained 2-layer model prints noise. The shipped model is measured by
 * `tw eval tier1` and `tw probe --backend learned` instead.
 */
const KEEP = ['info names the backend and the mode', 'onOutput chunks arrive before run resolves and concatenate to the output', 'close resolves'];
const REASON = 'needs a trained model: the CI model is a tiny untrained one (seeded noise), see docs/learned.md';
const SKIP: Record<string, string> = Object.fromEntries(CASE_NAMES.filter((n) => !KEEP.includes(n)).map((n) => [n, REASON]));
SKIP['output over the cap is truncated and flagged'] =
  'the tiny model has a 64-token context, it cannot write 1000 bytes (the cap itself is tested in src/backends/learned/terminal.test.ts)';
SKIP['a command past its timeout is stopped and the session goes on'] =
  'a learned terminal runs no process: `sleep 20` costs decode time only, so there is nothing to time out';

afterAll(async () => {
  await unloadAll();
});

runTerminalSuite({
  name: 'learned',
  make: (spec) => learnedBackend.start({ ...spec, options: { ...spec.options, model: tinyModelDir() } }),
  skip: SKIP,
});
