/**
 * options.recordState: each turn carries what it changed (files of the writable layer, with the
 * text of small files; the shell's variables, functions and aliases), read by the host without
 * running anything in the session. Needs the sandbox.
 */
import { describe, expect, it } from 'vitest';
import { noSandbox, runAll, text } from './testkit.js';

describe.skipIf(noSandbox)('state recording (needs the sandbox)', () => {
  it('records created, modified, mode and deleted files, and variables, aliases and functions', async () => {
    const t = await runAll(
      [
        'mkdir -p app && echo "print(1)" > app/main.py && cd app',
        'x=5; export Y=hi; alias ll="ls -l"; f(){ :; }',
        'rm main.py; chmod 600 /etc/hostname; echo $?',
        'unset x; unalias ll; cd -',
      ],
      { options: { recordState: true } },
    );
    expect(t[0]?.state?.files).toEqual([
      { path: '/root/app', op: 'created', kind: 'dir', size: expect.any(Number), mode: 0o755 },
      { path: '/root/app/main.py', op: 'created', kind: 'file', size: 9, mode: 0o644, content: 'print(1)\n' },
    ]);
    expect(t[0]?.state?.vars).toEqual({ OLDPWD: '/root', PWD: '/root/app' });
    expect(t[1]?.state).toMatchObject({
      files: [],
      vars: { x: '5', Y: 'hi' },
      functions: { added: ['f'], removed: [] },
      aliases: { set: { ll: 'ls -l' }, unset: [] },
    });
    expect(t[2]?.state?.files).toEqual([
      { path: '/etc/hostname', op: 'mode', kind: 'file', mode: 0o600 },
      { path: '/root/app/main.py', op: 'deleted', kind: 'file' },
    ]);
    // Recording state runs nothing in the session: $? and the output are the command's own.
    expect(text(t[2])).toBe('0\r\n');
    expect(t[3]?.state).toMatchObject({ unset: ['x'], aliases: { set: {}, unset: ['ll'] }, oldpwd: '/root/app' });
  });

  it('is off by default', async () => {
    const [t] = await runAll(['touch a']);
    expect(t?.state).toBeUndefined();
  });
});
