import { nullBackend } from '../../src/backends/null/index.js';
import { CASE_NAMES, runTerminalSuite } from './terminal-suite.js';

/** The null backend prints nothing and exits 0: it shows only the behaviours that need no shell. */
const KEEP = [
  'info names the backend and the mode',
  'a command with no output gives empty bytes and exit 0',
  'onOutput chunks arrive before run resolves and concatenate to the output',
  'close resolves',
];
const REASON = 'the null backend has no shell: empty output, exit 0, fixed cwd (it is the floor of every score)';

runTerminalSuite({
  name: 'null',
  make: (spec) => nullBackend.start(spec),
  skip: Object.fromEntries(CASE_NAMES.filter((n) => !KEEP.includes(n)).map((n) => [n, REASON])),
});
