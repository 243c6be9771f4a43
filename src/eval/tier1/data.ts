/**
 * Tier-1 evaluation data: our session JSONL (the corpus' held-out test split) or the external
 * SWE-agent sessions (out of distribution, evaluation only), read into one shape.
 *
 * SWE-agent observations carry no exit code and no prompt, and their trailing newline was
 * stripped; their `agent-tool` turns (open, edit, submit...) are SWE-agent's own tools, not bash.
 * So on that set: outputs are rendered as a pty shows them (CRLF, trailing newline restored), exit
 * codes are not compared (exit null), outputs are compared after CRLF->LF and trailing-newline
 * normalisation, and only shell turns are scored (tool turns stay in the history the model sees,
 * because they are part of the real transcript). Rows are read with the corpus importer
 * (src/corpus/formats/swe-agent), which also tags each shell command with its family; files it
 * wrote (`tw corpus import --format swe-agent`, meta.exitUnknown) are read the same way.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TwError } from '../../core/errors.js';
import type { Mode, SessionSpec, StateChange, Turn } from '../../core/terminal.js';
import { parseSweAgentRow } from '../../corpus/formats/swe-agent/index.js';
import { bytesToText, decodeBytes, type Session } from '../../session/format.js';
import { parseSessionLine } from '../../session/io.js';
import { staticNondeterminism } from './determinism.js';

export type DataKind = 'sessions' | 'swe-agent';

export interface EvalTurn {
  cmd: string;
  output: Buffer;
  /** null where the data has no exit code. */
  exit: number | null;
  cwd: string | null;
  family: string;
  /** Counted in the metrics (false for SWE-agent tool turns). */
  scored: boolean;
  /** Why the static rule calls this turn nondeterministic; null when it is deterministic. */
  nondeterministic: string | null;
  /** The recorded change of state (sessions recorded with --state); teacher forcing passes it on. */
  state?: StateChange;
}

export interface EvalSession {
  id: string;
  kind: DataKind;
  spec: SessionSpec;
  turns: EvalTurn[];
}

export interface EvalData {
  path: string;
  kind: DataKind;
  sessions: EvalSession[];
}

/** The Turn a backend's setHistory() receives for the real turns [0, n). */
export function historyTurns(s: EvalSession, n: number): Turn[] {
  const out: Turn[] = [];
  let cwd = '/root';
  for (const t of s.turns.slice(0, n)) {
    cwd = t.cwd ?? cwd;
    out.push({ cmd: t.cmd, output: t.output, exit: t.exit ?? 0, cwd, ms: 0, timedOut: false, truncated: false, ...(t.state ? { state: t.state } : {}) });
  }
  return out;
}

/** SWE-agent rows through the corpus importer (src/corpus/formats/swe-agent), then into EvalTurns. */
function parseSwe(text: string, file: string, line: number): EvalSession {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TwError(`${file}:${line}: not valid JSON (${(e as Error).message})`, 'fix or remove that line');
  }
  let sessions: Session[];
  try {
    sessions = parseSweAgentRow(raw, line);
  } catch (e) {
    throw new TwError(`${file}:${line}: not a SWE-agent session: ${(e as Error).message}`, 'see /work/shared/external/README.md for the format');
  }
  const s = sessions[0];
  if (!s) throw new TwError(`${file}:${line}: empty SWE-agent row`, 'fix or remove that line');
  return { ...importedToEval(s), id: `${typeof (raw as { path?: unknown }).path === 'string' ? (raw as { path: string }).path : 'swe'}#${line}` };
}

/** An imported session without exit codes (SWE-agent): see the header for how it is scored. */
function importedToEval(s: Session): EvalSession {
  const turns: EvalTurn[] = s.turns.map((t) => {
    const shell = t.family !== 'agent-tool';
    const out = bytesToText(t.output);
    return {
      cmd: t.cmd,
      // Rendered as a pty shows it (CRLF line ends, the stripped trailing newline put back), so that a
      // model trained on pty sessions is scored on the bytes it would have to emit.
      output: Buffer.from(out === '' ? '' : (out + '\n').replace(/\r?\n/g, '\r\n')),
      exit: null,
      cwd: t.cwd,
      family: t.family ?? 'untagged',
      scored: shell,
      nondeterministic: shell ? staticNondeterminism(t.cmd, undefined) : 'agent tool',
    };
  });
  return { id: s.id, kind: 'swe-agent', spec: { mode: 'pty', deterministic: false, seed: 0 }, turns };
}

function sessionToEval(text: string, file: string, line: number): EvalSession {
  const s = parseSessionLine(text, file, line);
  if (s.meta?.exitUnknown === true) return importedToEval(s); // `tw corpus import --format swe-agent` output
  const mode: Mode = s.mode;
  return {
    id: s.id,
    kind: 'sessions',
    spec: { mode, setup: s.setup, seed: s.seed, deterministic: s.determinism?.enabled ?? true },
    turns: s.turns.map((t) => ({
      cmd: t.cmd,
      output: decodeBytes(t.output),
      exit: t.exit,
      cwd: t.cwd,
      family: t.family ?? 'untagged',
      scored: true,
      nondeterministic: t.timedOut ? 'timed out' : t.truncated ? 'truncated' : staticNondeterminism(t.cmd, t.family),
      ...(t.state ? { state: t.state } : {}),
    })),
  };
}

/** Read DIR/test.jsonl, or a .jsonl file of either format (detected from its first line). */
export function loadEvalData(pathOrDir: string, limit?: number): EvalData {
  if (!existsSync(pathOrDir))
    throw new TwError(`no such file or directory: ${pathOrDir}`, 'pass --data with a corpus folder (its test.jsonl is used) or a .jsonl file');
  let file = pathOrDir;
  if (statSync(pathOrDir).isDirectory()) {
    file = join(pathOrDir, 'test.jsonl');
    if (!existsSync(file)) throw new TwError(`${pathOrDir} has no test.jsonl`, 'generate a corpus with `tw corpus generate --out DIR`, or pass a .jsonl file');
  }
  const lines = readFileSync(file, 'utf8').split('\n');
  const sessions: EvalSession[] = [];
  let kind: DataKind | null = null;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (text.trim() === '') continue;
    if (kind === null) kind = /"format"\s*:\s*"terminalworld\.session"/.test(text) ? 'sessions' : 'swe-agent';
    sessions.push(kind === 'sessions' ? sessionToEval(text, file, i + 1) : parseSwe(text, file, i + 1));
    if (limit !== undefined && sessions.length >= limit) break;
  }
  if (sessions.length === 0) throw new TwError(`${file} holds no sessions`, 'generate some with `tw corpus generate`');
  return { path: file, kind: kind ?? 'sessions', sessions };
}
