/**
 * Chat-message rows shared by the TRL (`trl/`) and world-model (`worldmodel/`) formats, and the
 * framing of a terminal reply in them: the output text followed by `[exit N]`.
 */
import { bytesToText, type SessionTurn } from '../../session/format.js';

export interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
export interface MessagesRow {
  id: string;
  messages: Message[];
}

/** Output text + `[exit N]`; the exact framing the learned terminal's microcosm used. */
export function observation(t: Pick<SessionTurn, 'output' | 'exit'>): string {
  return bytesToText(t.output) + (t.exit >= 0 ? `[exit ${t.exit}]` : '');
}

export function parseObservation(text: string): { output: string; exit: number } {
  const m = /\[exit (\d+)\]$/.exec(text);
  return m ? { output: text.slice(0, m.index), exit: Number(m[1]) } : { output: text, exit: -1 };
}
