/**
 * Session <-> Harbor ATIF v1.6 trajectory (one JSON object per session; we write JSONL).
 *
 * Each turn is an agent step calling Terminus-2's `bash_command` tool with {keystrokes: cmd + "\n",
 * duration}; its observation is the output. What ATIF has no field for (exit, cwd, ms, flags,
 * family) rides in step.extra.terminalworld, and the session header in root extra.terminalworld,
 * so session -> ATIF -> session is exact for UTF-8 outputs.
 */
import { bytesToText, newSession, type Session, type SessionTurn } from '../../../session/format.js';
import { classifyCommand } from '../../generate/classify.js';
import { isObj, RowError, str } from '../common.js';
import { screenOf, splitScreen } from '../screen.js';

export const ATIF_VERSION = 'ATIF-v1.6';
const TOOL = {
  type: 'function',
  function: {
    name: 'bash_command',
    description: 'Send keystrokes to the terminal and wait `duration` seconds.',
    parameters: { type: 'object', properties: { keystrokes: { type: 'string' }, duration: { type: 'number' } }, required: ['keystrokes'] },
  },
};

export function sessionToAtif(s: Session): Record<string, unknown> {
  const { turns, ...header } = s;
  const task = isObj(s.meta?.['task']) ? str(s.meta['task'] as Record<string, unknown>, 'instruction') : undefined;
  const steps: Record<string, unknown>[] = [];
  if (task) steps.push({ step_id: 1, source: 'user', message: task });
  turns.forEach((t, i) => {
    const id = `call_${i + 1}`;
    const { cmd, output, ...rest } = t;
    steps.push({
      step_id: steps.length + 1,
      source: 'agent',
      message: '',
      tool_calls: [
        { tool_call_id: id, function_name: 'bash_command', arguments: { keystrokes: cmd + '\n', duration: Math.max(0.1, Math.round(t.ms) / 1000) } },
      ],
      observation: { results: [{ source_call_id: id, content: bytesToText(output) }] },
      extra: { terminalworld: { ...rest, ...(typeof output === 'string' ? {} : { output }) } },
    });
  });
  return {
    schema_version: ATIF_VERSION,
    session_id: s.id,
    agent: { name: 'terminalworld', version: '1', model_name: s.backend, tool_definitions: [TOOL] },
    steps,
    final_metrics: { total_steps: steps.length },
    extra: { terminalworld: header },
  };
}

function callCommand(c: Record<string, unknown>): string | null {
  const args = isObj(c['arguments'])
    ? c['arguments']
    : isObj(c['function']) && typeof c['function']['arguments'] === 'string'
      ? (JSON.parse(c['function']['arguments']) as unknown)
      : null;
  if (!isObj(args)) return null;
  return str(args, 'keystrokes') ?? str(args, 'command') ?? str(args, 'cmd') ?? null;
}

export function atifToSessions(value: unknown, line: number): Session[] {
  if (!isObj(value)) throw new RowError('row is not a JSON object');
  if (!Array.isArray(value['steps'])) throw new RowError('no `steps` array (not an ATIF trajectory)');
  const ver = str(value, 'schema_version') ?? '';
  if (!/^ATIF-v1\./.test(ver)) throw new RowError(`schema_version "${ver}" is not ATIF v1.x`);
  const header = isObj(value['extra']) && isObj(value['extra']['terminalworld']) ? value['extra']['terminalworld'] : null;
  const turns: SessionTurn[] = [];
  let cwd = '/app';
  for (const [i, st] of (value['steps'] as unknown[]).entries()) {
    if (!isObj(st)) throw new RowError(`steps[${i}] is not an object`);
    if (st['source'] !== 'agent' || !Array.isArray(st['tool_calls'])) continue;
    const calls = st['tool_calls']
      .filter(isObj)
      .map((c) => ({ id: str(c, 'tool_call_id') ?? '', cmd: callCommand(c) }))
      .filter((c): c is { id: string; cmd: string } => c.cmd !== null);
    const results = isObj(st['observation']) && Array.isArray(st['observation']['results']) ? st['observation']['results'].filter(isObj) : [];
    const tw = isObj(st['extra']) && isObj(st['extra']['terminalworld']) ? st['extra']['terminalworld'] : null;
    if (tw && calls.length === 1 && calls[0]) {
      // our own export: exact
      const content = str(results[0] ?? {}, 'content') ?? '';
      const { output: rawOut, ...rest } = tw;
      turns.push({
        ...(rest as Omit<SessionTurn, 'cmd' | 'output'>),
        cmd: calls[0].cmd.replace(/\n$/, ''),
        output: isObj(rawOut) ? (rawOut as { base64: string }) : content,
      });
      continue;
    }
    // Terminus-2 results carry the marker ("New Terminal Output:\n...") like the chat rows do
    const text = (r: Record<string, unknown>): string => {
      const c = str(r, 'content') ?? '';
      return screenOf(c)?.screen ?? c;
    };
    const byId = new Map(results.map((r) => [str(r, 'source_call_id') ?? '', text(r)]));
    const perCall = calls.every((c) => byId.has(c.id)) && calls.length > 0;
    const groups = perCall
      ? calls.map((c) => ({ keys: [c.cmd], screen: byId.get(c.id) ?? '' }))
      : [{ keys: calls.map((c) => c.cmd), screen: results.map(text).join('\n') }];
    for (const g of groups) {
      const split = splitScreen(g.screen, g.keys);
      if (split.turns.length === 0 && g.keys.length === 1 && g.keys[0]) {
        // a plain tool result with no prompts: the whole content is the output
        turns.push({
          cmd: g.keys[0].replace(/\n$/, ''),
          output: g.screen,
          exit: -1,
          cwd,
          ms: 0,
          timedOut: false,
          truncated: false,
          family: classifyCommand(g.keys[0]),
        });
        continue;
      }
      for (const t of split.turns) {
        cwd = t.cwd ?? cwd;
        turns.push({
          cmd: t.cmd,
          output: t.output,
          exit: -1,
          cwd,
          ms: 0,
          timedOut: false,
          truncated: false,
          family: classifyCommand(t.cmd),
          ...(t.uncertain ? { uncertain: true, extra: { reasons: t.reasons } } : {}),
        });
      }
    }
  }
  const id = str(value, 'session_id') ?? `atif-${line}`;
  if (header) {
    const h = header as Omit<Session, 'turns'>;
    return [{ ...h, turns }];
  }
  return [
    newSession({
      id,
      backend: 'import:atif',
      mode: 'pty',
      seed: 0,
      turns,
      meta: { source: 'atif', schema_version: ver, line, exitUnknown: true, agent: value['agent'] ?? null },
    }),
  ];
}
