/**
 * Run one script on several backends and show the sessions side by side: for each command, the
 * real output and whether each other backend matched it byte for byte (output and exit code).
 */
import { getBackend, type BackendName } from '../backends/registry.js';
import type { SessionSpec, Turn } from '../core/terminal.js';
import { rate, type Rate } from '../core/stats.js';

export interface SideBySide {
  backends: string[];
  /** turns[i][b]: the i-th command's result on backend b. */
  turns: Turn[][];
  /** Per non-reference backend: exact matches (output + exit) with the first backend. */
  exact: Record<string, Rate>;
  /** Same, on the turns whose real output is non-empty. */
  exactNonEmpty: Record<string, Rate>;
}

export function sameTurn(a: Turn, b: Turn): boolean {
  return a.exit === b.exit && a.output.equals(b.output);
}

export async function runSideBySide(script: readonly string[], backends: readonly BackendName[], spec: SessionSpec = {}): Promise<SideBySide> {
  const perBackend: Turn[][] = [];
  for (const name of backends) {
    const term = await (await getBackend(name)).start(spec);
    const turns: Turn[] = [];
    try {
      for (const cmd of script) turns.push(await term.run(cmd));
    } finally {
      await term.close();
    }
    perBackend.push(turns);
  }
  const turns = script.map((_, i) => perBackend.map((ts) => ts[i] as Turn));
  const exact: Record<string, Rate> = {};
  const exactNonEmpty: Record<string, Rate> = {};
  for (let b = 1; b < backends.length; b++) {
    let k = 0,
      kn = 0,
      nn = 0;
    for (const row of turns) {
      const ref = row[0] as Turn,
        got = row[b] as Turn;
      const ok = sameTurn(ref, got);
      if (ok) k++;
      if (ref.output.length > 0) {
        nn++;
        if (ok) kn++;
      }
    }
    exact[backends[b] as string] = rate(k, turns.length);
    exactNonEmpty[backends[b] as string] = rate(kn, nn);
  }
  return { backends: [...backends], turns, exact, exactNonEmpty };
}

/** Terminal rendering: `$ cmd`, the reference output, then one line per other backend. */
export function renderSideBySide(r: SideBySide, script: readonly string[], color: boolean): string {
  const green = (s: string): string => (color ? `\x1b[32m${s}\x1b[0m` : s);
  const red = (s: string): string => (color ? `\x1b[31m${s}\x1b[0m` : s);
  const dim = (s: string): string => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const show = (t: Turn): string => {
    const text = t.output.toString('utf8').replace(/\r\n/g, '\n');
    return (text === '' ? dim('(no output)\n') : text.endsWith('\n') ? text : `${text}\n`) + dim(`[exit ${t.exit}] ${t.cwd}\n`);
  };
  let out = '';
  script.forEach((cmd, i) => {
    const row = r.turns[i] as Turn[];
    const ref = row[0] as Turn;
    out += `\n$ ${cmd}\n`;
    out += indent(show(ref), `${r.backends[0]} │ `);
    for (let b = 1; b < row.length; b++) {
      const got = row[b] as Turn;
      const name = r.backends[b] as string;
      if (sameTurn(ref, got)) out += `${name} ${green('✓')} same bytes\n`;
      else out += indent(show(got), `${name} ${red('✗')} `);
    }
  });
  return out;
}

function indent(text: string, prefix: string): string {
  return (
    text
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => prefix + l)
      .join('\n') + '\n'
  );
}
