/**
 * Runs the conformance cases on a backend: `jobs` sessions in pipe mode, each taking cases from a
 * shared queue (sessions are reused; a session that dies or hangs is replaced and the case fails
 * with the reason). A case agrees when the exit status matches and, where an expectation exists,
 * stdout matches byte for byte.
 */
import type { Backend, Terminal } from '../../core/terminal.js';
import { type ConformanceCase, caseCommand } from './cases.js';

export interface CaseResult {
  key: string;
  file: string;
  name: string;
  agree: boolean;
  /** Why not: "status 1, expected 0", "stdout differs", or the backend error. */
  reason?: string;
  stdout?: string;
  status?: number;
}

export interface ConformanceOptions {
  jobs?: number;
  timeoutMs?: number;
  /** Session options (e.g. determinism off for the real backend). */
  deterministic?: boolean;
  /** How long past its timeout a backend may take before it is called hung. */
  graceMs?: number;
  onResult?: (r: CaseResult) => void;
}

export const CASE_TIMEOUT_MS = 5_000;
const GRACE_MS = 5_000;

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: no answer after ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

/** Cases flagged as timing-dependent (sleeps racing each other) run one at a time after the rest,
 *  as they were verified: 8 sessions sharing 2 cores reorder their background jobs. */
export function isTimingCase(c: ConformanceCase): boolean {
  return /timing/i.test(c.notes);
}

export async function runConformance(backend: Backend, cases: readonly ConformanceCase[], opts: ConformanceOptions = {}): Promise<CaseResult[]> {
  const idx = cases.map((_, i) => i);
  const first = await runBatch(
    backend,
    cases,
    idx.filter((i) => !isTimingCase(cases[i] as ConformanceCase)),
    opts,
    opts.jobs ?? 8,
  );
  // A case that ran out of time while `jobs` sessions shared the machine runs again alone (its
  // second answer counts): for fork-heavy cases a 5 s limit measures the host's load, not the shell.
  const retry = first.filter(([, r]) => r.reason?.startsWith('timed out') ?? false).map(([i]) => i);
  const second = await runBatch(backend, cases, [...idx.filter((i) => isTimingCase(cases[i] as ConformanceCase)), ...retry], opts, 1);
  const results: CaseResult[] = new Array(cases.length);
  for (const [i, r] of [...first, ...second]) results[i] = r;
  return results;
}

async function runBatch(
  backend: Backend,
  cases: readonly ConformanceCase[],
  order: readonly number[],
  opts: ConformanceOptions,
  jobs: number,
): Promise<[number, CaseResult][]> {
  const timeoutMs = opts.timeoutMs ?? CASE_TIMEOUT_MS;
  const results: [number, CaseResult][] = [];
  let next = 0;
  const start = (): Promise<Terminal> =>
    deadline(backend.start({ mode: 'pipe', deterministic: opts.deterministic ?? false, timeoutMs, seed: 1 }), 30_000, 'session start');

  const worker = async (): Promise<void> => {
    let term: Terminal | undefined;
    while (next < order.length) {
      const i = order[next++] ?? 0;
      const c = cases[i];
      if (!c) break;
      let r: CaseResult;
      try {
        if (!term || term.dead) {
          if (term) await deadline(term.close(), GRACE_MS, 'close').catch(() => undefined);
          term = await start();
        }
        const t = await deadline(term.run(caseCommand(c, i), { timeoutMs }), timeoutMs + (opts.graceMs ?? GRACE_MS), 'case');
        const stdout = t.output.toString('utf8');
        const reasons: string[] = [];
        if (t.timedOut) reasons.push(`timed out after ${timeoutMs} ms`);
        if (t.exit !== c.expect_status) reasons.push(`status ${t.exit}, expected ${c.expect_status}`);
        if (c.expect_stdout !== null && stdout !== c.expect_stdout) reasons.push('stdout differs');
        r = { key: c.key, file: c.file, name: c.name, agree: reasons.length === 0, stdout, status: t.exit };
        if (reasons.length) r.reason = reasons.join('; ');
      } catch (e) {
        r = { key: c.key, file: c.file, name: c.name, agree: false, reason: `backend error: ${e instanceof Error ? e.message : String(e)}` };
        const old = term;
        term = undefined; // start a fresh session for the next case
        if (old) void deadline(old.close(), GRACE_MS, 'close').catch(() => undefined);
      }
      results.push([i, r]);
      opts.onResult?.(r);
    }
    if (term) await deadline(term.close(), GRACE_MS, 'close').catch(() => undefined);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, order.length)) }, worker));
  return results;
}
