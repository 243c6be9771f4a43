import { describe, expect, it } from 'vitest';
import { parsePrompt, splitScreen } from './screen.js';

describe('splitScreen', () => {
  it('parses prompts with ~ and $ and a venv prefix', () => {
    expect(parsePrompt('root@h:~# ls')).toEqual({ cwd: '/root', echo: 'ls' });
    expect(parsePrompt('(venv) dev@box:~/src$ make')).toEqual({ cwd: '/home/dev/src', echo: 'make' });
    expect(parsePrompt('just output')).toBeNull();
    // conda/venv stacks print several prefixes; container hostnames are long ids
    expect(parsePrompt('(env) (base) root@4f1c2a9e-77aa-4b1e-9c3d-0a1b2c3d4e5f:/# pwd')).toEqual({ cwd: '/', echo: 'pwd' });
  });
  it('joins a long command wrapped over two screen lines', () => {
    const cmd = 'echo ' + 'x'.repeat(40);
    const screen = `root@h:/app# ${cmd.slice(0, 25)}\n${cmd.slice(25)}\n${'x'.repeat(40)}\nroot@h:/app# `;
    const s = splitScreen(screen, [cmd + '\n']);
    expect(s.turns).toEqual([{ cmd, output: 'x'.repeat(40) + '\n', cwd: '/app', uncertain: false, reasons: [] }]);
  });
  it('joins an echo that tmux wrapped in the middle of a word', () => {
    const cmd = "find /workspace/project/src -maxdepth 3 -iname '*parser*' | sort";
    const screen = `(env) root@4f1c2a9e:/# ${cmd.slice(0, 44)}\n${cmd.slice(44)}\n/workspace/project/src/parser.py\n(env) root@4f1c2a9e:/# `;
    const s = splitScreen(screen, [cmd + '\n']);
    expect(s.turns.map((t) => [t.cmd, t.output, t.uncertain])).toEqual([[cmd, '/workspace/project/src/parser.py\n', false]]);
  });
  it('matches heredoc lines, an empty one shown as a bare >, and one wrapped by the pane width', () => {
    const long = 'x = "' + 'word '.repeat(12) + '"';
    const cmd = `cat > a.py <<'PY'\nimport os\n\n${long}\nPY`;
    const screen = `root@h:/app# cat > a.py <<'PY'\n> import os\n>\n> ${long.slice(0, 30)}\n${long.slice(30)}\n> PY\nroot@h:/app# `;
    const s = splitScreen(screen, [cmd + '\n']);
    expect(s.turns.map((t) => [t.cmd, t.output, t.uncertain])).toEqual([[cmd, '', false]]);
  });
  it('accepts a screen that starts with the echo (no prompt) and flags output with no prompt after', () => {
    const s = splitScreen('make build\nbuilding...\n', ['make build\n']);
    expect(s.turns.length).toBe(1);
    expect(s.turns[0]?.output).toBe('building...\n');
    expect(s.turns[0]?.uncertain).toBe(true);
    expect(s.turns[0]?.reasons).toContain('no prompt after the output');
  });
  it('hands back text before the first prompt as late output', () => {
    const s = splitScreen('done compiling\nroot@h:/app# ls\na\nroot@h:/app# ', ['ls\n']);
    expect(s.leading).toBe('done compiling');
    expect(s.turns.map((t) => t.cmd)).toEqual(['ls']);
  });
});
