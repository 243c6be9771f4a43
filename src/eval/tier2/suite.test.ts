/**
 * The probe passes CI runs: the whole suite on the real sandbox (must be 100%: this proves the
 * suite and its fixtures) and on just-bash, concurrently, plus the null floor.
 */
import { describe, expect, it } from 'vitest';
import { justbashBackend } from '../../backends/justbash/index.js';
import { nullBackend } from '../../backends/null/index.js';
import { realBackend } from '../../backends/real/index.js';
import { noSandbox } from '../../backends/real/testkit.js';
import { DEFAULT_PROBE_ROOT, loadProbes } from './loader.js';
import { summarise } from './report.js';
import { loadFixtureSet, runProbes } from './runner.js';

const probes = loadProbes();
const fixtures = loadFixtureSet(DEFAULT_PROBE_ROOT, probes);

describe('probe passes', () => {
  // Skipped only where the machine cannot run the sandbox; CI runs setup.sh as root first.
  it.skipIf(noSandbox)(
    'real scores 100% and just-bash lands between the null floor and it (sessions run concurrently)',
    async () => {
      // One backend after the other, sessions concurrent within each: just-bash computes on this
      // process's event loop (its python is WebAssembly), which would starve the real backend's I/O
      // and time its commands out if both ran at once.
      const first = await runProbes(realBackend, probes, fixtures, { jobs: 8 });
      // Known real-backend flake (reported to its owner): under heavy CPU load with many pty sessions,
      // a command blocked writing a large output is sometimes interrupted (cut at 8,192 bytes, exit 130).
      // A failing probe is re-run once on its own, loudly; one that fails twice fails the test.
      const retry = probes.filter((p) => first.find((r) => r.id === p.id && !r.passed));
      for (const r of first.filter((x) => !x.passed))
        console.warn(`real: ${r.id} failed once, re-running: ${r.failures.map((f) => f.message ?? f.what).join('; ')}`);
      const again = retry.length ? await runProbes(realBackend, retry, fixtures, { jobs: 1 }) : [];
      const real = first.map((r) => again.find((a) => a.id === r.id) ?? r);
      const jb = await runProbes(justbashBackend, probes, fixtures, { jobs: 8 });
      const nul = await runProbes(nullBackend, probes, fixtures, { jobs: 8 });
      const failedReal = real.filter((r) => !r.passed).map((r) => `${r.id}: ${r.failures.map((f) => f.message ?? f.what).join('; ')}`);
      expect(failedReal).toEqual([]);
      const j = summarise('justbash', jb);
      const n = summarise('null', nul);
      expect(jb).toHaveLength(probes.length);
      expect(j.aggregate).toBeGreaterThan(n.aggregate);
      expect(j.aggregate).toBeLessThan(1);
      expect(n.aggregate).toBeLessThan(0.05);
    },
    170_000,
  );
});
