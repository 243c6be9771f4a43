/** A task family: generates tasks (setup, instruction, verifier) and solves them with a
 *  scripted expert that reads what the terminal prints and decides what to run next. */
import type { Rng } from '../../core/rng.js';
import type { Terminal, Turn } from '../../core/terminal.js';
import type { Task } from './format.js';
import { oob } from '../../core/errors.js';

export type TaskDraft = Pick<Task, 'instruction' | 'setup' | 'verifier' | 'params'> & { maxTurns?: number };

export interface TaskFamily {
  name: string;
  generate(r: Rng): TaskDraft;
  expert(task: Task, sh: Shell): Promise<void>;
}

export interface Obs {
  out: string;
  exit: number;
}

export class TurnLimitError extends Error {}

/** What an expert sees: the terminal with outputs as text (CRLF -> LF) and a turn budget. */
export class Shell {
  readonly turns: Turn[] = [];
  constructor(
    private readonly term: Terminal,
    private readonly maxTurns: number,
  ) {}
  async run(cmd: string): Promise<Obs> {
    if (this.turns.length >= this.maxTurns) throw new TurnLimitError(`turn budget of ${this.maxTurns} spent`);
    const t = await this.term.run(cmd);
    this.turns.push(t);
    return { out: t.output.toString('utf8').replace(/\r\n/g, '\n'), exit: t.exit };
  }
}

/** Non-empty lines of an output. */
export function lines(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
}

/** Base64 longer than this goes on several lines (`\` continuations): a terminal line holds at
 *  most 4095 bytes and the sandbox refuses lines over 4000. */
const B64_LINE = 2000;

/** A command that writes `content` to `path` exactly (base64, so any bytes survive the shell). */
export function writeFileCmd(path: string, content: string): string {
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  const b64 = Buffer.from(content).toString('base64');
  const parts: string[] = [];
  for (let i = 0; i < b64.length; i += B64_LINE) parts.push(`'${b64.slice(i, i + B64_LINE)}'`);
  return `mkdir -p ${dir} && printf '%s' ${parts.join(' \\\n') || "''"} | base64 -d > ${path}`;
}

/** Levenshtein distance (for experts that fix typos they observe). */
export function editDistance(a: string, b: string): number {
  // two rows of the (a.length + 1) x (b.length + 1) table: distances from a[0, i) to each prefix of b
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((prev[j] ?? oob()) + 1, (row[j - 1] ?? oob()) + 1, (prev[j - 1] ?? oob()) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] ?? oob();
}

/** Single-quote for bash. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
