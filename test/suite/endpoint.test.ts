import { afterAll, beforeAll } from 'vitest';
import { endpointBackend, forgetServers } from '../../src/backends/endpoint/index.js';
import { justbashBackend } from '../../src/backends/justbash/index.js';
import { learnedBackend, unloadAll } from '../../src/backends/learned/index.js';
import { tinyModelDir } from '../../src/backends/learned/testkit.js';
import { startServe, type Started } from '../../src/serve/server.js';
import { CASE_NAMES, runTerminalSuite } from './terminal-suite.js';

/**
 * The endpoint backend against `tw serve` on loopback: once serving justbash (a terminal that knows
 * bash, so the whole conversation path is checked byte for byte: chat, streaming, and a raw ChatML
 * prompt on /v1/completions), once serving the tiny untrained learned model (the interface only,
 * as test/suite/learned.test.ts).
 */
let bash: Started | null = null;
let tiny: Started | null = null;

beforeAll(async () => {
  forgetServers();
  bash = await startServe({ backend: justbashBackend, backendName: 'justbash', modelId: 'justbash', baseOptions: { python: false }, port: 0 });
  tiny = await startServe({ backend: learnedBackend, backendName: 'learned', modelId: 'tiny', baseOptions: { model: tinyModelDir() }, port: 0 });
});
afterAll(async () => {
  await Promise.all([bash?.close(), tiny?.close()]);
  await unloadAll();
});

const JUSTBASH_SKIP = {
  'pty: stdout and stderr interleave in order': 'the served backend, just-bash, returns stdout and stderr as two strings (see test/suite/justbash.test.ts)',
};
const url = (s: Started | null): string => {
  if (!s) throw new Error('server not started');
  return s.url;
};

for (const [variant, extra] of [
  ['chat', {}],
  ['chat, streaming', { stream: true }],
  ['completions (ChatML prompt)', { api: 'completions' }],
] as const) {
  runTerminalSuite({
    name: `endpoint -> tw serve (justbash), ${variant}`,
    make: (spec) => endpointBackend.start({ ...spec, options: { ...spec.options, url: url(bash), timeoutMs: 20_000, ...extra } }),
    skip: JUSTBASH_SKIP,
  });
}

const KEEP = ['info names the backend and the mode', 'onOutput chunks arrive before run resolves and concatenate to the output', 'close resolves'];
const REASON = 'needs a trained model: the served model is the tiny untrained one of the tests (seeded noise)';
runTerminalSuite({
  name: 'endpoint -> tw serve (learned, tiny model)',
  make: (spec) => endpointBackend.start({ ...spec, options: { ...spec.options, url: url(tiny), timeoutMs: 20_000 } }),
  skip: Object.fromEntries(CASE_NAMES.filter((n) => !KEEP.includes(n)).map((n) => [n, REASON])),
});
