/**
 * Session <-> role-swapped world-model SFT rows: the user sends a command, the assistant is the
 * terminal and answers with its output + `[exit N]`. One row per session, so the model learns
 * to condition on the whole history (files written earlier, variables, cwd).
 */
import { newSession, type Session, type SessionTurn } from '../../../session/format.js';
import { isObj, RowError, str } from '../common.js';
import { observation, parseObservation, type Message, type MessagesRow } from '../messages.js';

export const WORLDMODEL_SYSTEM =
  'You are a Linux bash terminal (Debian, user root, a persistent interactive shell). For each command, reply with exactly what the terminal prints, then [exit N] with the exit status.';

export function sessionToWorldModel(s: Session): MessagesRow {
  const messages: Message[] = [{ role: 'system', content: WORLDMODEL_SYSTEM }];
  for (const t of s.turns) messages.push({ role: 'user', content: t.cmd }, { role: 'assistant', content: observation(t) });
  return { id: s.id, messages };
}

export function worldModelToSessions(value: unknown, line: number): Session[] {
  if (!isObj(value) || !Array.isArray(value['messages'])) throw new RowError('no `messages` array');
  const msgs = value['messages'];
  const turns: SessionTurn[] = [];
  for (let i = 0; i < msgs.length; i++) {
    const m: unknown = msgs[i];
    if (!isObj(m) || typeof m['content'] !== 'string') throw new RowError(`messages[${i}] needs string content`);
    if (m['role'] !== 'user') continue;
    const next: unknown = msgs[i + 1];
    const o = parseObservation(isObj(next) && next['role'] === 'assistant' && typeof next['content'] === 'string' ? next['content'] : '');
    turns.push({ cmd: m['content'], output: o.output, exit: o.exit, cwd: '', ms: 0, timedOut: false, truncated: false });
  }
  return [
    newSession({ id: str(value, 'id') ?? `wm-${line}`, backend: 'import:worldmodel', mode: 'pty', seed: 0, turns, meta: { source: 'worldmodel-sft', line } }),
  ];
}
