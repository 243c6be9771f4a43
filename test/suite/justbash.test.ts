import { justbashBackend } from '../../src/backends/justbash/index.js';
import { runTerminalSuite } from './terminal-suite.js';

runTerminalSuite({
  name: 'justbash',
  make: (spec) => justbashBackend.start({ ...spec, options: { python: false } }),
  skip: {
    'pty: stdout and stderr interleave in order':
      'just-bash returns stdout and stderr as two strings, so their interleaving is lost (pty output = stdout then stderr)',
  },
});
