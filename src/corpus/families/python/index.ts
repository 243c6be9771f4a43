/** python: one-liners, modules the session wrote, small scripts (some with tracebacks). */
import { posix } from 'node:path';
import type { Rng } from '../../../core/rng.js';
import { FIRST_NAMES, sq, WORDS } from '../../generate/content.js';
import type { World } from '../../generate/world.js';
import { type Family, move } from '../types.js';
import { scratchMoves } from './scratch.js';

function oneLiner(r: Rng): string {
  const n = r.int(2, 40);
  const xs = Array.from({ length: r.int(3, 6) }, () => r.int(1, 99));
  return r.pick([
    `python3 -c 'print(2 ** ${n})'`,
    `python3 -c 'print(sum(range(${n})))'`,
    `python3 -c 'print(sorted([${xs.join(', ')}]))'`,
    `python3 -c 'import json; print(json.dumps({"name": "${r.pick(FIRST_NAMES)}", "n": ${n}}))'`,
    `python3 -c 'import math; print(round(math.sqrt(${n * 7}), 3))'`,
    `python3 -c 'print("${r.pick(WORDS)}".upper()[::-1])'`,
    `python3 -c 'print(len("${r
      .shuffle([...WORDS])
      .slice(0, 3)
      .join(' ')}".split()))'`,
    `python3 -c 'print(max([${xs.join(', ')}]), min([${xs.join(', ')}]))'`,
    'python3 --version',
    `python3 -c 'import sys; print(sys.version_info[:2])'`,
    `python3 -c 'from collections import Counter; print(Counter("${r.pick(WORDS)}${r.pick(WORDS)}").most_common(2))'`,
  ]);
}

const SCRIPTS: ((r: Rng, csv: string | null) => string[])[] = [
  (r) => [
    'import sys',
    '',
    'def fib(n):',
    '    a, b = 0, 1',
    '    for _ in range(n):',
    '        a, b = b, a + b',
    '    return a',
    '',
    `print([fib(i) for i in range(${r.int(5, 12)})])`,
  ],
  (r, csv) =>
    csv
      ? [
          'import csv',
          '',
          `with open(${JSON.stringify(csv)}) as fh:`,
          '    rows = list(csv.DictReader(fh))',
          'print(len(rows), "rows")',
          'print(sorted(rows[0].keys()))',
        ]
      : [
          'words = "' +
            r
              .shuffle([...WORDS])
              .slice(0, 6)
              .join(' ') +
            '".split()',
          'for i, w in enumerate(words, 1):',
          '    print(i, w)',
        ],
  (r) => ['def ratio(a, b):', '    return a / b', '', `print(ratio(${r.int(1, 50)}, ${r.int(1, 9)}))`, `print(ratio(${r.int(1, 50)}, 0))`],
  (r) => [
    `config = {"host": "localhost", "port": ${r.pick([8080, 5000, 9000])}}`,
    'print(config["host"])',
    `print(config["${r.pick(['user', 'password', 'timeout'])}"])`,
  ],
  () => ['import requests_extra', '', 'print("unreachable")'],
  (r) => [
    'class Stack:',
    '    def __init__(self):',
    '        self.items = []',
    '    def push(self, x):',
    '        self.items.append(x)',
    '    def pop(self):',
    '        return self.items.pop()',
    '',
    's = Stack()',
    `for x in [${r.int(1, 9)}, ${r.int(1, 9)}, ${r.int(1, 9)}]:`,
    '    s.push(x)',
    'print(s.pop(), len(s.items))',
  ],
  (r) => ['total = 0', `for n in range(1, ${r.int(5, 30)}):`, '    if n % 3 == 0:', '        total += n', 'print("total:", total)', 'print("avg:", totl / 3)'],
];

/** Bugs the scripts above carry: how to spot them, the sed an agent would type, its effect. */
const BUGS: [RegExp, string, (lines: string[]) => string[]][] = [
  [/, 0\)\)$/, 's/, 0))/, 1))/', (ls) => ls.map((l) => l.replace(/, 0\)\)$/, ', 1))'))],
  [
    /config\["(user|password|timeout)"\]/,
    String.raw`s/config\["\([a-z]*\)"\]/config.get("\1")/`,
    (ls) => ls.map((l) => l.replace(/config\["([a-z]*)"\]/, 'config.get("$1")')),
  ],
  [/^import requests_extra$/, '/^import requests_extra$/d', (ls) => ls.filter((l) => l !== 'import requests_extra')],
  [/\btotl\b/, 's/totl/total/', (ls) => ls.map((l) => l.replace(/\btotl\b/, 'total'))],
];

function buggy(lines: string[] | null): boolean {
  return (lines ?? []).some((l) => BUGS.some(([re]) => re.test(l)));
}

function runPy(w: World, abs: string): string | null {
  const f = w.files.get(abs);
  if (!f) return null;
  w.ran.add(abs);
  if (buggy(f.lines)) w.next = { family: 'python', p: 0.6, run: () => fixPy(w, abs) };
  return `python3 ${w.rel(abs)}`;
}

/** The agent loop: a script crashed, fix what the traceback named, run it again. */
function fixPy(w: World, abs: string): string | null {
  const f = w.files.get(abs);
  if (!f?.lines) return null;
  const lines = f.lines;
  const bug = BUGS.find(([re]) => lines.some((l) => re.test(l)));
  if (!bug) return null;
  const [, sedExpr, apply] = bug;
  f.lines = apply(lines);
  return `sed -i ${sq(sedExpr)} ${w.rel(abs)} && python3 ${w.rel(abs)}`;
}

function writeScript(w: World, r: Rng): string {
  const csvFile = w.pickFile(r, (f) => f.kind === 'csv');
  const lines = r.pick(SCRIPTS)(r, csvFile ? w.rel(csvFile.path) : null);
  const name = `${r.pick(['main', 'run', 'check', 'analyze', 'demo', 'report', 'stats'])}.py`;
  const abs = posix.join(w.cwd, name);
  w.addFile(abs, 'py', lines);
  w.next = { family: 'python', p: 0.6, run: () => runPy(w, abs) };
  return `cat > ${name} <<'EOF'\n${lines.join('\n')}\nEOF`;
}

export const python: Family<'python'> = {
  name: 'python',
  weight: 7,
  moves: [
    move('one-liner', 3, (_w, r) => oneLiner(r)),
    move('write-script', 1.5, (w, r) => writeScript(w, r)),
    move('run-script', 3, (w, r) => {
      const f = w.pickFile(r, (x) => x.kind === 'py');
      return f ? runPy(w, f.path) : null;
    }),
    move('fix-script', 2, (w, r) => {
      const f = w.pickFile(r, (x) => x.kind === 'py' && w.ran.has(x.path) && buggy(x.lines));
      return f ? fixPy(w, f.path) : null;
    }),
    move('json-tool', 0.6, (w, r) => {
      const f = w.pickFile(r, (x) => x.kind === 'json' && x.lines !== null);
      return f ? `python3 -m json.tool ${w.rel(f.path)}` : null;
    }),
    move('read-file', 1, (w, r) => {
      const f = w.textFile(r);
      if (!f) return null;
      return r.pick([
        `python3 -c ${sq(`print(len(open("${w.rel(f.path)}").read().splitlines()))`)}`,
        `python3 -c ${sq(`print(open("${w.rel(f.path)}").read().upper()[:80])`)}`,
        `python3 -c ${sq(`import os; print(os.path.getsize("${w.rel(f.path)}"))`)}`,
      ]);
    }),
    move('import-module', 0.5, (w, r) => {
      const f = w.pickFile(r, (x) => x.kind === 'py');
      if (!f) return null;
      const mod = posix.basename(f.path, '.py');
      return `cd ${w.rel(posix.dirname(f.path))} && python3 -c 'import ${mod}; print(sorted(n for n in dir(${mod}) if not n.startswith("_")))'; cd - > /dev/null`;
    }),
  ],
  scratch: scratchMoves,
};
