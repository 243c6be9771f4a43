/** Corpus statistics: sessions, turns, bytes, turns per family, per split. */
import { basename } from 'node:path';
import { decodeBytes, type Session } from '../../session/format.js';
import { readSessions, sessionFiles } from '../../session/io.js';

export const STATS_FORMAT = 'terminalworld.corpus-stats';
export const STATS_VERSION = 1;

export interface PartStats {
  sessions: number;
  turns: number;
  /** Command bytes + output bytes. */
  bytes: number;
}

export interface CorpusStats extends PartStats {
  format: typeof STATS_FORMAT;
  version: number;
  /** Output bytes (stdout, plus stderr in pipe mode). */
  outputBytes: number;
  /** Turns per family (the required shape). */
  families: Record<string, number>;
  /** Per family: sessions using it, turns, bytes (cmd + output). */
  familyDetail: Record<string, PartStats>;
  emptyOutputTurns: number;
  nonzeroExitTurns: number;
  /** Other non-empty outputs whose every line already appeared earlier in the session (a file
   *  written then read back, a variable echoed): the model must copy from history. */
  copyTurns: number;
  /** Non-empty outputs of commands that compute (sort, uniq, wc, awk, $((...)), python -c, ...):
   *  the model must work the answer out (counted before copy: a sort of known lines is compute). */
  computeTurns: number;
  turnsPerSession: { min: number; median: number; mean: number; max: number };
  files: Record<string, PartStats>;
}

const COMPUTE_RE = /\b(sort|uniq|wc|awk|cut|tr|seq|du|expr|bc)\b|\$\(\(|python3? -c|sed -n|grep -c/;

export class StatsAccumulator {
  private lens: number[] = [];
  private s: CorpusStats = {
    format: STATS_FORMAT,
    version: STATS_VERSION,
    sessions: 0,
    turns: 0,
    bytes: 0,
    outputBytes: 0,
    families: {},
    familyDetail: {},
    emptyOutputTurns: 0,
    nonzeroExitTurns: 0,
    copyTurns: 0,
    computeTurns: 0,
    turnsPerSession: { min: 0, median: 0, mean: 0, max: 0 },
    files: {},
  };

  add(sess: Session, file = '(input)'): void {
    const part = (this.s.files[file] ??= { sessions: 0, turns: 0, bytes: 0 });
    this.s.sessions++;
    part.sessions++;
    this.lens.push(sess.turns.length);
    const seen = new Set<string>();
    const famsHere = new Set<string>();
    for (const t of sess.turns) {
      const outText = decodeBytes(t.output).toString('utf8');
      const outLines = outText
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '');
      if (outLines.length > 0) {
        if (COMPUTE_RE.test(t.cmd)) this.s.computeTurns++;
        else if (outLines.every((l) => seen.has(l))) this.s.copyTurns++;
      }
      for (const l of t.cmd.split('\n')) seen.add(l.trim());
      for (const l of outLines) seen.add(l);
      const ob = decodeBytes(t.output).length + (t.stderr !== undefined ? decodeBytes(t.stderr).length : 0);
      const b = Buffer.byteLength(t.cmd) + ob;
      this.s.turns++;
      part.turns++;
      this.s.bytes += b;
      part.bytes += b;
      this.s.outputBytes += ob;
      if (ob === 0) this.s.emptyOutputTurns++;
      if (t.exit !== 0) this.s.nonzeroExitTurns++;
      const fam = t.family ?? '(untagged)';
      this.s.families[fam] = (this.s.families[fam] ?? 0) + 1;
      const fd = (this.s.familyDetail[fam] ??= { sessions: 0, turns: 0, bytes: 0 });
      fd.turns++;
      fd.bytes += b;
      if (!famsHere.has(fam)) {
        famsHere.add(fam);
        fd.sessions++;
      }
    }
  }

  result(): CorpusStats {
    const l = [...this.lens].sort((a, b) => a - b);
    const n = l.length;
    this.s.turnsPerSession =
      n === 0
        ? { min: 0, median: 0, mean: 0, max: 0 }
        : {
            min: l[0] ?? 0,
            median: l[Math.floor(n / 2)] ?? 0,
            mean: Math.round((this.s.turns / n) * 100) / 100,
            max: l[n - 1] ?? 0,
          };
    return this.s;
  }
}

export async function corpusStats(pathOrDir: string): Promise<CorpusStats> {
  const acc = new StatsAccumulator();
  for (const f of sessionFiles(pathOrDir)) for await (const s of readSessions(f)) acc.add(s, basename(f, '.jsonl'));
  return acc.result();
}

function pct(a: number, b: number): string {
  return `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
}

export function formatStats(s: CorpusStats): string {
  const lines = [
    `sessions ${s.sessions}  turns ${s.turns}  bytes ${s.bytes} (${(s.bytes / Math.max(1, s.turns)).toFixed(0)}/turn)`,
    `turns per session: min ${s.turnsPerSession.min}, median ${s.turnsPerSession.median}, mean ${s.turnsPerSession.mean}, max ${s.turnsPerSession.max}`,
    `empty outputs ${pct(s.emptyOutputTurns, s.turns)}  nonzero exits ${pct(s.nonzeroExitTurns, s.turns)}  copy-from-history ${pct(s.copyTurns, s.turns)}  computed ${pct(s.computeTurns, s.turns)}`,
    `  ${'family'.padEnd(12)} ${'turns'.padStart(7)} ${'share'.padStart(6)} ${'bytes'.padStart(9)} ${'sessions'.padStart(8)}`,
    ...Object.entries(s.families)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => {
        const d = s.familyDetail[k] ?? { sessions: 0, turns: 0, bytes: 0 };
        return `  ${k.padEnd(12)} ${String(v).padStart(7)} ${pct(v, s.turns).padStart(6)} ${String(d.bytes).padStart(9)} ${String(d.sessions).padStart(8)}`;
      }),
  ];
  if (Object.keys(s.files).length > 1) {
    lines.push('files:');
    for (const [k, v] of Object.entries(s.files)) lines.push(`  ${k.padEnd(12)} sessions ${v.sessions}  turns ${v.turns}  bytes ${v.bytes}`);
  }
  return lines.join('\n');
}
