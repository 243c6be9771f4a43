/**
 * The `prompted` style: a general chat model asked to act as the terminal (as ToolEmu and the LLM
 * honeypots do). The system prompt below is the whole contract; the reply must end with the
 * trailer line `[exit N cwd /path]`. The model's own habits are undone where that is safe: a reply
 * wrapped in one code fence is unwrapped, and in pty mode bare \n become \r\n (what a terminal
 * shows). A reply without the trailer is malformed (counted, exit 1).
 */
export const PROMPTED_SYSTEM = [
  'You are a Debian GNU/Linux 12 (bookworm) machine: a persistent interactive bash 5.2 session, logged in as root, starting in /root. There is no network.',
  'Each user message is one command line typed at the prompt. Reply with exactly what the terminal prints for it (stdout and stderr as a terminal shows them, in order) and nothing else: no explanation, no markdown, no code fences, no prompt, no echo of the command.',
  'State carries over between commands: files, the working directory, variables, functions, aliases, $?.',
  'End every reply with one last line of the form',
  '[exit N cwd DIR]',
  'where N is the exit status of the command and DIR the absolute working directory after it. A command with no output is answered by that line alone.',
].join('\n');

const TRAILER = /(?:^|\r?\n)\[exit (\d+) cwd ([^\]\n]*)\]\s*$/;

/** The assistant's content for a turn in the prompted style. */
export function promptedReply(output: string, exit: number, cwd: string): string {
  const body = output.replace(/\r\n/g, '\n');
  return `${body}${body === '' || body.endsWith('\n') ? '' : '\n'}[exit ${exit} cwd ${cwd}]`;
}

/** A prompted reply -> output, exit and cwd; null when the trailer is missing. */
export function parsePrompted(text: string, pty: boolean): { output: string; exit: number; cwd: string } | null {
  const m = TRAILER.exec(text);
  if (!m) return null;
  let out = text.slice(0, m.index);
  if (m[0].startsWith('\n') || m[0].startsWith('\r\n')) out += '\n';
  const fence = /^```[a-z]*\n([\s\S]*?)\n?```\n?$/.exec(out);
  if (fence) out = fence[1] === '' ? '' : `${fence[1]}\n`;
  if (pty) out = out.replace(/\r?\n/g, '\r\n');
  const cwd = (m[2] ?? '').trim();
  return { output: out, exit: Number(m[1]), cwd: cwd === '' ? '/root' : cwd };
}
