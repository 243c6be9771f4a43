/** Tag a command with a family by what it runs (for imported sessions, which carry no tags).
 *  Operators win when the command chains or substitutes; otherwise the first program decides. */
import type { FamilyName } from './world.js';

const BY_PROGRAM: Record<string, FamilyName> = {};
const GROUPS: [FamilyName, string[]][] = [
  ['navigation', ['cd', 'pwd', 'ls', 'pushd', 'popd', 'dirs']],
  [
    'edit',
    ['echo', 'printf', 'tee', 'mkdir', 'cp', 'mv', 'rm', 'rmdir', 'ln', 'chmod', 'chown', 'touch', 'truncate', 'install', 'vim', 'vi', 'nano', 'patch', 'dd'],
  ],
  [
    'inspect',
    [
      'cat',
      'head',
      'tail',
      'wc',
      'grep',
      'egrep',
      'fgrep',
      'rg',
      'find',
      'stat',
      'file',
      'diff',
      'cmp',
      'tree',
      'du',
      'df',
      'less',
      'more',
      'od',
      'xxd',
      'hexdump',
      'md5sum',
      'sha256sum',
      'which',
      'type',
      'locate',
      'realpath',
      'readlink',
      'basename',
      'dirname',
    ],
  ],
  ['text', ['sort', 'uniq', 'cut', 'tr', 'awk', 'gawk', 'sed', 'xargs', 'paste', 'join', 'column', 'fold', 'fmt', 'nl', 'rev', 'tac', 'seq', 'jq']],
  ['env', ['export', 'env', 'printenv', 'unset', 'alias', 'unalias', 'source', '.', 'set', 'declare', 'local', 'readonly', 'shopt', 'history']],
  ['python', ['python', 'python3', 'pip', 'pip3', 'pytest', 'python3.11', 'python3.12', 'uv', 'poetry']],
  ['git', ['git']],
  ['archive', ['tar', 'gzip', 'gunzip', 'zcat', 'zip', 'unzip', 'xz', 'bzip2', 'bunzip2']],
];
for (const [fam, progs] of GROUPS) for (const p of progs) BY_PROGRAM[p] = fam;

export function classifyCommand(cmd: string): FamilyName | 'other' {
  const c = cmd.trim();
  if (/^\w+\s*\(\)\s*\{/.test(c) || /^function\s/.test(c)) return 'env';
  // operators are looked for outside quotes and heredoc bodies
  const bare = c.replace(/<<-?\s*'?(\w+)'?[\s\S]*$/, '').replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, "''");
  if (/^(for|while|if|until|case)\b/.test(c) || /&&|\|\||\$\(|^\(|;\s*\S/.test(bare)) {
    const first = /^[\w./-]+/.exec(c)?.[0] ?? '';
    if (!['cat', 'echo', 'printf'].includes(first) || /&&|\|\|/.test(bare)) return 'operators';
  }
  const words = c.split(/\s+/).filter((w) => !/^\w+=/.test(w));
  const prog = (words[0] ?? '').replace(/^.*\//, '');
  if (prog === 'cat' && /^cat\s*>/.test(c)) return 'edit';
  if ((prog === 'echo' || prog === 'printf') && !/>/.test(c)) return c.includes('$') ? 'env' : 'operators';
  return BY_PROGRAM[prog] ?? (c.startsWith('./') ? 'python' : 'other');
}
