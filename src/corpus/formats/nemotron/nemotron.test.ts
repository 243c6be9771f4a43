import { describe, expect, it } from 'vitest';
import { FX, importFile } from '../testkit.js';

describe('nemotron / openthoughts importer', () => {
  const r = importFile('nemotron', `${FX}/nemotron.jsonl`);
  it('takes good rows, skips bad ones with line numbers and reasons', () => {
    expect(r.taken).toBe(3);
    expect(r.skipped.map((s) => s.line)).toEqual([2, 4]);
    expect(r.skipped[0]?.reason).toMatch(/not valid JSON/);
    expect(r.skipped[1]?.reason).toMatch(/conversations/);
  });
  it('splits screens into per-command turns with cwd from the next prompt', () => {
    const s = r.sessions[0];
    expect(s?.id).toBe('count-py__abc123-episode-0');
    expect(s?.turns.map((t) => t.cmd)).toEqual([
      'ls -la',
      'cd src',
      "cat > main.py << 'EOF'\nprint('hi')\nEOF",
      'python3 main.py',
      "find /app -name '*.py' | wc -l > /app/count.txt; cat /app/count.txt",
    ]);
    expect(s?.turns[1]?.cwd).toBe('/app/src');
    expect(s?.turns[0]?.cwd).toBe('/app');
    expect(s?.turns[2]?.output).toBe('');
    expect(s?.turns[3]?.output).toBe('hi\n');
    expect(s?.turns.every((t) => t.exit === -1 && !t.uncertain)).toBe(true);
    expect(s?.turns.map((t) => t.family)).toEqual(['navigation', 'navigation', 'edit', 'python', 'operators']);
  });
  it('marks guessed splits uncertain: control keys, an echo matching no keystroke', () => {
    const s = r.sessions[1];
    expect(s?.turns[0]?.extra?.['reasons']).toEqual(['interrupted by control keys']);
    expect(s?.turns.map((t) => [t.cmd, t.uncertain])).toEqual([
      ['sleep 30', true],
      ['echo two', true],
    ]);
    expect(s?.turns[1]?.extra?.['reasons']).toEqual(['echo matched no keystroke']);
  });
  it('handles real-screen details: stacked prompt prefixes, warnings before the output, a heredoc line wrapped by the pane, keys typed while a command ran, ^C recovery', () => {
    const s = r.sessions[2];
    expect(s?.turns.map((t) => t.cmd.split('\n')[0])).toEqual(['cd /work', "cat > /work/bench.py <<'PY'", 'python3 /work/bench.py', 'echo READY && pwd']);
    expect(s?.turns[1]?.cmd.split('\n').length).toBe(6);
    expect(s?.turns.map((t) => t.uncertain ?? false)).toEqual([false, false, true, false]);
    expect(s?.turns[2]?.output).toBe('loading...\nls\n\n148\n^C\n');
    expect(s?.turns[3]?.output).toBe('READY\n/work\n');
    expect(s?.turns.every((t) => t.cwd === '/work')).toBe(true);
    expect(r.uncertainTurns).toBe(3);
  });
});
