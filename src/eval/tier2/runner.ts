/**
 * Runs probes on a backend (sessions concurrently) and grades them; records fixtures from the oracle.
 */
import { TwError } from '../../core/errors.js';
import type { Backend } from '../../core/terminal.js';
import { limiter, type RawObs, runProbeSession, type SessionResult } from './exec.js';
import { encodeBytes, type FixtureEntry, type FixtureFile, fixtureStatus, type Obs, probeHash, readFixtures, writeFixtures } from './fixtures.js';
import { type Failure, gradeDistribution, gradeSession } from './grade.js';
import { type Category, isDistributional, type Probe } from './schema.js';

export interface ProbeResult {
  id: string;
  category: Category;
  passed: boolean;
  failures: Failure[];
  ms: number;
}

export interface RunOptions {
  jobs?: number;
  /** Seed of every session; distribution samples use seed, seed+1, ... */
  seed?: number;
  onResult?: (r: ProbeResult) => void;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_JOBS = 8;

function sessionSeeds(p: Probe, seed: number): number[] {
  return isDistributional(p) ? Array.from({ length: p.samples }, (_, i) => seed + i) : [seed];
}

/** Every probe must have a current fixture before it can be graded. */
export function loadFixtureSet(root: string, probes: readonly Probe[]): Map<Category, FixtureFile> {
  const files = new Map<Category, FixtureFile>();
  const problems: string[] = [];
  for (const p of probes) {
    let f = files.get(p.category);
    if (!f) files.set(p.category, (f = readFixtures(root, p.category)));
    const st = fixtureStatus(p, f);
    if (st !== 'ok' && !(st === 'stale' && f.probes[p.id]?.locked)) problems.push(`${p.id} (${st})`);
  }
  if (problems.length)
    throw new TwError(
      `${problems.length} probe(s) have no current recorded answer: ${problems.slice(0, 8).join(', ')}${problems.length > 8 ? ', ...' : ''}`,
      'record them from the real sandbox: tw probe --record (or RECORD_FIXTURES=1)',
    );
  return files;
}

export async function runProbes(
  backend: Backend,
  probes: readonly Probe[],
  fixtures: Map<Category, FixtureFile>,
  opts: RunOptions = {},
): Promise<ProbeResult[]> {
  const limit = limiter(opts.jobs ?? DEFAULT_JOBS);
  const seed = opts.seed ?? DEFAULT_SEED;
  return Promise.all(
    probes.map(async (p) => {
      const t0 = performance.now();
      const entry = fixtures.get(p.category)?.probes[p.id];
      const sessions = await Promise.all(sessionSeeds(p, seed).map((s) => limit(() => runProbeSession(backend, p, s))));
      let failures: Failure[];
      if (!entry) failures = [{ turn: 0, cmd: '', what: 'fixture', message: 'no recorded answer' }];
      else if (isDistributional(p)) {
        const first = sessions[0] ?? { turns: [] };
        failures = [...gradeSession(p, entry, { turns: first.turns }), ...gradeDistribution(p, entry, sessions)];
      } else failures = gradeSession(p, entry, sessions[0] ?? { turns: [], error: 'no session' });
      const r: ProbeResult = { id: p.id, category: p.category, passed: failures.length === 0, failures, ms: performance.now() - t0 };
      opts.onResult?.(r);
      return r;
    }),
  );
}

function toObs(o: RawObs): Obs {
  const obs: Obs = { output: encodeBytes(o.output), exit: o.exit };
  if (o.stderr !== undefined) obs.stderr = encodeBytes(o.stderr);
  if (o.state) obs.state = o.state.map(toObs);
  return obs;
}

function pick(o: Record<string, unknown> | undefined, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o && o[k] !== undefined).map((k) => [k, o?.[k]]));
}

export interface RecordSummary {
  recorded: string[];
  skippedLocked: string[];
  failed: { id: string; error: string }[];
}

/**
 * Records the oracle's answers for these probes (locked fixtures are kept). Each category file is
 * written once its probes are done, atomically; a probe whose session failed keeps its old fixture.
 */
export async function recordFixtures(oracle: Backend, root: string, probes: readonly Probe[], opts: RunOptions = {}): Promise<RecordSummary> {
  const limit = limiter(opts.jobs ?? DEFAULT_JOBS);
  const seed = opts.seed ?? DEFAULT_SEED;
  const summary: RecordSummary = { recorded: [], skippedLocked: [], failed: [] };
  const categories = [...new Set(probes.map((p) => p.category))];
  for (const category of categories) {
    const file = readFixtures(root, category);
    const todo = probes.filter((p) => p.category === category);
    await Promise.all(
      todo.map(async (p) => {
        if (file.probes[p.id]?.locked) {
          summary.skippedLocked.push(p.id);
          return;
        }
        const sessions: SessionResult[] = await Promise.all(sessionSeeds(p, seed).map((s) => limit(() => runProbeSession(oracle, p, s))));
        // A deterministic probe is recorded twice in fresh sessions and must agree with itself, so a
        // flaky oracle answer (e.g. a command interrupted under load) is never stored as expected.
        const check = isDistributional(p) ? undefined : await limit(() => runProbeSession(oracle, p, seed));
        const err = [...sessions, ...(check ? [check] : [])].find((s) => s.error)?.error;
        if (err) {
          summary.failed.push({ id: p.id, error: err });
          return;
        }
        const a = JSON.stringify((sessions[0]?.turns ?? []).map(toObs));
        if (check && JSON.stringify(check.turns.map(toObs)) !== a) {
          summary.failed.push({
            id: p.id,
            error: 'the oracle gave two different answers in two fresh sessions (flaky probe or loaded machine): not recorded, run --record again',
          });
          return;
        }
        const entry: FixtureEntry = {
          hash: probeHash(p),
          recordedAt: new Date().toISOString(),
          oracle: { backend: oracle.name, seed, ...pick(sessions[0]?.info, ['image', 'mode']) },
          turns: (sessions[0]?.turns ?? []).map(toObs),
        };
        if (isDistributional(p)) entry.samples = sessions.map((s) => s.turns.map(toObs));
        file.probes[p.id] = entry;
        summary.recorded.push(p.id);
      }),
    );
    writeFixtures(root, file);
  }
  return summary;
}
