/**
 * Carrying shell state across just-bash `exec()` calls. just-bash resets variables, functions, aliases,
 * options and cwd on every exec (only the filesystem is shared), whereas a terminal keeps them. So each
 * command runs as
 *
 *   <prelude: variables (declare -p form), functions, aliases, options, $?>
 *   <the command>
 *   <trailer: declare -p / declare -F / alias / $SHELLOPTS piped to the __tw_state command>
 *
 * and the trailer's dump becomes the next prelude. Function bodies are not printable in just-bash
 * (`declare -f` prints a placeholder), so they are taken from the command's own syntax tree and
 * re-serialised; `declare -F` says which still exist.
 */
import { parse, serialize } from 'just-bash';

export interface ShellState {
  cwd: string;
  /** `declare ...` lines that recreate the variables (with -x, -a, -A, -i, -r flags). */
  declares: Map<string, string>;
  /** Function name -> its definition as source text. */
  functions: Map<string, string>;
  /** `alias name='value'` lines. */
  aliases: string[];
  /** Options on in $SHELLOPTS. */
  shellopts: string[];
  status: number;
  /** $OLDPWD: just-bash's `cd -` follows an internal previous directory, not the variable, so the
   *  prelude re-creates it by changing into OLDPWD and then into cwd. */
  oldpwd?: string;
}

/** Variables the shell manages itself: never replayed. */
const SKIP = new Set([
  '?',
  'BASHOPTS',
  'SHELLOPTS',
  'PIPESTATUS',
  'PWD',
  'LINENO',
  'RANDOM',
  'SECONDS',
  'PPID',
  'UID',
  'EUID',
  'BASHPID',
  'GROUPS',
  'FUNCNAME',
  '_',
]);
const SKIP_PREFIX = ['__tw', 'BASH_'];
export const DEFAULT_SHELLOPTS = ['braceexpand', 'hashall', 'interactive-comments'];
export const SEP = '__TW_STATE_SEP__';
export const STATE_COMMAND = '__tw_state';

export const TRAILER = `__tw_rc=$?; { declare -p; echo ${SEP}; declare -F; echo ${SEP}; alias; echo ${SEP}; echo "$SHELLOPTS"; } | ${STATE_COMMAND} "$__tw_rc"`;

export function initialState(cwd: string): ShellState {
  return { cwd, declares: new Map(), functions: new Map(), aliases: [], shellopts: [...DEFAULT_SHELLOPTS], status: 0 };
}

const q = (x: string): string => `'${x.replace(/'/g, `'\\''`)}'`;

export function prelude(s: ShellState): string {
  const lines: string[] = ['shopt -s expand_aliases'];
  if (s.oldpwd !== undefined) lines.push(`cd -- ${q(s.oldpwd)} 2>/dev/null; cd -- ${q(s.cwd)} 2>/dev/null`);
  for (const d of s.declares.values()) lines.push(d);
  for (const f of s.functions.values()) lines.push(f);
  lines.push(...s.aliases);
  for (const o of s.shellopts) if (!DEFAULT_SHELLOPTS.includes(o)) lines.push(`set -o ${o}`);
  for (const o of DEFAULT_SHELLOPTS) if (!s.shellopts.includes(o)) lines.push(`set +o ${o}`);
  if (s.status !== 0) lines.push(`(exit ${s.status})`);
  return lines.join('\n');
}

const DECLARE_RE = /^declare -(\S+) ([A-Za-z_][A-Za-z0-9_]*)(?:=|$)/;

/**
 * `declare -a arr=([0]="x" [1]="y z")` replayed as-is loses quoting inside just-bash's declare
 * (it yields "y"), while a plain assignment keeps it: so declare the attributes, then assign.
 */
function replayLine(flags: string, name: string, value: string): string {
  const assign = value === '' ? '' : `${name}=${value}`;
  if (flags === '-') return assign || name;
  return assign ? `declare -${flags} ${name}; ${assign}` : `declare -${flags} ${name}`;
}

/** Parse the trailer's dump into the next state. `known`: every function body seen so far. */
export function parseDump(dump: string, cwd: string, status: number, known: ReadonlyMap<string, string>): ShellState {
  const [decl = '', fns = '', aliases = '', opts = ''] = dump.split(`${SEP}\n`);
  const declares = new Map<string, string>();
  let oldpwd: string | undefined;
  for (const line of decl.split('\n')) {
    const o = /^declare -\S+ OLDPWD="((?:[^"\\]|\\.)*)"$/.exec(line);
    if (o) oldpwd = (o[1] ?? '').replace(/\\(.)/g, '$1');
    const m = DECLARE_RE.exec(line);
    if (!m) continue;
    const name = m[2] ?? '';
    if (SKIP.has(name) || SKIP_PREFIX.some((p) => name.startsWith(p))) continue;
    const flags = m[1] ?? '-';
    // just-bash keeps the readonly attribute across exec() (but not the value), so a readonly
    // variable can be neither re-set nor carried: it is dropped (documented).
    if (flags.includes('r')) continue;
    declares.set(name, replayLine(flags, name, line.slice((m[0] ?? '').length)));
  }
  const alive = new Set(
    fns
      .split('\n')
      .map((l) => /^declare -f (\S+)$/.exec(l)?.[1])
      .filter((x): x is string => !!x),
  );
  const functions = new Map([...known].filter(([n]) => alive.has(n)));
  const state: ShellState = {
    cwd,
    declares,
    functions,
    aliases: aliases.split('\n').filter((l) => l.startsWith('alias ')),
    shellopts: opts.trim() ? opts.trim().split(':') : [],
    status,
  };
  if (oldpwd !== undefined) state.oldpwd = oldpwd;
  return state;
}

type Node = { type?: unknown; name?: unknown; [k: string]: unknown };

function collect(node: unknown, out: Node[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, out);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const n = node as Node;
  if (n.type === 'FunctionDef') out.push(n);
  for (const v of Object.values(n)) if (typeof v === 'object') collect(v, out);
}

function literal(w: unknown): string | undefined {
  if (typeof w !== 'object' || w === null) return undefined;
  const parts = (w as { parts?: unknown }).parts;
  if (!Array.isArray(parts) || parts.length !== 1) return undefined;
  const p = parts[0] as { type?: unknown; value?: unknown };
  return p.type === 'Literal' && typeof p.value === 'string' ? p.value : undefined;
}

/** Files a command sources with a literal path (`source f`, `. ./f`): their functions are read from
 *  the file afterwards, since just-bash cannot print function bodies. */
export function sourcedFiles(cmd: string): string[] {
  const nodes: Node[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (typeof n !== 'object' || n === null) return;
    const x = n as Node;
    if (x.type === 'SimpleCommand') nodes.push(x);
    for (const v of Object.values(x)) if (typeof v === 'object') walk(v);
  };
  walk(parse(cmd));
  const out: string[] = [];
  for (const n of nodes) {
    const name = literal(n.name);
    const args = n.args;
    if ((name === 'source' || name === '.') && Array.isArray(args)) {
      const f = literal(args[0]);
      if (f) out.push(f);
    }
  }
  return out;
}

/** Function definitions in a command, as re-runnable source; throws if the command does not parse. */
export function functionDefs(cmd: string): Map<string, string> {
  const ast = parse(cmd);
  const defs: Node[] = [];
  collect(ast, defs);
  const out = new Map<string, string>();
  if (!defs.length) return out;
  const template = parse('__tw_f() { :; }');
  for (const d of defs) {
    const stmt = structuredClone(template.statements[0]);
    const pipe = stmt?.pipelines[0];
    if (!stmt || !pipe || typeof d.name !== 'string') continue;
    (pipe.commands as unknown[])[0] = d;
    out.set(d.name, serialize({ ...template, statements: [stmt] }));
  }
  return out;
}
