import { describe, expect, it } from 'vitest';
import { sessionToWorldModel } from '../corpus/formats/worldmodel/index.js';
import { newSession } from '../session/format.js';
import { parsePrompted, promptedReply } from '../backends/endpoint/prompted.js';
import { inferCwd, parseChatML, parseConversation, renderChatML, replyText, toMessages, WORLDMODEL_SYSTEM } from './worldmodel.js';

describe('the worldmodel conversation form', () => {
  it('is exactly what `tw corpus export --format worldmodel` writes', () => {
    const s = newSession({
      id: 's',
      backend: 'real',
      mode: 'pty',
      seed: 0,
      turns: [
        { cmd: 'ls', output: 'a.txt\r\n', exit: 0, cwd: '/root', ms: 0, timedOut: false, truncated: false },
        { cmd: 'false', output: '', exit: 1, cwd: '/root', ms: 0, timedOut: false, truncated: false },
      ],
    });
    const row = sessionToWorldModel(s);
    const history = s.turns.map((t) => ({ cmd: t.cmd, reply: replyText(Buffer.from(String(t.output)), t.exit) }));
    expect(toMessages(WORLDMODEL_SYSTEM, history, null)).toEqual(row.messages);
    const conv = parseConversation([...row.messages, { role: 'user', content: 'pwd' }]);
    expect(conv).toMatchObject({
      system: WORLDMODEL_SYSTEM,
      cmd: 'pwd',
      history: [
        { cmd: 'ls', output: 'a.txt\r\n', exit: 0 },
        { cmd: 'false', output: '', exit: 1 },
      ],
    });
  });

  it('ChatML round-trips, with an open assistant turn', () => {
    const msgs = toMessages(WORLDMODEL_SYSTEM, [{ cmd: 'ls', reply: 'a\r\n[exit 0]' }], 'pwd');
    const p = renderChatML(msgs, '/ro');
    expect(parseChatML(p)).toEqual({ messages: msgs, open: '/ro' });
    expect(parseChatML(renderChatML(msgs, null))).toEqual({ messages: msgs, open: null });
    expect(parseChatML('ls -l')).toEqual({ messages: [{ role: 'user', content: 'ls -l' }], open: null });
    expect(() => parseChatML('<|im_start|>user\nls')).toThrow(/no <\|im_end\|>/);
  });

  it('rejects conversations a terminal cannot answer', () => {
    expect(() =>
      parseConversation([
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ]),
    ).toThrow(/two user messages/);
    expect(() =>
      parseConversation([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: '[exit 0]' },
      ]),
    ).toThrow(/last message must be a user/);
  });

  it('infers the cwd from cd commands, and keeps it when unsure', () => {
    expect(inferCwd('/root', 'cd /tmp', 0)).toBe('/tmp');
    expect(inferCwd('/root', 'mkdir -p a/b && cd a/b', 0)).toBe('/root/a/b');
    expect(inferCwd('/tmp/x', 'cd ..; cd y', 0)).toBe('/tmp/y');
    expect(inferCwd('/tmp', 'cd', 0)).toBe('/root');
    expect(inferCwd('/tmp', 'cd ~/src', 0)).toBe('/root/src');
    expect(inferCwd('/tmp', 'cd "a b"', 0)).toBe('/tmp/a b');
    expect(inferCwd('/tmp', 'cd /nope', 1)).toBe('/tmp');
    expect(inferCwd('/tmp', 'cd $HOME', 0)).toBe('/tmp');
    expect(inferCwd('/tmp', 'cd -', 0)).toBe('/tmp');
  });

  it('prompted replies: trailer, fences, CRLF in pty mode', () => {
    expect(parsePrompted('a\nb\n[exit 0 cwd /x]', true)).toEqual({ output: 'a\r\nb\r\n', exit: 0, cwd: '/x' });
    expect(parsePrompted('[exit 2 cwd /root]', false)).toEqual({ output: '', exit: 2, cwd: '/root' });
    expect(parsePrompted('no trailer', false)).toBeNull();
    const r = promptedReply('x\r\n', 0, '/tmp');
    expect(r).toBe('x\n[exit 0 cwd /tmp]');
    expect(parsePrompted(r, true)).toEqual({ output: 'x\r\n', exit: 0, cwd: '/tmp' });
  });
});
