/** fix-python: a script with one bug (typo'd name, missing colon, misspelt module).
 *  Expert: run it, read the traceback's error and line, look at that line, apply the fix the
 *  error calls for, run it again. */
import { editDistance, q, writeFileCmd, type TaskFamily } from '../types.js';

const BUGS = ['return-typo', 'loop-typo', 'colon', 'module'] as const;
const KEYWORDS = new Set(['import', 'def', 'for', 'in', 'return', 'print', 'if', 'else', 'while', 'math']);
const STDLIB = ['math', 'json', 'collections', 'statistics', 'itertools', 'string'];

export const fixPython: TaskFamily = {
  name: 'fix-python',
  generate(r) {
    const xs = Array.from({ length: r.int(3, 7) }, () => r.int(1, 60));
    const fn = r.pick(['summarize', 'total_of', 'add_all', 'accumulate']);
    const acc = r.pick(['total', 'acc', 'running']);
    const arr = r.pick(['values', 'numbers', 'items']);
    const bug = r.pick(BUGS);
    const typo = (s: string): string => s.slice(0, -2) + s.slice(-1);
    const src = [
      `import ${bug === 'module' ? 'maths' : 'math'}`,
      '',
      `def ${fn}(${arr})${bug === 'colon' ? '' : ':'}`,
      `    ${acc} = 0`,
      `    for v in ${bug === 'loop-typo' ? arr.slice(0, -1) : arr}:`,
      `        ${acc} += v`,
      `    return ${bug === 'return-typo' ? typo(acc) : acc}`,
      '',
      '',
      `${arr} = [${xs.join(', ')}]`,
      `print(math.floor(${fn}(${arr})))`,
      '',
    ].join('\n');
    const path = `/root/${r.pick(['app', 'tools', 'job'])}/${r.pick(['calc', 'report', 'sum_values', 'main'])}.py`;
    const expected = String(xs.reduce((a, b) => a + b, 0));
    return {
      instruction: `The script ${path} crashes. Fix it so that \`python3 ${path}\` prints the sum of the numbers in its list (${expected}). Change only what is broken.`,
      setup: [writeFileCmd(path, src)],
      verifier: `#!/bin/bash\n[ "$(python3 ${path} 2>&1)" = "${expected}" ]\n`,
      params: { path, expected },
    };
  },
  async expert(task, sh) {
    const { path } = task.params as { path: string };
    for (let attempt = 0; attempt < 3; attempt++) {
      const run = await sh.run(`python3 ${path}`);
      if (run.exit === 0) return;
      const lineNo = [...run.out.matchAll(/line (\d+)/g)].map((m) => Number(m[1])).pop();
      const last = run.out.trim().split('\n').pop() ?? '';
      const mod = /No module named '([^']+)'/.exec(last);
      const name = /name '([^']+)' is not defined/.exec(last);
      if (mod?.[1]) {
        const bad = mod[1];
        const good = [...STDLIB].sort((a, b) => editDistance(bad, a) - editDistance(bad, b))[0] ?? bad;
        await sh.run(`sed -i 's/^import ${bad}$/import ${good}/' ${path}`);
      } else if (name?.[1] && lineNo) {
        const bad = name[1];
        const words = (await sh.run(`grep -oE '[A-Za-z_]+' ${path} | sort -u`)).out;
        const ids = words
          .split('\n')
          .map((w) => w.trim())
          .filter((w) => w && w !== bad && !KEYWORDS.has(w));
        const good = ids.sort((a, b) => editDistance(bad, a) - editDistance(bad, b) || Number(!a.startsWith(bad)) - Number(!b.startsWith(bad)))[0];
        if (!good) return;
        await sh.run(`sed -n '${lineNo}p' ${path}`);
        await sh.run(`sed -i '${lineNo}s/\\b${bad}\\b/${good}/' ${path}`);
      } else if (/SyntaxError/.test(last) && lineNo) {
        const line = (await sh.run(`sed -n '${lineNo}p' ${path}`)).out.trimEnd();
        if (/^\s*(def|for|if|while|class|else|elif)\b/.test(line) && !line.endsWith(':')) await sh.run(`sed -i '${lineNo}s/$/:/' ${path}`);
        else return;
      } else {
        await sh.run(`cat -n ${q(path)}`);
        return;
      }
    }
    await sh.run(`python3 ${path}`);
  },
};
