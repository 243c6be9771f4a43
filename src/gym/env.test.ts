import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { familyByName, generateTask } from '../corpus/tasks/run.js';
import { Shell } from '../corpus/tasks/types.js';
import { openEnv } from './env.js';
import { takeCommands } from './keys.js';
import { GymError, jsonSchemas } from './protocol.js';
import { Screen } from './screen.js';
import { gymMeta, listEpisodes, TrajectoryStore } from './store.js';
import { envTerminal } from './testkit.js';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { sessionToAtif } from '../corpus/formats/atif/index.js';
import type { Backend, Terminal } from '../core/terminal.js';

describe('keystrokes: tmux-like line assembly', () => {
  it('runs complete lines, keeps the rest pending', () => {
    expect(takeCommands('ls -l')).toEqual({ commands: [], rest: 'ls -l' });
    expect(takeCommands('ls\ncd /tmp\npw')).toEqual({ commands: ['ls', 'cd /tmp'], rest: 'pw' });
    expect(takeCommands('ls\r\n')).toEqual({ commands: ['ls'], rest: '' });
  });
  it('keeps heredocs, open quotes and backslash continuations together', () => {
    expect(takeCommands('cat > f <<EOF\na b\nEOF\nls\n').commands).toEqual(['cat > f <<EOF\na b\nEOF', 'ls']);
    expect(takeCommands("echo 'a\nb'\n").commands).toEqual(["echo 'a\nb'"]);
    expect(takeCommands('echo a \\\n  b\n').commands).toEqual(['echo a \\\n  b']);
    // Unfinished: stays pending as a whole.
    expect(takeCommands('cat <<EOF\nx\n')).toEqual({ commands: [], rest: 'cat <<EOF\nx\n' });
    expect(takeCommands('echo "it\'s" # don\'t\n').commands).toEqual(['echo "it\'s" # don\'t']);
  });
});

describe('Terminus-2 screen (xterm headless, 160x40)', () => {
  it('renders carriage returns, clears, wraps at 160 columns and keeps the last 40 rows', async () => {
    const s = new Screen();
    await s.write('progress 10%\rprogress 100%\r\n');
    expect(s.text()).toBe('progress 100%');
    await s.write('x'.repeat(170) + '\r\n');
    expect(s.text().split('\n')[1]).toBe('x'.repeat(160));
    expect(s.text().split('\n')[2]).toBe('x'.repeat(10));
    await s.write(Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\r\n'));
    const rows = s.text().split('\n');
    expect(rows).toHaveLength(40);
    expect(rows[39]).toBe('line 49');
    s.clear();
    expect(await s.render()).toBe('');
    s.dispose();
  });
});

describe('in-process gym on justbash', () => {
  it('free session: reset, command and keystroke steps, state, structured and Terminus-2 observations', async () => {
    const env = await openEnv({ backend: 'justbash' });
    const r0 = await env.reset({ seed: 3, episode_id: 'ep-1' });
    expect(r0).toMatchObject({ reward: null, done: false, observation: { episode_id: 'ep-1', step: 0, exit: null, cwd: '/root' } });
    expect(r0.observation.terminal).toBe('New Terminal Output:\n\nroot@4b1c0e7d2a9f:~# ');
    const r1 = await env.step({ command: 'mkdir -p /tmp/w && cd /tmp/w && echo hi > a.txt && cat a.txt' });
    expect(r1.observation).toMatchObject({ output: 'hi\r\n', exit: 0, cwd: '/tmp/w', step: 1 });
    // Keystrokes: the line without a newline stays pending; C-c clears it (exit 130).
    const r2 = await env.step({ keystrokes: 'echo one\necho tw' });
    expect(r2.observation.output).toBe('one\r\n');
    expect(env.state().pending).toBe('echo tw');
    const r3 = await env.step({ keystrokes: 'o\n' });
    expect(r3.observation.output).toBe('two\r\n');
    await env.step({ keystrokes: 'sleep 100' });
    const r4 = await env.step({ keystrokes: 'C-c' });
    expect(r4.observation.exit).toBe(130);
    expect(env.state().pending).toBe('');
    const screen = r4.observation.terminal ?? '';
    expect(screen.split('\n').slice(2)).toEqual([
      'root@4b1c0e7d2a9f:~# mkdir -p /tmp/w && cd /tmp/w && echo hi > a.txt && cat a.txt',
      'hi',
      'root@4b1c0e7d2a9f:/tmp/w# echo one',
      'one',
      'root@4b1c0e7d2a9f:/tmp/w# echo two',
      'two',
      'root@4b1c0e7d2a9f:/tmp/w# sleep 100^C',
      'root@4b1c0e7d2a9f:/tmp/w# ',
    ]);
    expect(env.state()).toMatchObject({ episode_id: 'ep-1', step_count: 5, backend: 'justbash', cwd: '/tmp/w', done: false, task: null });
    await env.close();
    await expect(env.step({ command: 'ls' })).rejects.toMatchObject({ code: 'SESSION_ERROR' });
  });

  it('bad actions and reset parameters are VALIDATION_ERRORs that say what to send; stepping a done episode is an EXECUTION_ERROR', async () => {
    const env = await openEnv({ backend: 'null', maxSteps: 2, observation: 'structured' });
    await expect(env.step({ command: 'ls' })).rejects.toMatchObject({ code: 'EXECUTION_ERROR', message: /send reset first/ });
    await env.reset();
    for (const bad of [{}, { cmd: 'ls' }, { command: 1 }, { command: 'a', keystrokes: 'b' }, 'ls', null]) {
      const e = await env.step(bad).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(GymError);
      expect((e as GymError).code).toBe('VALIDATION_ERROR');
    }
    await expect(env.reset({ seed: -1 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: /seed/ });
    await env.reset();
    expect((await env.step({ command: 'true' })).done).toBe(false);
    const last = await env.step({ command: 'true' });
    expect(last).toMatchObject({ done: true, reward: null, observation: { done_reason: 'max_steps' } });
    expect('terminal' in last.observation).toBe(false);
    await expect(env.step({ command: 'true' })).rejects.toMatchObject({ code: 'EXECUTION_ERROR', message: /is done/ });
    await env.close();
  });

  it('a repeated request_id is answered once, not executed twice', async () => {
    const env = await openEnv({ backend: 'justbash', observation: 'structured' });
    await env.reset();
    const cmd = { command: 'echo x >> /tmp/n && wc -l < /tmp/n' };
    const [a, b] = await Promise.all([env.step(cmd, { requestId: 'q1' }), env.step(cmd, { requestId: 'q1' })]);
    const c = await env.step(cmd, { requestId: 'q1' });
    expect(a.observation.output.trim()).toBe('1');
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect((await env.step(cmd, { requestId: 'q2' })).observation.output.trim()).toBe('2');
    expect(env.state().step_count).toBe(2);
    await env.close();
  });

  it('a task episode: the expert playing through the gym earns reward 1, submitting at once earns 0; both are stored, fsynced, with the format version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-gym-store-'));
    const store = new TrajectoryStore(dir);
    const env = await openEnv({ backend: 'justbash', task: 'csv-sum', store, observation: 'structured' });
    const r0 = await env.reset({ seed: 5 });
    const task = generateTask(5, 0, [familyByName('csv-sum')]);
    expect(r0.observation.instruction).toBe(task.instruction);
    expect(r0.reward).toBe(0);
    await familyByName('csv-sum').expert(task, new Shell(envTerminal(env), 25));
    const done = await env.step({ submit: true });
    expect(done).toMatchObject({ done: true, reward: 1, observation: { verifier: { exit: 0, passed: true }, done_reason: 'submit' } });
    await env.reset({ seed: 5, task_index: 0 });
    const fail = await env.step({ submit: true });
    expect(fail).toMatchObject({ done: true, reward: 0, observation: { verifier: { passed: false } } });
    await env.reset({ seed: 5, task: 'none' });
    await env.step({ command: 'echo free' });
    await env.close();
    await store.close();
    const { episodes, torn } = listEpisodes(dir);
    expect(torn).toBe(0);
    expect(episodes.map((s) => gymMeta(s)?.done_reason)).toEqual(['submit', 'submit', 'closed']);
    expect(episodes.map((s) => gymMeta(s)?.reward)).toEqual([1, 0, null]);
    expect(gymMeta(episodes[0]!)).toMatchObject({ format: 'terminalworld.gym-episode', version: 1, done: true });
    expect(episodes[0]!.meta?.['task']).toMatchObject({ id: task.id, family: 'csv-sum', success: true });
    expect(episodes[0]!.setup).toEqual(task.setup);
    expect(episodes[2]!.turns.map((t) => t.cmd)).toEqual(['echo free']);
    // The store is a corpus: `tw corpus export --format atif` reads it, with the task's instruction.
    const atif = JSON.stringify(sessionToAtif(episodes[0]!));
    expect(atif).toContain(task.instruction.slice(0, 40));
    expect(atif).toContain('ATIF-v1.6');
    expect(gymMeta(episodes[2]!)?.done).toBe(false);
  });

  it('the store writes off the event loop: concurrent episode ends share fsyncs (group commit), every line lands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-gym-group-'));
    const store = new TrajectoryStore(dir);
    const envs = await Promise.all(Array.from({ length: 20 }, () => openEnv({ backend: 'null', store, observation: 'structured' })));
    await Promise.all(envs.map((e) => e.reset()));
    const ends = await Promise.all(envs.map((e, i) => e.step({ command: `echo ${i}`, submit: true })));
    expect(ends.every((r) => r.done)).toBe(true);
    // Every reply came after its episode was on disk.
    expect(store.appended).toBe(20);
    expect(store.fsyncs).toBeLessThan(20);
    await store.close();
    await expect(store.append(listEpisodes(dir).episodes[0]!)).rejects.toThrow(/closed/);
    expect(
      listEpisodes(dir)
        .episodes.map((e) => e.turns[0]?.cmd)
        .sort(),
    ).toEqual(Array.from({ length: 20 }, (_, i) => `echo ${i}`).sort());
  });

  it('the store survives a torn last line (a crash mid-write): it is skipped and the next episode starts on its own line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-gym-torn-'));
    const s1 = new TrajectoryStore(dir);
    const env = await openEnv({ backend: 'null', store: s1, observation: 'structured' });
    await env.reset();
    await env.step({ command: 'a', submit: true });
    await s1.close();
    const good = readFileSync(s1.file, 'utf8');
    appendFileSync(s1.file, good.slice(0, 40)); // a line cut short
    expect(listEpisodes(dir)).toMatchObject({ torn: 1 });
    const s2 = new TrajectoryStore(dir);
    const env2 = await openEnv({ backend: 'null', store: s2, observation: 'structured' });
    await env2.reset();
    await env2.step({ command: 'b', submit: true });
    await s2.close();
    const l = listEpisodes(dir);
    expect(l.torn).toBe(1);
    expect(l.episodes.map((e) => e.turns[0]?.cmd)).toEqual(['a', 'b']);
    writeFileSync(join(dir, 'x'), '');
  });

  it('closes every terminal exactly once (a second close of a real session would close a reused file descriptor)', async () => {
    const closes: number[] = [];
    const counting: Backend = {
      name: 'gym-test-count',
      description: 'counts close() calls',
      async start(): Promise<Terminal> {
        const i = closes.push(0) - 1;
        return {
          info: { backend: 'gym-test-count', mode: 'pty' },
          dead: false,
          run: async (cmd) => {
            await new Promise((r) => setTimeout(r, cmd === 'slow' ? 100 : 0));
            return { cmd, output: Buffer.from('x'), exit: 0, cwd: '/root', ms: 0, timedOut: false, truncated: false };
          },
          close: async () => {
            closes[i] = (closes[i] ?? 0) + 1;
          },
        };
      },
    };
    const env = await openEnv({ backend: 'null', maxSteps: 1 }, counting);
    await env.reset();
    await env.step({ command: 'a' }); // done (max_steps): closed
    await env.reset(); // the done episode is not closed again
    await env.reset(); // reset mid-episode
    const slow = env.step({ command: 'slow' });
    await env.close(); // close during a step
    await slow.catch(() => undefined);
    await env.close();
    expect(closes).toEqual([1, 1, 1]);
  });

  it('publishes JSON schemas for action, observation and state; rejects unknown task families with the choices', async () => {
    const s = jsonSchemas() as {
      action: { properties: Record<string, unknown> };
      observation: { properties: Record<string, unknown> };
      state: { properties: Record<string, unknown> };
    };
    expect(Object.keys(s.action.properties)).toEqual(expect.arrayContaining(['command', 'keystrokes', 'duration', 'submit']));
    expect(Object.keys(s.observation.properties)).toEqual(expect.arrayContaining(['output', 'exit', 'cwd', 'timedOut', 'truncated', 'terminal']));
    expect(Object.keys(s.state.properties)).toEqual(expect.arrayContaining(['episode_id', 'step_count']));
    await expect(openEnv({ backend: 'justbash', task: 'nope' })).rejects.toThrow(/unknown task family "nope".*csv-sum/s);
    // @ts-expect-error: a name that is not a backend does not compile
    await expect(openEnv({ backend: 'nope' })).rejects.toThrow();
  });
});
