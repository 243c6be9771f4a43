/**
 * The conversation form shared by `tw serve` and the `endpoint` backend: exactly the role-swapped
 * rows that `tw corpus export --format worldmodel` writes (src/corpus/formats/worldmodel), so a
 * model fine-tuned on that export is served and queried as it was trained:
 *
 *   system    WORLDMODEL_SYSTEM
 *   user      ls                        (a command)
 *   assistant a.txt\r\n[exit 0]         (what the terminal printed, then [exit N])
 *   user      cat a.txt                 (the command to answer)
 *
 * The export carries no cwd; where a turn's cwd is not known otherwise it is inferred from the
 * `cd` commands of the session (inferCwd), which is exact for `cd DIR`, `cd DIR && ...`, and
 * sequences of them, and keeps the previous cwd for anything else.
 *
 * The same messages as one raw prompt (for /v1/completions) use the ChatML template (Qwen's, and
 * TRL's default for models without one): `<|im_start|>role\ncontent<|im_end|>\n`.
 */
import { posix } from 'node:path';
import { observation, parseObservation } from '../corpus/formats/messages.js';
import { WORLDMODEL_SYSTEM } from '../corpus/formats/worldmodel/index.js';
import { SESSION_HOME } from '../core/terminal.js';

export { WORLDMODEL_SYSTEM };
export const DEFAULT_CWD = SESSION_HOME;

export type Role = 'system' | 'user' | 'assistant';
export interface ChatMessage {
  role: Role;
  content: string;
}

/** One finished turn of a conversation. `cwd` is null where the conversation does not say it. */
export interface ConvTurn {
  cmd: string;
  /** the assistant's content, exactly as sent (the session cache keys on it) */
  reply: string;
  output: string;
  /** -1 when the reply has no `[exit N]` */
  exit: number;
}

export interface Conversation {
  system: string | null;
  history: ConvTurn[];
  /** the command to answer */
  cmd: string;
}

/** The assistant's content for a turn, as the worldmodel export writes it. */
export function replyText(output: Buffer, exit: number): string {
  return observation({ output: output.toString('utf8'), exit });
}

/** Split a reply into output and exit (-1: no `[exit N]` at its end). */
export function parseReply(text: string): { output: string; exit: number } {
  return parseObservation(text);
}

export class ConversationError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

/** Messages -> history + the command to answer. The last message must be a user message. */
export function parseConversation(messages: readonly ChatMessage[]): Conversation {
  let system: string | null = null;
  const history: ConvTurn[] = [];
  let pending: string | null = null;
  messages.forEach((m, i) => {
    if (m.role === 'system') {
      if (i !== 0) throw new ConversationError(`messages[${i}]: a system message may only come first`, `messages[${i}].role`);
      system = m.content;
    } else if (m.role === 'user') {
      if (pending !== null)
        throw new ConversationError(
          `messages[${i}]: two user messages in a row; each command needs the terminal's reply (an assistant message) before the next`,
          `messages[${i}].role`,
        );
      pending = m.content;
    } else {
      if (pending === null) throw new ConversationError(`messages[${i}]: an assistant message must answer a user message (a command)`, `messages[${i}].role`);
      const p = parseReply(m.content);
      history.push({ cmd: pending, reply: m.content, output: p.output, exit: p.exit });
      pending = null;
    }
  });
  if (pending === null) throw new ConversationError('the last message must be a user message: the command for the terminal to answer', 'messages');
  return { system, history, cmd: pending };
}

/** History + command -> messages (the worldmodel rows). */
export function toMessages(system: string | null, history: readonly { cmd: string; reply: string }[], cmd: string | null): ChatMessage[] {
  const msgs: ChatMessage[] = system !== null ? [{ role: 'system', content: system }] : [];
  for (const t of history) msgs.push({ role: 'user', content: t.cmd }, { role: 'assistant', content: t.reply });
  if (cmd !== null) msgs.push({ role: 'user', content: cmd });
  return msgs;
}

const IM_START = '<|im_start|>';
const IM_END = '<|im_end|>';

/** ChatML: each message as `<|im_start|>role\ncontent<|im_end|>\n`; `open` appends an open assistant turn. */
export function renderChatML(msgs: readonly ChatMessage[], open: string | null = ''): string {
  let s = msgs.map((m) => `${IM_START}${m.role}\n${m.content}${IM_END}\n`).join('');
  if (open !== null) s += `${IM_START}assistant\n${open}`;
  return s;
}

/**
 * A ChatML prompt -> its messages, and the text of a trailing open assistant turn (null when the
 * prompt ends with a closed message). A prompt without ChatML markers is one user message.
 */
export function parseChatML(prompt: string): { messages: ChatMessage[]; open: string | null } {
  if (!prompt.includes(IM_START)) return { messages: [{ role: 'user', content: prompt }], open: null };
  const messages: ChatMessage[] = [];
  let open: string | null = null;
  const parts = prompt.split(IM_START);
  if ((parts[0] ?? '').trim() !== '') throw new ConversationError('text before the first <|im_start|>', 'prompt');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const nl = part.indexOf('\n');
    const role = nl >= 0 ? part.slice(0, nl) : part;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') throw new ConversationError(`ChatML message ${i}: unknown role "${role}"`, 'prompt');
    const body = nl >= 0 ? part.slice(nl + 1) : '';
    const end = body.lastIndexOf(IM_END);
    if (end < 0) {
      if (i !== parts.length - 1 || role !== 'assistant') throw new ConversationError(`ChatML message ${i} (${role}) has no <|im_end|>`, 'prompt');
      open = body;
    } else {
      if (body.slice(end + IM_END.length).trim() !== '') throw new ConversationError(`ChatML message ${i}: text after <|im_end|>`, 'prompt');
      messages.push({ role, content: body.slice(0, end) });
    }
  }
  return { messages, open };
}

/**
 * The cwd after `cmd` ran in `cwd` with status `exit`, from its `cd` commands: each `;`/`&&`
 * separated part that is `cd`, `cd ~`, `cd DIR` moves it; `cd -` and anything with `||`, `$`,
 * backquotes or subshells leave it as it was (unknown, kept).
 */
export function inferCwd(cwd: string, cmd: string, exit: number): string {
  if (exit !== 0 || /\|\||[`$()]/.test(cmd)) return cwd;
  let at = cwd;
  for (const part of cmd.split(/&&|;|\n/)) {
    const m = /^\s*cd(?:\s+(?:"([^"]*)"|'([^']*)'|(\S+)))?\s*$/.exec(part);
    if (!m) continue;
    const arg = m[1] ?? m[2] ?? m[3];
    if (arg === undefined || arg === '~' || arg === '~/') at = DEFAULT_CWD;
    else if (arg === '-') return cwd;
    else if (arg.startsWith('~/')) at = posix.resolve(DEFAULT_CWD, arg.slice(2));
    else at = posix.resolve(at, arg);
  }
  return at;
}

/** One byte as an OpenAI-style token string: ASCII as itself, other bytes as `bytes:\xNN`. */
export function byteToken(b: number): string {
  return b < 0x80 ? String.fromCharCode(b) : `bytes:\\x${b.toString(16).padStart(2, '0')}`;
}
