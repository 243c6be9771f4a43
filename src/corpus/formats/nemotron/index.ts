/**
 * Nemotron-Terminal-Corpus / OpenThoughts-Agent rows -> sessions.
 *
 * Row: {conversations: [{role, content}], agent: "terminus-2", model, task, episode, run_id, trial_name, ...}.
 * Assistant turns hold a Terminus-2 JSON action ({analysis, plan, commands: [{keystrokes, duration}]}),
 * often after <think>...</think>; the next user turn holds `New Terminal Output:` + the screen,
 * which splitScreen() cuts into per-command turns. The sources carry no exit codes: exit is -1.
 */
import { newSession, type Session, type SessionTurn } from '../../../session/format.js';
import { classifyCommand } from '../../generate/classify.js';
import { isObj, RowError, str } from '../common.js';
import { parsePrompt, screenOf, splitScreen } from '../screen.js';

export const UNKNOWN_EXIT = -1;

interface Msg {
  role: string;
  content: string;
}

function messages(row: Record<string, unknown>): Msg[] {
  const conv = row['conversations'] ?? row['messages'];
  if (!Array.isArray(conv)) throw new RowError('no `conversations` array');
  return conv.map((m, i) => {
    if (!isObj(m)) throw new RowError(`conversations[${i}] is not an object`);
    const role = str(m, 'role') ?? ({ human: 'user', gpt: 'assistant' } as Record<string, string>)[str(m, 'from') ?? ''] ?? '';
    const content = str(m, 'content') ?? str(m, 'value');
    if (!role || content === undefined) throw new RowError(`conversations[${i}] lacks role/content`);
    return { role, content };
  });
}

/** The keystrokes of a Terminus action (JSON, fenced JSON, or the XML variant); null if unreadable. */
export function actionKeystrokes(content: string): { keys: string[]; complete: boolean } | null {
  const text = content.replace(/<think>[\s\S]*?<\/think>/g, '').trim();
  const candidates = [text, /```(?:json)?\s*([\s\S]*?)```/.exec(text)?.[1] ?? '', text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)];
  for (const c of candidates) {
    if (!c.trim()) continue;
    try {
      const a: unknown = JSON.parse(c);
      if (!isObj(a)) continue;
      const cmds = Array.isArray(a['commands']) ? a['commands'] : [];
      const keys = cmds
        .filter(isObj)
        .map((x) => str(x, 'keystrokes') ?? '')
        .filter((k) => k !== '');
      return { keys, complete: a['task_complete'] === true || a['is_task_complete'] === true };
    } catch {
      // try the next candidate
    }
  }
  const xml = [...text.matchAll(/<keystrokes[^>]*>([\s\S]*?)<\/keystrokes>/g)].map((m) => m[1] ?? '');
  return xml.length ? { keys: xml, complete: /<task_complete>\s*true/i.test(text) } : null;
}

export function parseNemotronRow(value: unknown, line: number): Session[] {
  if (!isObj(value)) throw new RowError('row is not a JSON object');
  const msgs = messages(value);
  const firstUser = msgs.find((m) => m.role === 'user');
  let cwd = '/app';
  const init = firstUser ? screenOf(firstUser.content) : null;
  if (init) for (const l of init.screen.split('\n')) cwd = parsePrompt(l.trimEnd())?.cwd ?? cwd;
  const turns: SessionTurn[] = [];
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i] as Msg;
    if (m.role !== 'assistant') continue;
    const next = msgs[i + 1];
    const act = actionKeystrokes(m.content);
    if (next?.role !== 'user') continue;
    const sc = screenOf(next.content);
    if (!sc) continue;
    const split = splitScreen(sc.screen, act?.keys ?? []);
    const last = turns[turns.length - 1];
    if (split.leading.trim() !== '' && last && !sc.redraw) {
      // late output of the previous command
      last.output = String(last.output) + split.leading + '\n';
      last.uncertain = true;
    }
    for (const t of split.turns) {
      if (sc.redraw && t.reasons.includes('echo matched no keystroke')) continue;
      const reasons = [...t.reasons, ...(act ? [] : ['action not parseable']), ...(sc.redraw ? ['full screen redraw'] : [])];
      cwd = t.cwd ?? cwd;
      const fam = classifyCommand(t.cmd);
      turns.push({
        cmd: t.cmd,
        output: t.output,
        exit: UNKNOWN_EXIT,
        cwd,
        ms: 0,
        timedOut: false,
        truncated: reasons.includes('screen output limited'),
        family: fam,
        ...(reasons.length ? { uncertain: true, extra: { reasons } } : {}),
      });
    }
    if (split.lastCwd) cwd = split.lastCwd;
  }
  const id = str(value, 'trial_name') ?? str(value, 'run_id') ?? `row-${line}`;
  const episode = value['episode'];
  return [
    newSession({
      id: episode !== undefined ? `${id}-${String(episode)}` : id,
      backend: 'import:nemotron',
      mode: 'pty',
      seed: 0,
      turns,
      meta: {
        source: 'nemotron-terminal',
        line,
        exitUnknown: true,
        agent: value['agent'] ?? null,
        model: value['model'] ?? null,
        task: typeof value['task'] === 'string' ? value['task'] : null,
      },
    }),
  ];
}
