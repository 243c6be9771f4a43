/**
 * Session <-> TRL conversational rows {"id", "messages": [{role, content}]}.
 *
 * Policy view (for agent SFT): system prompt, the task as the first user message, then the
 * agent's commands as assistant messages and the terminal's replies as user messages.
 * A reply is the output text followed by `[exit N]` (omitted when the exit is unknown, -1).
 * Both variants (`trl-policy`, `trl-echo`) write the same rows; they differ in the chat
 * template shipped beside them (see templates.ts): which messages carry the loss.
 */
import { newSession, type Session, type SessionTurn } from '../../../session/format.js';
import { isObj, RowError, str } from '../common.js';
import { type Message, type MessagesRow, observation, parseObservation } from '../messages.js';

export const POLICY_SYSTEM =
  'You are an agent operating a Linux bash terminal. Reply with exactly one shell command per message; the user replies with what the terminal printed and its exit status.';
export const DEFAULT_TASK = 'Work in the terminal.';

function taskOf(s: Session): string {
  const t = s.meta?.['task'];
  return (isObj(t) ? str(t, 'instruction') : undefined) ?? DEFAULT_TASK;
}

export function sessionToPolicy(s: Session): MessagesRow {
  const messages: Message[] = [
    { role: 'system', content: POLICY_SYSTEM },
    { role: 'user', content: taskOf(s) },
  ];
  for (const t of s.turns) messages.push({ role: 'assistant', content: t.cmd }, { role: 'user', content: observation(t) });
  return { id: s.id, messages };
}

function rowMessages(value: unknown): { id: string | undefined; msgs: Message[] } {
  if (!isObj(value) || !Array.isArray(value['messages'])) throw new RowError('no `messages` array');
  const msgs = value['messages'].map((m, i) => {
    if (!isObj(m) || typeof m['content'] !== 'string' || !['system', 'user', 'assistant'].includes(String(m['role'])))
      throw new RowError(`messages[${i}] needs role system|user|assistant and string content`);
    return { role: m['role'] as Message['role'], content: m['content'] };
  });
  return { id: str(value, 'id'), msgs };
}

function turn(cmd: string, obs: string): SessionTurn {
  const o = parseObservation(obs);
  return { cmd, output: o.output, exit: o.exit, cwd: '', ms: 0, timedOut: false, truncated: false };
}

export function policyToSessions(value: unknown, line: number): Session[] {
  const { id, msgs } = rowMessages(value);
  const turns: SessionTurn[] = [];
  const task = msgs.find((m, i) => m.role === 'user' && i <= 1)?.content;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i] as Message;
    if (m.role !== 'assistant') continue;
    const next = msgs[i + 1];
    turns.push(turn(m.content, next?.role === 'user' ? next.content : ''));
  }
  return [
    newSession({
      id: id ?? `trl-${line}`,
      backend: 'import:trl',
      mode: 'pty',
      seed: 0,
      turns,
      meta: { source: 'trl-messages', line, ...(task && task !== DEFAULT_TASK ? { task: { instruction: task } } : {}) },
    }),
  ];
}
