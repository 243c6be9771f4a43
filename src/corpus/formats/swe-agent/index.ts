/**
 * SWE-agent trajectories -> sessions.
 *
 * Accepts a `.traj` file ({trajectory: [{action, observation, state, thought, ...}], info, ...})
 * and rows already flattened to {turns: [{cmd, output, kind, state}]} (as in the shared
 * swe-agent-sessions.jsonl). One action is one command, so the split is exact; SWE-agent records
 * no exit code (exit -1) and strips the output's trailing newline. SWE-agent's own tools
 * (open, edit, str_replace_editor, submit, ...) are tagged family `agent-tool`.
 */
import { newSession, type Session, type SessionTurn } from '../../../session/format.js';
import { classifyCommand } from '../../generate/classify.js';
import { isObj, RowError, str } from '../common.js';

const AGENT_TOOLS = new Set([
  'open',
  'goto',
  'scroll_up',
  'scroll_down',
  'create',
  'edit',
  'submit',
  'find_file',
  'search_dir',
  'search_file',
  'str_replace_editor',
  'filemap',
  'insert',
  'exit_forfeit',
  'exit_cost',
  'exit_context',
  'exit_format',
  'skip',
  'debug_program',
  'decompile',
  'disassemble',
  'connect_start',
  'connect_sendline',
  'connect_exec',
  'connect_stop',
]);

function stateCwd(state: unknown): string | null {
  let s: unknown = state;
  if (typeof s === 'string') {
    try {
      s = JSON.parse(s);
    } catch {
      return null;
    }
  }
  return isObj(s) ? (str(s, 'working_dir') ?? null) : null;
}

function turnOf(cmd: string, output: string, kind: string | undefined, cwd: string): SessionTurn {
  const c = cmd.replace(/\n+$/, '');
  const prog = c.trim().split(/\s+/)[0] ?? '';
  const tool = kind === 'agent-tool' || (kind === undefined && AGENT_TOOLS.has(prog));
  return { cmd: c, output, exit: -1, cwd, ms: 0, timedOut: false, truncated: false, family: tool ? 'agent-tool' : classifyCommand(c) };
}

export function parseSweAgentRow(value: unknown, line: number): Session[] {
  if (!isObj(value)) throw new RowError('row is not a JSON object');
  const turns: SessionTurn[] = [];
  let cwd = '/';
  if (Array.isArray(value['trajectory'])) {
    for (const [i, st] of value['trajectory'].entries()) {
      if (!isObj(st)) throw new RowError(`trajectory[${i}] is not an object`);
      const action = str(st, 'action');
      if (action === undefined) throw new RowError(`trajectory[${i}] has no action`);
      if (action.trim() === '') continue;
      cwd = stateCwd(st['state']) ?? cwd;
      turns.push(turnOf(action, str(st, 'observation') ?? '', undefined, cwd));
    }
  } else if (Array.isArray(value['turns'])) {
    for (const [i, t] of value['turns'].entries()) {
      if (!isObj(t)) throw new RowError(`turns[${i}] is not an object`);
      const cmd = str(t, 'cmd');
      if (cmd === undefined) throw new RowError(`turns[${i}] has no cmd`);
      cwd = stateCwd(t['state']) ?? cwd;
      turns.push(turnOf(cmd, str(t, 'output') ?? '', str(t, 'kind'), cwd));
    }
  } else throw new RowError('neither a `trajectory` (.traj) nor a `turns` array');
  const src = str(value, 'path') ?? str(value, 'environment') ?? `row-${line}`;
  return [
    newSession({
      id: `swe-agent-${line}-${src.replace(/[^\w.-]+/g, '_').slice(-60)}`,
      backend: 'import:swe-agent',
      mode: 'pty',
      seed: 0,
      turns,
      meta: {
        source: 'swe-agent',
        line,
        exitUnknown: true,
        trailingNewlineStripped: true,
        ...(str(value, 'repo') ? { repo: str(value, 'repo'), path: str(value, 'path'), commit: str(value, 'commit') } : {}),
      },
    }),
  ];
}
