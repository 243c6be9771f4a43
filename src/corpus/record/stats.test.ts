import { describe, expect, it } from 'vitest';
import { newSession } from '../../session/format.js';
import { StatsAccumulator } from './stats.js';

const turn = (cmd: string, output: string, family: string, exit = 0) => ({ cmd, output, exit, cwd: '/root', ms: 1, timedOut: false, truncated: false, family });

describe('StatsAccumulator', () => {
  it('counts sessions, turns, bytes, families, copy and compute turns', () => {
    const acc = new StatsAccumulator();
    acc.add(
      newSession({
        id: 'a',
        backend: 't',
        mode: 'pty',
        seed: 1,
        turns: [
          turn("cat > n.txt <<'EOF'\nbob\nann\nEOF", '', 'edit'),
          turn('cat n.txt', 'bob\r\nann\r\n', 'inspect'),
          turn('sort n.txt', 'ann\r\nbob\r\n', 'text'),
          turn('wc -l n.txt', '2 n.txt\r\n', 'inspect'),
          turn('cat nope', 'cat: nope: No such file or directory\r\n', 'errors', 1),
        ],
      }),
      'train',
    );
    acc.add(newSession({ id: 'b', backend: 't', mode: 'pty', seed: 2, turns: [turn('pwd', '/root\r\n', 'navigation')] }), 'test');
    const s = acc.result();
    expect([s.sessions, s.turns]).toEqual([2, 6]);
    expect(s.families).toEqual({ edit: 1, inspect: 2, text: 1, errors: 1, navigation: 1 });
    expect(s.familyDetail['inspect']).toEqual({ sessions: 1, turns: 2, bytes: Buffer.byteLength('cat n.txtbob\r\nann\r\nwc -l n.txt2 n.txt\r\n') });
    expect(s.familyDetail['navigation']?.sessions).toBe(1);
    expect(s.emptyOutputTurns).toBe(1);
    expect(s.nonzeroExitTurns).toBe(1);
    expect(s.copyTurns).toBe(1); // cat n.txt
    expect(s.computeTurns).toBe(2); // sort, wc -l
    expect(s.files['train']?.turns).toBe(5);
    expect(s.turnsPerSession).toEqual({ min: 1, median: 5, mean: 3, max: 5 });
    const bytes = [
      "cat > n.txt <<'EOF'\nbob\nann\nEOF",
      'cat n.txt',
      'bob\r\nann\r\n',
      'sort n.txt',
      'ann\r\nbob\r\n',
      'wc -l n.txt',
      '2 n.txt\r\n',
      'cat nope',
      'cat: nope: No such file or directory\r\n',
      'pwd',
      '/root\r\n',
    ].reduce((a, x) => a + Buffer.byteLength(x), 0);
    expect(s.bytes).toBe(bytes);
  });
});
