/**
 * vitest global setup: every test file's temporary folders (mkdtemp under os.tmpdir()) go in one
 * folder per run, removed when the run ends, so that a run leaves nothing behind in /tmp.
 * The folder is made here, before the worker processes start, and reaches them through TMPDIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tw-vitest-'));
  const before = process.env['TMPDIR'];
  process.env['TMPDIR'] = dir;
  return () => {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    if (process.env['TW_KEEP_TEST_TMP'] !== '1') rmSync(dir, { recursive: true, force: true });
  };
}
