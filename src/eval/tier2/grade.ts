/**
 * Grading one probe against its fixture. A probe passes when every graded turn passes.
 * Distribution turns: each sample must match the format, lie in the range, and the samples must
 * spread at least half as widely as the oracle's (distinct values >= ceil(oracle distinct / 2)).
 */
import { decodeBytes, type FixtureEntry, type Obs } from './fixtures.js';
import type { RawObs, SessionResult } from './exec.js';
import type { Probe, Turn } from './schema.js';

export interface Failure {
  turn: number;
  cmd: string;
  /** output | stderr | exit | state N output | distribution ... | error */
  what: string;
  expected?: Buffer;
  actual?: Buffer;
  message?: string;
}

function compareObs(turn: number, cmd: string, exp: Obs, act: RawObs, prefix: string, checkBytes: boolean): Failure[] {
  const out: Failure[] = [];
  if (checkBytes) {
    const e = decodeBytes(exp.output);
    if (!e.equals(act.output)) out.push({ turn, cmd, what: `${prefix}output`, expected: e, actual: act.output });
    if (exp.stderr !== undefined) {
      const es = decodeBytes(exp.stderr);
      const as = act.stderr ?? Buffer.alloc(0);
      if (!es.equals(as)) out.push({ turn, cmd, what: `${prefix}stderr`, expected: es, actual: as });
    }
  }
  if (exp.exit !== act.exit) out.push({ turn, cmd, what: `${prefix}exit`, message: `exit ${act.exit}, expected ${exp.exit}` });
  return out;
}

/** Grade the non-distribution turns of one session. */
export function gradeSession(probe: Probe, fixture: FixtureEntry, session: SessionResult): Failure[] {
  const failures: Failure[] = [];
  probe.turns.forEach((t, i) => {
    const exp = fixture.turns[i];
    const act = session.turns[i];
    if (t.grade === 'none' || t.grade === 'distribution') return;
    if (!exp) {
      failures.push({ turn: i, cmd: t.cmd, what: 'fixture', message: 'no recorded answer for this turn; re-record: tw probe --record' });
      return;
    }
    if (!act) return; // the session error is reported once, below
    if (t.grade === 'exact') failures.push(...compareObs(i, t.cmd, exp, act, '', true));
    else if (t.grade === 'exit') failures.push(...compareObs(i, t.cmd, exp, act, '', false));
    else if (t.grade === 'state') {
      (t.state ?? []).forEach((s, k) => {
        const e = exp.state?.[k];
        const a = act.state?.[k];
        if (e && a) failures.push(...compareObs(i, s, e, a, `state probe ${k + 1} (\`${s}\`) `, true));
      });
    }
  });
  if (session.error) failures.push({ turn: session.turns.length, cmd: probe.turns[session.turns.length]?.cmd ?? '', what: 'error', message: session.error });
  return failures;
}

function sampleText(b: Buffer): string {
  return b.toString('utf8').replace(/[\r\n]+$/, '');
}

function numericValue(t: Turn, text: string): number | undefined {
  const d = t.distribution;
  if (!d) return undefined;
  const m = new RegExp(`^(?:${d.pattern})$`, 's').exec(text);
  const g = m?.[d.group];
  if (g === undefined) return undefined;
  return d.parse === 'date' ? Date.parse(g) : Number(g);
}

/** Grade the distribution turns across samples (one session per sample). */
export function gradeDistribution(probe: Probe, fixture: FixtureEntry, sessions: SessionResult[]): Failure[] {
  const failures: Failure[] = [];
  const oracle = fixture.samples ?? [];
  probe.turns.forEach((t, i) => {
    if (t.grade !== 'distribution' || !t.distribution) return;
    const re = new RegExp(`^(?:${t.distribution.pattern})$`, 's');
    const got = sessions.map((s) => s.turns[i]).filter((o): o is RawObs => o !== undefined);
    if (got.length < sessions.length) return; // session errors are reported by the caller
    const texts = got.map((o) => sampleText(o.output));
    const bad = texts.findIndex((x) => !re.test(x));
    if (bad >= 0) {
      const exp = oracle[bad]?.[i];
      failures.push({
        turn: i,
        cmd: t.cmd,
        what: `distribution format (sample ${bad + 1} does not match /${t.distribution.pattern}/)`,
        expected: exp ? decodeBytes(exp.output) : undefined,
        actual: got[bad]?.output,
      });
      return;
    }
    const expExit = oracle[0]?.[i]?.exit;
    const badExit = got.findIndex((o) => expExit !== undefined && o.exit !== expExit);
    if (badExit >= 0)
      failures.push({ turn: i, cmd: t.cmd, what: 'distribution exit', message: `sample ${badExit + 1} exit ${got[badExit]?.exit}, expected ${expExit}` });
    const range = t.distribution.range;
    if (range) {
      const vals = texts.map((x) => numericValue(t, x));
      const out = vals.findIndex((v) => v === undefined || Number.isNaN(v) || v < range[0] || v > range[1]);
      if (out >= 0)
        failures.push({ turn: i, cmd: t.cmd, what: 'distribution range', message: `sample ${out + 1} = ${texts[out]} is outside [${range[0]}, ${range[1]}]` });
    }
    const oracleDistinct = new Set(oracle.map((s) => (s[i] ? sampleText(decodeBytes(s[i].output)) : ''))).size;
    const distinct = new Set(texts).size;
    const need = Math.ceil(oracleDistinct / 2);
    if (distinct < need)
      failures.push({
        turn: i,
        cmd: t.cmd,
        what: 'distribution spread',
        message: `${distinct} distinct value(s) in ${texts.length} samples (e.g. ${JSON.stringify(texts[0])}); the oracle showed ${oracleDistinct}, at least ${need} needed`,
      });
  });
  sessions.forEach((s, k) => {
    if (s.error) failures.push({ turn: s.turns.length, cmd: probe.turns[s.turns.length]?.cmd ?? '', what: 'error', message: `sample ${k + 1}: ${s.error}` });
  });
  return failures;
}
